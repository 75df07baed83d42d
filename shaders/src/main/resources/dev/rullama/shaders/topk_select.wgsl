// Selection helpers for argmax, top-k sampling and the MoE router, included with `#include "topk_select"` (at the end
// of the file). The order is the CPU sampler's: larger value first, ties to the lower index. NaN and -inf are never
// selectable (the CPU sampler counts NaN as -inf and skips -inf candidates); an empty pick has index NONE.
//
//   workgroup_pick(lid, v, i) = the best (v, i) over the workgroup's invocations (every invocation gets it)
//
// Needs the includer's `override WG: u32` (a power of two). Call it from uniform control flow only (barriers); the last
// barrier lets it be called again at once.

const NONE: u32 = 0xFFFFFFFFu;

struct Pick {
    v: f32,
    i: u32,
}

var<workgroup> pick_v: array<f32, WG>;
var<workgroup> pick_i: array<u32, WG>;

// By bits, so that no compiler's fast-math assumptions can drop the test.
fn selectable(v: f32) -> bool {
    let b = bitcast<u32>(v);
    return (b & 0x7FFFFFFFu) <= 0x7F800000u && b != 0xFF800000u;
}

// Whether (va, ia) comes before (vb, ib); an empty pick comes after everything.
fn pick_before(va: f32, ia: u32, vb: f32, ib: u32) -> bool {
    if (ia == NONE) {
        return false;
    }
    if (ib == NONE) {
        return true;
    }
    return va > vb || (va == vb && ia < ib);
}

fn workgroup_pick(lid: u32, v: f32, i: u32) -> Pick {
    pick_v[lid] = v;
    pick_i[lid] = i;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if (lid < s && pick_before(pick_v[lid + s], pick_i[lid + s], pick_v[lid], pick_i[lid])) {
            pick_v[lid] = pick_v[lid + s];
            pick_i[lid] = pick_i[lid + s];
        }
        workgroupBarrier();
    }
    let r = Pick(pick_v[0], pick_i[0]);
    workgroupBarrier();
    return r;
}

// Whether (v, i) comes strictly after the previous pick (pv, pi) in the order, i.e. is still eligible for the next
// round of a top-k selection; `first_round` lifts the bound.
fn pick_after(v: f32, i: u32, pv: f32, pi: u32, first_round: bool) -> bool {
    return first_round || pick_before(pv, pi, v, i);
}
