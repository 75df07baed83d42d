// Embedding gather: the rows of a GGUF table for token ids that live on the GPU (the sampler's output), dequantized
// and scaled, so decode needs no round trip through the CPU.
//
//   out[t, i] = dequant(table row ids[t], element i) * scale        t < tokens, i < dim
//
// Gemma: token_embd with scale sqrt(d); per_layer_token_embd (rows of L*256) with scale sqrt(256) = 16.
// The table is raw GGUF bytes viewed as u32 words; TYPE is the ggml type id: 0 F32, 1 F16, 30 BF16, 8 Q8_0 (blocks of
// 32 in 34 bytes: f16 d, i8 q[32]), 14 Q6_K (blocks of 256 in 210 bytes: ql[128], qh[64], i8 scales[16], f16 d).
// Dequantization repeats gguf-loader's reference operation for operation in f32 (and decodes f16 with integer ops,
// subnormals included), so the result is bit-exact with it.
// A table larger than one storage binding is bound in windows: this dispatch sees rows first_row ..
// first_row + row_count - 1, the first of them starting byte_offset bytes into the bound window (which starts at an
// aligned offset at or before it). Tokens outside the window are left to the dispatch whose window holds them.
// Shapes: ids [tokens] u32; table [window bytes / 4] u32; out [tokens][dim] f32.
// Bindings: 0 uniform Params, 1 ids (read), 2 table (read), 3 out (read_write). One invocation per output element.

struct Params {
    dim: u32,
    tokens: u32,
    row_bytes: u32,
    first_row: u32,
    row_count: u32,
    byte_offset: u32,
    scale: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read> table: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

override WG: u32 = 256u;
override TYPE: u32 = 0u;

fn byte_at(b: u32) -> u32 {
    return (table[b >> 2u] >> ((b & 3u) * 8u)) & 0xFFu;
}

fn i8_at(b: u32) -> i32 {
    return bitcast<i32>(byte_at(b) << 24u) >> 24u;
}

// b is even: a u16 never straddles two words.
fn u16_at(b: u32) -> u32 {
    return (table[b >> 2u] >> ((b & 2u) * 8u)) & 0xFFFFu;
}

fn f16_to_f32(h: u32) -> f32 {
    let sign = (h & 0x8000u) << 16u;
    let e = (h >> 10u) & 0x1Fu;
    let m = h & 0x3FFu;
    if (e == 0u) {
        let mag = f32(m) * 5.9604644775390625e-8;   // m * 2^-24, exact
        return select(mag, -mag, sign != 0u);
    }
    if (e == 31u) {
        return bitcast<f32>(sign | 0x7F800000u | (m << 13u));
    }
    return bitcast<f32>(sign | ((e + 112u) << 23u) | (m << 13u));
}

fn dequant(b0: u32, i: u32) -> f32 {
    switch (TYPE) {
        case 0u: {
            return bitcast<f32>(table[(b0 >> 2u) + i]);
        }
        case 1u: {
            return f16_to_f32(u16_at(b0 + 2u * i));
        }
        case 30u: {
            return bitcast<f32>(u16_at(b0 + 2u * i) << 16u);
        }
        case 8u: {
            let bb = b0 + (i / 32u) * 34u;
            let d = f16_to_f32(u16_at(bb));
            return f32(i8_at(bb + 2u + i % 32u)) * d;
        }
        default: { // 14u, Q6_K
            let bb = b0 + (i / 256u) * 210u;
            let e = i % 256u;
            let h = e / 128u;
            let q4 = (e % 128u) / 32u;
            let l = e % 32u;
            let lo = (byte_at(bb + 64u * h + 32u * (q4 & 1u) + l) >> ((q4 >> 1u) * 4u)) & 0xFu;
            let hi = (byte_at(bb + 128u + 32u * h + l) >> (2u * q4)) & 3u;
            let dl = f16_to_f32(u16_at(bb + 208u)) * f32(i8_at(bb + 192u + e / 16u));
            return dl * f32(i32(lo | (hi << 4u)) - 32);
        }
    }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let idx = (wid.x + wid.y * nwg.x) * WG + lid;
    if (idx >= p.tokens * p.dim) {
        return;
    }
    let t = idx / p.dim;
    let i = idx % p.dim;
    let id = ids[t];
    if (id < p.first_row || id - p.first_row >= p.row_count) {
        return;
    }
    let b0 = (id - p.first_row) * p.row_bytes + p.byte_offset;
    out[idx] = dequant(b0, i) * p.scale;
}
