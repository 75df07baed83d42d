// Rotary position embedding, NeoX pairing (HF rotate_half), in place, for T consecutive positions.
//
//   pos_t   = (step[0] + t) * pos_scale                     t < tokens
//   theta_i = pos_t * theta_base^(-2i / n_rot) / factor[i]   i < n_rot / 2   (factor = 1 without HAS_FACTORS)
//   a = x[t, h, i], b = x[t, h, i + n_rot/2]
//   x[t, h, i]           = a cos(theta_i) - b sin(theta_i)
//   x[t, h, i + n_rot/2] = b cos(theta_i) + a sin(theta_i)
//   dims n_rot .. head_dim are left as they are.
//
// Gemma uses it as: sliding layers n_rot = head_dim = 256, base 1e4; Gemma 4 full layers n_rot = 512, base 1e6 with
// rope_freqs as factors (1.0 for i < 64, 1e30 beyond, which leaves those pairs unrotated: the "proportional" RoPE);
// Gemma 3 global layers with linear scaling x8 use pos_scale = 1/8.
// The host passes log2(theta_base) (computed in double), which spares the GPU's log2 error.
// Shapes: x is [tokens][heads][head_dim] f32; factor is [n_rot / 2] f32 (bound but unread without HAS_FACTORS).
// The first position comes from a storage word, so one bind group serves every decode step: the host (or a GPU
// kernel) rewrites step[0] and nothing else.
// Bindings: 0 uniform Params, 1 step (read, u32: [0] = position of token 0), 2 factor (read), 3 x (read_write).
// One invocation per (token, head, pair), WG per workgroup, workgroups folded over (x, y).
// Precision: the angle is an f32 product, as in HF and ggml, so it carries a relative error of ~2^-24 (about 0.01 rad
// at position 1e5); it is then reduced to [-pi, pi] in two steps (Cody-Waite) before cos/sin, whose accuracy is only
// specified on that interval.

struct Params {
    tokens: u32,
    heads: u32,
    head_dim: u32,
    n_rot: u32,
    log2_base: f32,
    pos_scale: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> step: array<u32>;
@group(0) @binding(2) var<storage, read> factor: array<f32>;
@group(0) @binding(3) var<storage, read_write> x: array<f32>;

override WG: u32 = 64u;
override HAS_FACTORS: bool = false;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let half = p.n_rot / 2u;
    let idx = (wid.x + wid.y * nwg.x) * WG + lid;
    if (idx >= p.tokens * p.heads * half) {
        return;
    }
    let i = idx % half;
    let row = idx / half;              // t * heads + h
    let t = row / p.heads;
    let cs = rope_cos_sin(t, i);
    let c = cs.x;
    let s = cs.y;
    let base = row * p.head_dim;
    let a = x[base + i];
    let b = x[base + i + half];
    x[base + i] = a * c - b * s;
    x[base + i + half] = b * c + a * s;
}

#include "rope_math"
