// Matrix-vector product with f32 weights, one workgroup per output row.
//
//   y[r] = sum_c W[r, c] * x[c]        r < rows, c < cols
//
// Shapes: W is [rows][cols] row-major f32 (GGUF order: ne0 = cols is contiguous, ne1 = rows); x is [cols];
// y is [rows]. Rows are folded over (x, y) workgroups (one dispatch dimension holds at most 65535 workgroups,
// and Gemma's vocabulary has 262144 rows).
// Bindings: 0 uniform Params, 1 W (read), 2 x (read), 3 y (read_write).
// Each thread accumulates a strided partial dot product in f32; workgroup_sum (reduce.wgsl) finishes it
// (WG must be a power of two).

struct Params {
    rows: u32,
    cols: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> W: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let row = wid.x + wid.y * nwg.x;
    if (row >= p.rows) {
        return;
    }
    let base = row * p.cols;
    var acc = 0.0;
    for (var c = lid; c < p.cols; c += WG) {
        acc += W[base + c] * x[c];
    }
    let total = workgroup_sum(lid, acc);
    if (lid == 0u) {
        y[row] = total;
    }
}

#include "reduce"
