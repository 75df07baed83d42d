// Greedy sampling on the GPU: the index of the largest logit, ties to the lowest index, NaN and -inf never chosen
// (dev.rullama.gemma.sampling.Sampler.argmax), written as one u32 token id that embed.wgsl can read directly.
//
//   partial: workgroup g scans logits[g*chunk .. min(n, (g+1)*chunk)) -> part[g] = (value bits, index)
//   merge:   one workgroup reduces part[0 .. groups) -> token[0]   (0xFFFFFFFF when nothing was selectable)
//
// Shapes: logits [n] f32 (n up to 2^32 - 2); part [groups][2] u32; token [1] u32. groups * chunk >= n.
// Bindings (shared by both entry points): 0 uniform Params, 1 logits (read), 2 part (read_write),
// 3 token (read_write). partial runs on `groups` workgroups (folded over (x, y)), merge on one.
// Work: n reads, spread over groups * WG invocations; the final step reads 2 * groups words. Lower indices are
// preferred on ties at every level (strided scan keeps the first, the tree keeps the lower), so the result equals a
// left-to-right scan.

struct Params {
    n: u32,
    chunk: u32,
    groups: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> part: array<u32>;
@group(0) @binding(3) var<storage, read_write> token: array<u32>;

override WG: u32 = 256u;

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
    var bv = 0.0;
    var bi = NONE;
    for (var i = begin + lid; i < end; i += WG) {
        let v = logits[i];
        if (selectable(v) && pick_before(v, i, bv, bi)) {
            bv = v;
            bi = i;
        }
    }
    let best = workgroup_pick(lid, bv, bi);
    if (lid == 0u) {
        part[2u * g] = bitcast<u32>(best.v);
        part[2u * g + 1u] = best.i;
    }
}

@compute @workgroup_size(WG)
fn merge(@builtin(local_invocation_index) lid: u32) {
    var bv = 0.0;
    var bi = NONE;
    for (var g = lid; g < p.groups; g += WG) {
        let v = bitcast<f32>(part[2u * g]);
        let i = part[2u * g + 1u];
        if (pick_before(v, i, bv, bi)) {
            bv = v;
            bi = i;
        }
    }
    let best = workgroup_pick(lid, bv, bi);
    if (lid == 0u) {
        token[0] = best.i;
    }
}

#include "topk_select"
