// MoE router tail (Gemma 4 26B-A4B): from the router logits of each row, the top-k experts and their weights.
//
//   top   = the k largest logits (ties to the lower expert id; NaN and -inf never chosen), best first
//   w_j   = softmax(logits)[top_j] / sum_{j' < k} softmax(logits)[top_j']  =  exp(v_j - v_0) / sum_j' exp(v_j' - v_0)
//   weight[r, j] = w_j * (HAS_EXPERT_SCALE ? expert_scale[top_j] : 1);   ids[r, j] = top_j
//
// (softmax over all E followed by renormalisation over the k chosen equals a softmax over the chosen logits; the
// per-expert scale is HF's per_expert_scale, llama.cpp's ffn_down_exps.scale.)
// Shapes: logits [rows][experts] f32; expert_scale [experts] f32; ids [rows][k] u32; weight [rows][k] f32; k <= 64.
// Bindings: 0 uniform Params, 1 logits (read), 2 expert_scale (read), 3 ids (read_write), 4 weight (read_write).
// One workgroup per row (folded over (x, y)); k rounds of a workgroup pick, each strictly after the previous pick.

struct Params {
    experts: u32,
    k: u32,
    rows: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> expert_scale: array<f32>;
@group(0) @binding(3) var<storage, read_write> ids: array<u32>;
@group(0) @binding(4) var<storage, read_write> weight: array<f32>;

override WG: u32 = 128u;
override HAS_EXPERT_SCALE: bool = true;

const MAX_K: u32 = 64u;

var<workgroup> top_v: array<f32, MAX_K>;
var<workgroup> top_i: array<u32, MAX_K>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let row = wid.x + wid.y * nwg.x;
    if (row >= p.rows) {
        return;
    }
    let base = row * p.experts;
    var pv = 0.0;
    var pi = NONE;
    for (var r = 0u; r < p.k; r++) {
        var bv = 0.0;
        var bi = NONE;
        for (var e = lid; e < p.experts; e += WG) {
            let v = logits[base + e];
            if (selectable(v) && pick_after(v, e, pv, pi, r == 0u) && pick_before(v, e, bv, bi)) {
                bv = v;
                bi = e;
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
    let v0 = top_v[0];
    var total = 0.0;
    for (var j = 0u; j < p.k; j++) {
        if (top_i[j] != NONE) {
            total += exp(top_v[j] - v0);
        }
    }
    for (var j = 0u; j < p.k; j++) {
        let e = top_i[j];
        var w = 0.0;
        if (e != NONE) {
            w = exp(top_v[j] - v0) / total;
            if (HAS_EXPERT_SCALE) {
                w *= expert_scale[e];
            }
        }
        ids[row * p.k + j] = e;
        weight[row * p.k + j] = w;
    }
}

#include "topk_select"
