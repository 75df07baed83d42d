// MoE expert output accumulation on the all-experts path (private to the Gemma GPU model; the by-id path sums in
// matvec_quant_id.wgsl):
//
//   acc[t, i] += c[t] * y[t, i],   c[t] = sum_j (ids[t, j] == expert ? weight[t, j] : 0)     t < tokens, i < dim
//
// y is expert `expert`'s down projection for every token; tokens that did not route to it add 0 * y (exact: y is finite).
// Shapes: ids [tokens][k] u32, weight [tokens][k] f32 (MoeRouter's outputs), y and acc [tokens][dim] f32.
// Bindings: 0 uniform Params, 1 ids (read), 2 weight (read), 3 y (read), 4 acc (read_write). One invocation per
// element, workgroups folded over (x, y).

struct Params {
    dim: u32,
    tokens: u32,
    k: u32,
    expert: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> acc: array<f32>;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let g = (wid.x + wid.y * nwg.x) * WG + lid;
    if (g >= p.dim * p.tokens) {
        return;
    }
    let t = g / p.dim;
    var c = 0.0;
    for (var j = 0u; j < p.k; j++) {
        if (ids[t * p.k + j] == p.expert) {
            c += weight[t * p.k + j];
        }
    }
    if (c != 0.0) {
        acc[g] = acc[g] + c * y[g];
    }
}
