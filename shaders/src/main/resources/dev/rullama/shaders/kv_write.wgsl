// KV cache write: stores this batch's keys and values (after K-norm, RoPE and V-norm) in their cache slots.
//
//   slot_t = (step[0] + t) % ring                          t < tokens
//   k_cache[slot_t, :] = k[t, :];  v_cache[slot_t, :] = v[t, :]      (a row is kv_heads * head_dim floats)
//
// Sliding layers use a ring (ring >= window, and >= window + tokens - 1 when a prefill batch of `tokens` is written
// before it is attended, see attention_flash.wgsl); full layers pass ring = the cache's capacity, which makes the
// slot the position itself. tokens <= ring, so no two tokens of a batch share a slot.
// Shapes: k, v are [tokens][row]; k_cache, v_cache are [ring][row], row = kv_heads * head_dim; all f32.
// Bindings: 0 uniform Params, 1 step (read, u32: [0] = position of token 0), 2 k (read), 3 v (read),
// 4 k_cache (read_write), 5 v_cache (read_write). One invocation per element, workgroups folded over (x, y).

struct Params {
    row: u32,
    tokens: u32,
    ring: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> step: array<u32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read_write> k_cache: array<f32>;
@group(0) @binding(5) var<storage, read_write> v_cache: array<f32>;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = (wid.x + wid.y * nwg.x) * WG + lid;
    if (i >= p.tokens * p.row) {
        return;
    }
    let t = i / p.row;
    let e = i % p.row;
    let dst = ((step[0] + t) % p.ring) * p.row + e;
    k_cache[dst] = k[i];
    v_cache[dst] = v[i];
}
