// Workgroup-wide reductions, included by kernels with `#include "reduce"` (at the end of the file, so the
// includer's line numbers in compiler messages stay its own).
//
//   workgroup_sum(lid, v) = Σ over the WG invocations of v      (every invocation gets the total)
//
// Needs the includer's `override WG: u32` (a power of two). Call it from uniform control flow only: it contains
// workgroup barriers. The last barrier lets a kernel call it twice in a row without racing on the scratch array.

var<workgroup> reduce_scratch: array<f32, WG>;

fn workgroup_sum(lid: u32, v: f32) -> f32 {
    reduce_scratch[lid] = v;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if (lid < s) {
            reduce_scratch[lid] += reduce_scratch[lid + s];
        }
        workgroupBarrier();
    }
    let total = reduce_scratch[0];
    workgroupBarrier();
    return total;
}
