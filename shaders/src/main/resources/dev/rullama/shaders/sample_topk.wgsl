// Stochastic sampling on the GPU: top-k (k <= 64), temperature, top-p, min-p and one draw per output from a
// counter-based RNG, in the CPU sampler's order (dev.rullama.gemma.sampling.Sampler; penalties are not applied here).
//
//   candidates  the k largest logits (ties to the lower id; NaN and -inf never), sorted, c_0 first
//   w_j         exp((v_j - v_0) / temperature);  prob_j = w_j / sum w
//   top-p       keep the smallest prefix whose prob sum reaches top_p (at least one); top_p >= 1 keeps all
//   min-p       then keep the prefix with prob_j >= min_p * prob_0; min_p <= 0 keeps all
//   draw d      u = uniform(seed, step[1] + d) in [0, 1); token[d] = the first kept j with u * sum_kept w < w_0..w_j
//   uniform(seed, c) = (pcg(pcg(seed) ^ c) >> 8) * 2^-24, pcg = the PCG-RXS-M-XS hash (Jarzynski & Olano 2020),
//   repeated bit for bit by TopKSampler.uniform in Java.
//
// partial: workgroup g finds the k best of logits[g*chunk .. (g+1)*chunk) in k rounds; round r picks the best element
//          strictly after round r-1's pick (so nothing needs marking) -> part[g][r] = (value bits, index).
// merge:   one workgroup runs the same k rounds over the groups * k candidates, then invocation 0 does the arithmetic
//          above for `draws` draws (several draws with consecutive counters serve tests and speculative decoding).
// Work: k * n reads in partial (k passes over each chunk, cached), k * groups * k in merge. Greedy decoding uses
// argmax.wgsl instead (temperature 0 has no w_j).
// Shapes: logits [n] f32; part [groups][k][2] u32; token [draws] u32 (0xFFFFFFFF when no logit was selectable).
// Bindings (shared by both entry points): 0 uniform Params, 1 step (read, u32: [1] = RNG counter), 2 logits (read),
// 3 part (read_write), 4 token (read_write).

struct Params {
    n: u32,
    chunk: u32,
    groups: u32,
    top_k: u32,
    inv_temperature: f32,
    top_p: f32,
    min_p: f32,
    seed: u32,
    draws: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> step: array<u32>;
@group(0) @binding(2) var<storage, read> logits: array<f32>;
@group(0) @binding(3) var<storage, read_write> part: array<u32>;
@group(0) @binding(4) var<storage, read_write> token: array<u32>;

override WG: u32 = 256u;

const MAX_K: u32 = 64u;

var<workgroup> top_v: array<f32, MAX_K>;
var<workgroup> top_i: array<u32, MAX_K>;

fn pcg(v: u32) -> u32 {
    let state = v * 747796405u + 2891336453u;
    let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

fn uniform01(seed: u32, counter: u32) -> f32 {
    return f32(pcg(pcg(seed) ^ counter) >> 8u) * 5.9604644775390625e-8;
}

@compute @workgroup_size(WG)
fn partial(@builtin(workgroup_id) wid: vec3<u32>,
           @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
    let g = wid.x + wid.y * nwg.x;
    if (g >= p.groups) {
        return;
    }
    let begin = g * p.chunk;
    let end = min(p.n, begin + p.chunk);
    var pv = 0.0;
    var pi = NONE;
    for (var r = 0u; r < p.top_k; r++) {
        var bv = 0.0;
        var bi = NONE;
        if (r == 0u || pi != NONE) {
            for (var i = begin + lid; i < end; i += WG) {
                let v = logits[i];
                if (selectable(v) && pick_after(v, i, pv, pi, r == 0u) && pick_before(v, i, bv, bi)) {
                    bv = v;
                    bi = i;
                }
            }
        }
        let best = workgroup_pick(lid, bv, bi);
        pv = best.v;
        pi = best.i;
        if (lid == 0u) {
            let o = 2u * (g * p.top_k + r);
            part[o] = bitcast<u32>(pv);
            part[o + 1u] = pi;
        }
    }
}

@compute @workgroup_size(WG)
fn merge(@builtin(local_invocation_index) lid: u32) {
    let candidates = p.groups * p.top_k;
    var pv = 0.0;
    var pi = NONE;
    for (var r = 0u; r < p.top_k; r++) {
        var bv = 0.0;
        var bi = NONE;
        if (r == 0u || pi != NONE) {
            for (var c = lid; c < candidates; c += WG) {
                let v = bitcast<f32>(part[2u * c]);
                let i = part[2u * c + 1u];
                if (i != NONE && pick_after(v, i, pv, pi, r == 0u) && pick_before(v, i, bv, bi)) {
                    bv = v;
                    bi = i;
                }
            }
        }
        let best = workgroup_pick(lid, bv, bi);
        pv = best.v;
        pi = best.i;
        if (lid == 0u) {
            top_v[r] = pv;
            top_i[r] = pi;
        }
    }
    if (lid != 0u) {
        return;
    }
    var count = 0u;
    while (count < p.top_k && top_i[count] != NONE) {
        count++;
    }
    if (count == 0u) {
        for (var d = 0u; d < p.draws; d++) {
            token[d] = NONE;
        }
        return;
    }
    // weights, reusing top_v (w_j replaces v_j once v_0 is read)
    let v0 = top_v[0];
    var total = 0.0;
    for (var j = 0u; j < count; j++) {
        let w = exp((top_v[j] - v0) * p.inv_temperature);
        top_v[j] = w;
        total += w;
    }
    var keep = count;
    if (p.top_p < 1.0) {
        var cum = 0.0;
        for (var j = 0u; j < count; j++) {
            cum += top_v[j] / total;
            if (cum >= p.top_p) {
                keep = j + 1u;
                break;
            }
        }
    }
    if (p.min_p > 0.0) {
        let threshold = p.min_p * (top_v[0] / total);
        var k = 1u;
        while (k < keep && top_v[k] / total >= threshold) {
            k++;
        }
        keep = k;
    }
    var kept = 0.0;
    for (var j = 0u; j < keep; j++) {
        kept += top_v[j];
    }
    for (var d = 0u; d < p.draws; d++) {
        let goal = uniform01(p.seed, step[1] + d) * kept;
        var chosen = keep - 1u;
        var cum = 0.0;
        for (var j = 0u; j < keep; j++) {
            cum += top_v[j];
            if (goal < cum) {
                chosen = j;
                break;
            }
        }
        token[d] = top_i[chosen];
    }
}

#include "topk_select"
