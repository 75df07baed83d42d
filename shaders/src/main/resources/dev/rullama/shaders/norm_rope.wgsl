// Per-head RMSNorm fused with RoPE (and, for keys and values, with the KV cache write): one dispatch where the
// unfused forward pass needs two (queries: q_norm, rope) or four (keys and values: k_norm, rope, v_norm, kv_write).
//
//   n[t, h, :] = x[t, h, :] / sqrt(mean(x[t, h, :]^2) + eps) * w          (w: the [head_dim] norm weight)
//   out[t, h, :] = RoPE(n[t, h, :])  as rope.wgsl: pairs (i, i + n_rot/2) for i < n_rot/2 rotate by theta_i at
//                  position step[0] + t (rope_math.wgsl); dims n_rot .. head_dim keep n
//
// main_q:  y[t, h, :] = out[t, h, :]                                    (queries; y is [tokens][heads][head_dim])
// main_kv: k_cache[slot_t, h, :] = out[t, h, :] of the keys x, and
//          v_cache[slot_t, h, :] = v[t, h, :] / sqrt(mean(v[t, h, :]^2) + eps)   (V-norm, no weight; a plain copy
//          without V_NORM), slot_t = (step[0] + t) % ring, as kv_write.wgsl. K = V layers bind the raw keys as v.
//
// Every value goes through the same f32 operations as rmsnorm.wgsl followed by rope.wgsl (x * scale, then * w, then
// a * cos - b * sin), so only the order of the sum of squares differs from the unfused kernels.
// Bindings: 0 uniform Params, 1 step (read, u32: [0] = position of token 0), 2 factor (read; RoPE divisors, bound
// but unread without HAS_FACTORS), 3 w (read), 4 x (read), 5 y (read_write: the queries' output for main_q, the key
// cache for main_kv); main_kv also 6 v (read), 7 v_cache (read_write).
// One workgroup per (token, head), folded over (x, y); WG a power of two.

struct Params {
    tokens: u32,
    heads: u32,
    head_dim: u32,
    n_rot: u32,
    log2_base: f32,
    pos_scale: f32,
    eps: f32,
    ring: u32,     // main_kv: slots of the cache (the capacity for full layers)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> step: array<u32>;
@group(0) @binding(2) var<storage, read> factor: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read> v: array<f32>;
@group(0) @binding(7) var<storage, read_write> v_cache: array<f32>;

override WG: u32 = 128u;
override HAS_FACTORS: bool = false;
override V_NORM: bool = true;

// 1 / RMS of x[base .. base + head_dim), from every invocation of the workgroup.
fn inv_rms_x(lid: u32, base: u32) -> f32 {
    var acc = 0.0;
    for (var i = lid; i < p.head_dim; i += WG) {
        let e = x[base + i];
        acc += e * e;
    }
    return inverseSqrt(workgroup_sum(lid, acc) / f32(p.head_dim) + p.eps);
}

fn normed(base: u32, i: u32, scale: f32) -> f32 {
    return x[base + i] * scale * w[i];
}

// Element i of the normalized and rotated head x[base ..] of token t.
fn norm_rope_at(base: u32, t: u32, i: u32, scale: f32) -> f32 {
    let half = p.n_rot / 2u;
    if (i >= p.n_rot) {
        return normed(base, i, scale);
    }
    let j = select(i, i - half, i >= half);
    let cs = rope_cos_sin(t, j);
    let a = normed(base, j, scale);
    let b = normed(base, j + half, scale);
    return select(a * cs.x - b * cs.y, b * cs.x + a * cs.y, i >= half);
}

@compute @workgroup_size(WG)
fn main_q(@builtin(workgroup_id) wid: vec3<u32>,
          @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
    let row = wid.x + wid.y * nwg.x;   // t * heads + h
    if (row >= p.tokens * p.heads) {
        return;
    }
    let base = row * p.head_dim;
    let scale = inv_rms_x(lid, base);
    let t = row / p.heads;
    for (var i = lid; i < p.head_dim; i += WG) {
        y[base + i] = norm_rope_at(base, t, i, scale);
    }
}

@compute @workgroup_size(WG)
fn main_kv(@builtin(workgroup_id) wid: vec3<u32>,
           @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
    let row = wid.x + wid.y * nwg.x;   // t * heads + h
    if (row >= p.tokens * p.heads) {
        return;
    }
    let base = row * p.head_dim;
    let t = row / p.heads;
    let h = row % p.heads;
    let dst = ((step[0] + t) % p.ring) * p.heads * p.head_dim + h * p.head_dim;
    let scale = inv_rms_x(lid, base);
    for (var i = lid; i < p.head_dim; i += WG) {
        y[dst + i] = norm_rope_at(base, t, i, scale);
    }
    var vscale = 1.0;
    if (V_NORM) {
        var acc = 0.0;
        for (var i = lid; i < p.head_dim; i += WG) {
            let e = v[base + i];
            acc += e * e;
        }
        vscale = inverseSqrt(workgroup_sum(lid, acc) / f32(p.head_dim) + p.eps);
    }
    for (var i = lid; i < p.head_dim; i += WG) {
        v_cache[dst + i] = select(v[base + i], v[base + i] * vscale, V_NORM);
    }
}

#include "reduce"
#include "rope_math"
