// Attention over a KV cache, flash style (online softmax over tiles of keys, never a T x T score matrix), for decode
// (T = 1) and prefill (T > 1) alike, with split-K ("flash decoding") so that long contexts spread over workgroups.
//
//   query t (t < tokens) sits at position P_t = step[0] + t and sees the keys at positions k with
//       first(P_t) <= k <= P_t,   first(P) = window > 0 ? max(0, P - window + 1) : 0     (W keys including itself)
//   key position k lives in cache slot k % ring (a ring for sliding layers, linear when ring > every position)
//   GQA: query head h reads kv head h / (heads / kv_heads)
//   out[t, h] = sum_k softmax_k(scale * q[t, h] . K[k]) V[k]
//
// Shapes: q, out are [tokens][heads][HD]; k_cache, v_cache are [ring][kv_heads][HD]; part is
// [tokens][heads][splits][HD + 2] (per split: running max m, sum l, unnormalised accumulator).
// The cache must already hold this batch's keys (kv_write.wgsl runs first). For a sliding layer a batch of T tokens
// needs ring >= window + T - 1, or its own writes would evict keys its first queries still see.
// Bindings (the same seven for both entry points, so one set of tensors serves both pipelines): 0 uniform Params,
// 1 step (read, u32: [0] = position of query 0), 2 q (read), 3 k_cache (read), 4 v_cache (read),
// 5 part (read_write), 6 out (read_write).
//
// Entry point `partial`: one workgroup per (block of BQ queries, head, split). Its key range is the union of its
// queries' ranges, cut into `splits` equal pieces; it walks its piece in tiles of BK = WG / BQ keys:
//   invocation (qi, kj) = (lid / BK, lid % BK) scores query qi against key kj of the tile (a full HD dot product),
//   a segmented tree reduction gives each query's tile maximum, the running max/sum are rescaled (online softmax),
//   then the same invocation, as owner of dims kj, kj + BK, ... of query qi, accumulates p * V over the tile.
// With splits == 1 it writes out directly; otherwise it writes (m, l, acc) to part and `combine` (one workgroup per
// (query, head), invocations over dims) merges the splits: M = max m_s, out = sum e^(m_s - M) acc_s / sum e^(m_s - M) l_s.
// Work: every (query, key) pair costs 2 HD FMAs once; K and V rows are read once per workgroup (BQ queries share
// them), and a decode step of N keys runs on heads * splits workgroups of ~N / splits keys each.
// Overrides: HD head dim, BQ queries per workgroup, WG invocations (WG / BQ a power of two; HD <= MAX_DPT * WG / BQ).
// Masked scores use -1e30 rather than -inf, and masked probabilities are set to exactly 0, so no inf - inf arises.

struct Params {
    tokens: u32,
    heads: u32,
    kv_heads: u32,
    window: u32,
    ring: u32,
    splits: u32,
    scale: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> step: array<u32>;
@group(0) @binding(2) var<storage, read> q: array<f32>;
@group(0) @binding(3) var<storage, read> k_cache: array<f32>;
@group(0) @binding(4) var<storage, read> v_cache: array<f32>;
@group(0) @binding(5) var<storage, read_write> part: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;

override HD: u32 = 256u;
override BQ: u32 = 1u;
override WG: u32 = 256u;

const MAX_DPT: u32 = 16u;
const NEG: f32 = -1.0e30;

var<workgroup> scores: array<f32, WG>;
var<workgroup> red: array<f32, WG>;
var<workgroup> slots: array<u32, WG>;

fn first_key(pos: u32) -> u32 {
    if (p.window > 0u && pos + 1u > p.window) {
        return pos + 1u - p.window;
    }
    return 0u;
}

// Max (or sum) over each segment of BK consecutive invocations; every invocation gets its segment's result.
fn segment_reduce(lid: u32, bk: u32, v: f32, is_max: bool) -> f32 {
    red[lid] = v;
    workgroupBarrier();
    for (var stride = bk / 2u; stride > 0u; stride >>= 1u) {
        if ((lid % bk) < stride) {
            if (is_max) {
                red[lid] = max(red[lid], red[lid + stride]);
            } else {
                red[lid] = red[lid] + red[lid + stride];
            }
        }
        workgroupBarrier();
    }
    let r = red[lid - lid % bk];
    workgroupBarrier();
    return r;
}

@compute @workgroup_size(WG)
fn partial(@builtin(workgroup_id) wid: vec3<u32>,
           @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
    let bk = WG / BQ;
    let splits = p.splits;
    let blocks = (p.tokens + BQ - 1u) / BQ;
    let idx = wid.x + wid.y * nwg.x;
    if (idx >= blocks * p.heads * splits) {
        return;
    }
    let s = idx % splits;
    let h = (idx / splits) % p.heads;
    let t0 = (idx / (splits * p.heads)) * BQ;
    let kvh = h / (p.heads / p.kv_heads);
    let qi = lid / bk;
    let kj = lid % bk;
    let t = t0 + qi;
    let row_valid = t < p.tokens;
    let p0 = step[0];

    // this split's piece of the block's key range [first(P_t0), P_last]
    let lo = first_key(p0 + t0);
    let hi = p0 + min(t0 + BQ, p.tokens) - 1u;
    let per = (hi - lo + 1u + splits - 1u) / splits;
    let k_begin = lo + s * per;
    let k_end = min(k_begin + per, hi + 1u);

    let my_pos = p0 + t;
    let my_first = first_key(my_pos);
    let q_base = (t * p.heads + h) * HD;

    var m = NEG;
    var l = 0.0;
    var acc: array<f32, MAX_DPT>;
    for (var j = 0u; j < MAX_DPT; j++) {
        acc[j] = 0.0;
    }

    for (var k0 = k_begin; k0 < k_end; k0 += bk) {
        let key = k0 + kj;
        let slot = key % p.ring;
        let valid = row_valid && key < k_end && key >= my_first && key <= my_pos;
        if (qi == 0u) {
            slots[kj] = slot;
        }
        var sv = NEG;
        if (valid) {
            let k_base = (slot * p.kv_heads + kvh) * HD;
            // four interleaved partial sums: independent FMA chains, and a smaller rounding walk than one chain
            var acc4 = vec4<f32>(0.0);
            var d = 0u;
            for (; d + 4u <= HD; d += 4u) {
                acc4 += vec4<f32>(q[q_base + d], q[q_base + d + 1u], q[q_base + d + 2u], q[q_base + d + 3u])
                      * vec4<f32>(k_cache[k_base + d], k_cache[k_base + d + 1u], k_cache[k_base + d + 2u], k_cache[k_base + d + 3u]);
            }
            var dot = (acc4.x + acc4.y) + (acc4.z + acc4.w);
            for (; d < HD; d++) {
                dot += q[q_base + d] * k_cache[k_base + d];
            }
            sv = p.scale * dot;
        }
        let m_new = max(m, segment_reduce(lid, bk, sv, true));
        let corr = exp(m - m_new);
        var pv = 0.0;
        if (valid) {
            pv = exp(sv - m_new);
        }
        scores[lid] = pv;
        l = l * corr + pv;
        m = m_new;
        workgroupBarrier();
        let nk = min(bk, k_end - k0);
        for (var j = 0u; j < MAX_DPT; j++) {
            let d = kj + j * bk;
            if (d < HD) {
                var a = acc[j] * corr;
                for (var kk = 0u; kk < nk; kk++) {
                    a += scores[qi * bk + kk] * v_cache[(slots[kk] * p.kv_heads + kvh) * HD + d];
                }
                acc[j] = a;
            }
        }
        workgroupBarrier();
    }

    let total = segment_reduce(lid, bk, l, false);
    if (!row_valid) {
        return;
    }
    if (splits == 1u) {
        let inv = select(0.0, 1.0 / total, total > 0.0);
        for (var j = 0u; j < MAX_DPT; j++) {
            let d = kj + j * bk;
            if (d < HD) {
                out[q_base + d] = acc[j] * inv;
            }
        }
        return;
    }
    let base = ((t * p.heads + h) * splits + s) * (HD + 2u);
    if (kj == 0u) {
        part[base] = m;
        part[base + 1u] = total;
    }
    for (var j = 0u; j < MAX_DPT; j++) {
        let d = kj + j * bk;
        if (d < HD) {
            part[base + 2u + d] = acc[j];
        }
    }
}

@compute @workgroup_size(WG)
fn combine(@builtin(workgroup_id) wid: vec3<u32>,
           @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
    let row = wid.x + wid.y * nwg.x;       // t * heads + h
    if (row >= p.tokens * p.heads) {
        return;
    }
    let splits = p.splits;
    let stride = HD + 2u;
    let base = row * splits * stride;
    var mx = NEG;
    for (var s = 0u; s < splits; s++) {
        mx = max(mx, part[base + s * stride]);
    }
    var total = 0.0;
    for (var s = 0u; s < splits; s++) {
        total += exp(part[base + s * stride] - mx) * part[base + s * stride + 1u];
    }
    let inv = select(0.0, 1.0 / total, total > 0.0);
    for (var d = lid; d < HD; d += WG) {
        var a = 0.0;
        for (var s = 0u; s < splits; s++) {
            a += exp(part[base + s * stride] - mx) * part[base + s * stride + 2u + d];
        }
        out[row * HD + d] = a * inv;
    }
}
