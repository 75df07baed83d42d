// RoPE angles, included by kernels with `#include "rope_math"` (at the end of the file).
//
//   rope_cos_sin(t, i) = (cos, sin) of theta_i at token t of the batch:
//   pos = (step[0] + t) * pos_scale,  theta_i = pos * theta_base^(-2i / n_rot) / factor[i]   (factor = 1 without HAS_FACTORS)
//
// Needs the includer's `p` (fields n_rot, log2_base, pos_scale), `step` (u32 storage, [0] = position of token 0),
// `factor` (f32 storage) and `override HAS_FACTORS: bool`.
// The angle is an f32 product, as in HF and ggml; it is reduced to [-pi, pi] in two steps (Cody-Waite) before
// cos/sin, whose accuracy is only specified on that interval.

// 2*pi = TWO_PI_HI + TWO_PI_LO; TWO_PI_HI has 8 significant bits, so k * TWO_PI_HI is exact for |k| < 2^16.
const TWO_PI_HI: f32 = 6.28125;
const TWO_PI_LO: f32 = 0.0019353071693331003;
const INV_TWO_PI: f32 = 0.15915493667125702;

fn reduce_angle(a: f32) -> f32 {
    let k = round(a * INV_TWO_PI);
    return (a - k * TWO_PI_HI) - k * TWO_PI_LO;
}

fn rope_cos_sin(t: u32, i: u32) -> vec2<f32> {
    let pos = f32(step[0] + t) * p.pos_scale;
    var inv_freq = exp2(-(f32(2u * i) / f32(p.n_rot)) * p.log2_base);
    if (HAS_FACTORS) {
        inv_freq = inv_freq / factor[i];
    }
    let angle = reduce_angle(pos * inv_freq);
    return vec2<f32>(cos(angle), sin(angle));
}
