// Residual add fused with the norms around it (Gemma's sandwich), one workgroup per row:
//
//   g      = HAS_POST_NORM ? f[r] / sqrt(mean(f[r]^2) + eps) * w_post : f[r]
//   x[r]   = (x[r] + g) * (HAS_SCALE ? s[0] : 1)
//   y[r]   = x[r] / sqrt(mean(x[r]^2) + eps) * w_next
//
// In a Gemma layer this is "x += post_attention_norm(o); h = ffn_norm(x)" (and the same after the FFN and the PLE
// block, where HAS_SCALE applies layer_output_scale before the next layer's attn_norm): three dispatches in one.
// Shapes: f, x, y are [rows][n] f32; w_post, w_next are [n]; s is [1]. Unused operands are bound but unread.
// Bindings: 0 uniform Params, 1 f (read), 2 w_post (read), 3 w_next (read), 4 s (read), 5 x (read_write),
// 6 y (read_write). Rows are folded over (x, y) workgroups.
// Each invocation owns the elements i = lid (mod WG) in all three passes, so x needs no barrier between being
// written and read back; the sums of squares are f32 per invocation, then workgroup_sum (reduce.wgsl; WG a power of
// two).

struct Params {
    n: u32,
    rows: u32,
    eps: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> f: array<f32>;
@group(0) @binding(2) var<storage, read> w_post: array<f32>;
@group(0) @binding(3) var<storage, read> w_next: array<f32>;
@group(0) @binding(4) var<storage, read> s: array<f32>;
@group(0) @binding(5) var<storage, read_write> x: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

override WG: u32 = 256u;
override HAS_POST_NORM: bool = true;
override HAS_SCALE: bool = false;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let row = wid.x + wid.y * nwg.x;
    if (row >= p.rows) {
        return;
    }
    let base = row * p.n;
    var post_scale = 1.0;
    if (HAS_POST_NORM) {
        var ss = 0.0;
        for (var i = lid; i < p.n; i += WG) {
            let v = f[base + i];
            ss += v * v;
        }
        post_scale = inverseSqrt(workgroup_sum(lid, ss) / f32(p.n) + p.eps);
    }
    var layer_scale = 1.0;
    if (HAS_SCALE) {
        layer_scale = s[0];
    }
    var ss_x = 0.0;
    for (var i = lid; i < p.n; i += WG) {
        var g = f[base + i];
        if (HAS_POST_NORM) {
            g = g * post_scale * w_post[i];
        }
        let v = (x[base + i] + g) * layer_scale;
        x[base + i] = v;
        ss_x += v * v;
    }
    let next_scale = inverseSqrt(workgroup_sum(lid, ss_x) / f32(p.n) + p.eps);
    for (var i = lid; i < p.n; i += WG) {
        y[base + i] = x[base + i] * next_scale * w_next[i];
    }
}

#include "reduce"
