// RMSNorm, one workgroup per row.
//
//   y[r, i] = x[r, i] / sqrt(mean_i(x[r, i]^2) + eps) * (HAS_WEIGHT ? w[i] : 1)
//
// Shapes: x, y are [rows][n] row-major f32; w is [n] (bound but unread when HAS_WEIGHT is false, e.g. Gemma 4's
// V-norm). Rows are folded over (x, y) workgroups: row = wid.x + wid.y * num_workgroups.x, because one dispatch
// dimension holds at most 65535 workgroups.
// Bindings: 0 uniform Params, 1 x (read), 2 w (read), 3 y (read_write).
// Sum of squares is accumulated in f32 per thread with a stride of WG, then summed over the workgroup
// (reduce.wgsl; WG must be a power of two).

struct Params {
    n: u32,
    rows: u32,
    eps: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

override WG: u32 = 256u;
override HAS_WEIGHT: bool = true;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let row = wid.x + wid.y * nwg.x;
    if (row >= p.rows) {
        return;
    }
    let base = row * p.n;
    var acc = 0.0;
    for (var i = lid; i < p.n; i += WG) {
        let v = x[base + i];
        acc += v * v;
    }
    let total = workgroup_sum(lid, acc);
    let scale = inverseSqrt(total / f32(p.n) + p.eps);
    for (var i = lid; i < p.n; i += WG) {
        var v = x[base + i] * scale;
        if (HAS_WEIGHT) {
            v *= w[i];
        }
        y[base + i] = v;
    }
}

#include "reduce"
