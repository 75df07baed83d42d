// Block decoders for the quantized matrix kernels, included by matvec_quant.wgsl and matmul_quant.wgsl
// (`#include "matvec_blocks"` at the end of the includer). One function per ggml type decodes one *unit*:
//
//   decode_unit(blk, k) = the 8 weights of unit k (0 <= k < UNITS) of the block starting at byte blk of W,
//                         as two groups of 4 consecutive elements: lo at element lo_at of the block, hi at hi_at.
//
// A unit is what one thread decodes from one aligned-size load of packed quants (4 bytes of nibbles, 8 bytes of
// int8, ...), following each type's natural layout (ggml-common.h), so a weight byte is fetched by one thread once.
// Units are numbered so that units [16i, 16i+16) of a row cover exactly its elements [128i, 128i+128): the
// prefill kernel relies on it to stage x in chunks of 128.
//
// Values are computed operation by operation as ggml's dequantize_row_* (and dev.rullama.gguf.quant.*) do, in f32:
// f16 scales are converted exactly (subnormals included, f16_at), so every weight equals the reference's bit for bit,
// except that a GPU compiler may contract `d * q + m` into one fused multiply-add (one rounding instead of two,
// at most 1/2 ulp of the larger term: far below the f32 accumulation error the tolerance allows).
//
// W is a storage array<u32> holding the GGUF bytes exactly as in the file (little-endian, blocks packed back to
// back, so a 34-byte Q8_0 or 17-byte MXFP4 block starts at any byte). The loaders below extract bytes, halves and
// unaligned words from whole words and never touch a word that holds none of the requested bytes.
//
// Needs from the includer: the binding `W: array<u32>` and the overrides QTYPE (the ggml type id), BLOCK_ELEMS,
// BLOCK_BYTES, UNITS and TAIL, set by dev.rullama.shaders.QuantMatVec from one table. The plain types (F32, F16,
// BF16) are read in pseudo-blocks of 8 elements (TAIL = true: a row need not be a whole number of them; the
// includer masks the elements past the row's end). QTYPE is a pipeline constant, so the driver keeps only the
// selected decoder.

struct Unit {
    lo: vec4<f32>,
    hi: vec4<f32>,
    lo_at: u32,
    hi_at: u32,
}

// ---- byte access into W ----

// The byte at b.
fn w8(b: u32) -> u32 {
    return (W[b >> 2u] >> ((b & 3u) * 8u)) & 0xFFu;
}

// The little-endian u16 at b (any b).
fn w16(b: u32) -> u32 {
    let i = b >> 2u;
    let s = (b & 3u) * 8u;
    if (s <= 16u) {
        return (W[i] >> s) & 0xFFFFu;
    }
    return (W[i] >> 24u) | ((W[i + 1u] & 0xFFu) << 8u);
}

// The little-endian u32 at b (any b).
fn w32(b: u32) -> u32 {
    let i = b >> 2u;
    let s = (b & 3u) * 8u;
    if (s == 0u) {
        return W[i];
    }
    return (W[i] >> s) | (W[i + 1u] << (32u - s));
}

// The binary16 at byte b as f32. The conversion is exact on every adapter that passes the conformance suite,
// which has cases with subnormal scales and weights (a flushing adapter fails them).
fn f16_at(b: u32) -> f32 {
    return unpack2x16float(w16(b)).x;
}

// The four bytes of w, each shifted right by s and masked: (byte_i >> s) & mask.
fn bytes4(w: u32, s: u32, mask: u32) -> vec4<u32> {
    return (vec4<u32>(w) >> (vec4<u32>(0u, 8u, 16u, 24u) + vec4<u32>(s))) & vec4<u32>(mask);
}

// The four bytes of w as signed int8.
fn sbytes4(w: u32) -> vec4<i32> {
    return bitcast<vec4<i32>>(vec4<u32>(w) << vec4<u32>(24u, 16u, 8u, 0u)) >> vec4<u32>(24u);
}

// Byte i (0..11) of a 12-byte field held in three words.
fn byte12(w0: u32, w1: u32, w2: u32, i: u32) -> u32 {
    let w = select(select(w2, w1, i < 8u), w0, i < 4u);
    return (w >> ((i & 3u) * 8u)) & 0xFFu;
}

fn unit_at(lo_at: u32, hi_at: u32) -> Unit {
    var u: Unit;
    u.lo_at = lo_at;
    u.hi_at = hi_at;
    return u;
}

// ---- plain types: pseudo-blocks of 8 elements, one unit ----

fn decode_f32(blk: u32) -> Unit {
    var u = unit_at(0u, 4u);
    let i = blk >> 2u;
    u.lo = bitcast<vec4<f32>>(vec4<u32>(W[i], W[i + 1u], W[i + 2u], W[i + 3u]));
    u.hi = bitcast<vec4<f32>>(vec4<u32>(W[i + 4u], W[i + 5u], W[i + 6u], W[i + 7u]));
    return u;
}

// f16 elements: unpack2x16float is the hardware conversion, exact (the conformance suite has an all-subnormal case
// so an adapter that flushes them fails visibly).
fn decode_f16(blk: u32) -> Unit {
    var u = unit_at(0u, 4u);
    u.lo = vec4<f32>(unpack2x16float(w32(blk)), unpack2x16float(w32(blk + 4u)));
    u.hi = vec4<f32>(unpack2x16float(w32(blk + 8u)), unpack2x16float(w32(blk + 12u)));
    return u;
}

fn bf16x2(w: u32) -> vec2<f32> {
    return bitcast<vec2<f32>>(vec2<u32>(w << 16u, w & 0xFFFF0000u));
}

fn decode_bf16(blk: u32) -> Unit {
    var u = unit_at(0u, 4u);
    u.lo = vec4<f32>(bf16x2(w32(blk)), bf16x2(w32(blk + 4u)));
    u.hi = vec4<f32>(bf16x2(w32(blk + 8u)), bf16x2(w32(blk + 12u)));
    return u;
}

// ---- 32-element blocks: 4 units; unit k is qs bytes 4k..4k+3 (elements 4k.. low nibbles, 16+4k.. high) ----

// Q8_0 {f16 d; i8 qs[32]}: y = q * d. Unit k is qs bytes 8k..8k+7 = elements 8k..8k+7.
fn decode_q8_0(blk: u32, k: u32) -> Unit {
    var u = unit_at(8u * k, 8u * k + 4u);
    let d = f16_at(blk);
    let q = blk + 2u + 8u * k;
    u.lo = vec4<f32>(sbytes4(w32(q))) * d;
    u.hi = vec4<f32>(sbytes4(w32(q + 4u))) * d;
    return u;
}

// Q4_0 {f16 d; u8 qs[16]}: y = (q - 8) * d.
fn decode_q4_0(blk: u32, k: u32) -> Unit {
    var u = unit_at(4u * k, 16u + 4u * k);
    let d = f16_at(blk);
    let q = w32(blk + 2u + 4u * k);
    u.lo = d * vec4<f32>(vec4<i32>(bytes4(q, 0u, 0xFu)) - vec4<i32>(8));
    u.hi = d * vec4<f32>(vec4<i32>(bytes4(q, 4u, 0xFu)) - vec4<i32>(8));
    return u;
}

// Q4_1 {f16 d; f16 m; u8 qs[16]}: y = q * d + m.
fn decode_q4_1(blk: u32, k: u32) -> Unit {
    var u = unit_at(4u * k, 16u + 4u * k);
    let d = f16_at(blk);
    let m = f16_at(blk + 2u);
    let q = w32(blk + 4u + 4u * k);
    u.lo = d * vec4<f32>(bytes4(q, 0u, 0xFu)) + m;
    u.hi = d * vec4<f32>(bytes4(q, 4u, 0xFu)) + m;
    return u;
}

// The fifth bits of elements j..j+3 (bit j.. of the u32 qh) as 16 or 0.
fn qh5(qh: u32, j: u32) -> vec4<u32> {
    return ((vec4<u32>(qh) >> (vec4<u32>(0u, 1u, 2u, 3u) + vec4<u32>(j))) & vec4<u32>(1u)) << vec4<u32>(4u);
}

// Q5_0 {f16 d; u8 qh[4]; u8 qs[16]}: y = (q - 16) * d, bit j of qh is the fifth bit of element j.
fn decode_q5_0(blk: u32, k: u32) -> Unit {
    var u = unit_at(4u * k, 16u + 4u * k);
    let d = f16_at(blk);
    let qh = w32(blk + 2u);
    let q = w32(blk + 6u + 4u * k);
    u.lo = d * vec4<f32>(vec4<i32>(bytes4(q, 0u, 0xFu) | qh5(qh, 4u * k)) - vec4<i32>(16));
    u.hi = d * vec4<f32>(vec4<i32>(bytes4(q, 4u, 0xFu) | qh5(qh, 16u + 4u * k)) - vec4<i32>(16));
    return u;
}

// Q5_1 {f16 d; f16 m; u8 qh[4]; u8 qs[16]}: y = q * d + m.
fn decode_q5_1(blk: u32, k: u32) -> Unit {
    var u = unit_at(4u * k, 16u + 4u * k);
    let d = f16_at(blk);
    let m = f16_at(blk + 2u);
    let qh = w32(blk + 4u);
    let q = w32(blk + 8u + 4u * k);
    u.lo = d * vec4<f32>(bytes4(q, 0u, 0xFu) | qh5(qh, 4u * k)) + m;
    u.hi = d * vec4<f32>(bytes4(q, 4u, 0xFu) | qh5(qh, 16u + 4u * k)) + m;
    return u;
}

// E2M1 doubled, {0,1,2,3,4,6,8,12} by magnitude (a nibble table in one word), sign in bit 3.
fn fp4x4(n: vec4<u32>) -> vec4<f32> {
    let mag = vec4<f32>((vec4<u32>(0xC8643210u) >> ((n & vec4<u32>(7u)) * 4u)) & vec4<u32>(0xFu));
    return select(mag, -mag, (n & vec4<u32>(8u)) != vec4<u32>(0u));
}

// MXFP4 {u8 e; u8 qs[16]}: y = 2^(e-128) * kvalues[q] (ggml_e8m0_to_fp32_half; subnormal scale for e < 2).
fn decode_mxfp4(blk: u32, k: u32) -> Unit {
    var u = unit_at(4u * k, 16u + 4u * k);
    let e = w8(blk);
    let d = bitcast<f32>(select((e - 1u) << 23u, 0x00200000u << e, e < 2u));
    let q = w32(blk + 1u + 4u * k);
    u.lo = d * fp4x4(bytes4(q, 0u, 0xFu));
    u.hi = d * fp4x4(bytes4(q, 4u, 0xFu));
    return u;
}

// ---- 256-element super-blocks: 32 units ----

// Q4_K/Q5_K: 6-bit scale (x) and min (y) of sub-block j from the 12 packed bytes (ggml's get_scale_min_k4).
fn scale_min_k4(s0: u32, s1: u32, s2: u32, j: u32) -> vec2<u32> {
    let i = j & 3u;
    let b0 = (s0 >> (8u * i)) & 0xFFu;
    let b1 = (s1 >> (8u * i)) & 0xFFu;
    if (j < 4u) {
        return vec2<u32>(b0 & 63u, b1 & 63u);
    }
    let b2 = (s2 >> (8u * i)) & 0xFFu;
    return vec2<u32>((b2 & 0xFu) | ((b0 >> 6u) << 4u), (b2 >> 4u) | ((b1 >> 6u) << 4u));
}

// Q4_K/Q5_K: the effective scale and min of sub-blocks 2c and 2c+1 of the block at blk, as
// (d*sc(2c), dmin*mn(2c), d*sc(2c+1), dmin*mn(2c+1)).
fn k4_scales(blk: u32, c: u32) -> vec4<f32> {
    let dm = unpack2x16float(w32(blk));
    let s0 = w32(blk + 4u);
    let s1 = w32(blk + 8u);
    let s2 = w32(blk + 12u);
    let sm0 = scale_min_k4(s0, s1, s2, 2u * c);
    let sm1 = scale_min_k4(s0, s1, s2, 2u * c + 1u);
    return vec4<f32>(dm.x * f32(sm0.x), dm.y * f32(sm0.y), dm.x * f32(sm1.x), dm.y * f32(sm1.y));
}

// Q4_K {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]}: unit k = 8c + l4 is qs bytes 32c+4l4.. , whose low nibbles
// are elements 64c+4l4.. of sub-block 2c and high nibbles 64c+32+4l4.. of sub-block 2c+1; y = (d*sc)*q - dmin*mn.
fn decode_q4_k(blk: u32, k: u32) -> Unit {
    let c = k >> 3u;
    let l4 = k & 7u;
    var u = unit_at(64u * c + 4u * l4, 64u * c + 32u + 4u * l4);
    let k4 = k4_scales(blk, c);
    let q = w32(blk + 16u + 32u * c + 4u * l4);
    u.lo = k4.x * vec4<f32>(bytes4(q, 0u, 0xFu)) - k4.y;
    u.hi = k4.z * vec4<f32>(bytes4(q, 4u, 0xFu)) - k4.w;
    return u;
}

// Q5_K {f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}: Q4_K plus a fifth bit, bit 2c (low nibbles) or
// 2c+1 (high nibbles) of qh[4l4..].
fn decode_q5_k(blk: u32, k: u32) -> Unit {
    let c = k >> 3u;
    let l4 = k & 7u;
    var u = unit_at(64u * c + 4u * l4, 64u * c + 32u + 4u * l4);
    let k4 = k4_scales(blk, c);
    let qh = w32(blk + 16u + 4u * l4);
    let q = w32(blk + 48u + 32u * c + 4u * l4);
    let lo = bytes4(q, 0u, 0xFu) | (bytes4(qh, 2u * c, 1u) << vec4<u32>(4u));
    let hi = bytes4(q, 4u, 0xFu) | (bytes4(qh, 2u * c + 1u, 1u) << vec4<u32>(4u));
    u.lo = k4.x * vec4<f32>(lo) - k4.y;
    u.hi = k4.z * vec4<f32>(hi) - k4.w;
    return u;
}

// Q6_K {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}: unit k = 16h + 8p + l4 reads ql bytes 64h+32p+4l4.. and
// qh bytes 32h+4l4..; low nibbles with qh bits 2p.. are elements 128h+32p+4l4.., high nibbles with qh bits
// 2p+4.. are elements 128h+32(p+2)+4l4..; y = (d * scale[element/16]) * (q - 32).
fn decode_q6_k(blk: u32, k: u32) -> Unit {
    let h = k >> 4u;
    let p = (k >> 3u) & 1u;
    let l4 = k & 7u;
    var u = unit_at(128u * h + 32u * p + 4u * l4, 128u * h + 32u * (p + 2u) + 4u * l4);
    let d = f16_at(blk + 208u);
    let ql = w32(blk + 64u * h + 32u * p + 4u * l4);
    let qh = w32(blk + 128u + 32u * h + 4u * l4);
    let sc_lo = bitcast<i32>(w8(blk + 192u + 8u * h + 2u * p + (l4 >> 2u)) << 24u) >> 24u;
    let sc_hi = bitcast<i32>(w8(blk + 192u + 8u * h + 2u * (p + 2u) + (l4 >> 2u)) << 24u) >> 24u;
    let lo = bytes4(ql, 0u, 0xFu) | (bytes4(qh, 2u * p, 3u) << vec4<u32>(4u));
    let hi = bytes4(ql, 4u, 0xFu) | (bytes4(qh, 2u * p + 4u, 3u) << vec4<u32>(4u));
    u.lo = (d * f32(sc_lo)) * vec4<f32>(vec4<i32>(lo) - vec4<i32>(32));
    u.hi = (d * f32(sc_hi)) * vec4<f32>(vec4<i32>(hi) - vec4<i32>(32));
    return u;
}

// Q2_K {u8 scales[16]; u8 qs[64]; f16 d; f16 dmin}: unit k = 16h + 8jp + l4 reads qs bytes 32h+4l4..; shift 2j
// with j = 2jp (lo) or 2jp+1 (hi) gives elements 128h+32j+4l4.. of sub-block 8h+2j+l4/4, whose scale byte holds
// sc (low nibble) and mn (high); y = (d*sc)*q - dmin*mn.
fn decode_q2_k(blk: u32, k: u32) -> Unit {
    let h = k >> 4u;
    let j = 2u * ((k >> 3u) & 1u);
    let l4 = k & 7u;
    var u = unit_at(128u * h + 32u * j + 4u * l4, 128u * h + 32u * (j + 1u) + 4u * l4);
    let d = f16_at(blk + 80u);
    let dmin = f16_at(blk + 82u);
    let q = w32(blk + 16u + 32u * h + 4u * l4);
    let sc_lo = w8(blk + 8u * h + 2u * j + (l4 >> 2u));
    let sc_hi = w8(blk + 8u * h + 2u * (j + 1u) + (l4 >> 2u));
    u.lo = (d * f32(sc_lo & 0xFu)) * vec4<f32>(bytes4(q, 2u * j, 3u)) - dmin * f32(sc_lo >> 4u);
    u.hi = (d * f32(sc_hi & 0xFu)) * vec4<f32>(bytes4(q, 2u * j + 2u, 3u)) - dmin * f32(sc_hi >> 4u);
    return u;
}

// Q3_K signed 6-bit scale i (0..15), stored as value + 32: low 4 bits in nibbles of bytes 0..7, top 2 in 8..11.
fn scale_q3_k(s0: u32, s1: u32, s2: u32, i: u32) -> i32 {
    let low4 = select(byte12(s0, s1, s2, i - 8u) >> 4u, byte12(s0, s1, s2, i) & 0xFu, i < 8u);
    let high2 = (byte12(s0, s1, s2, 8u + (i & 3u)) >> (2u * (i >> 2u))) & 3u;
    return i32(low4 | (high2 << 4u)) - 32;
}

// Q3_K {u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d}: units as Q2_K; the 2-bit quant loses 4 unless bit 4h+j
// of hmask[4l4..] is set; y = (d*scale) * q.
fn decode_q3_k(blk: u32, k: u32) -> Unit {
    let h = k >> 4u;
    let j = 2u * ((k >> 3u) & 1u);
    let l4 = k & 7u;
    var u = unit_at(128u * h + 32u * j + 4u * l4, 128u * h + 32u * (j + 1u) + 4u * l4);
    let d = f16_at(blk + 108u);
    let q = w32(blk + 32u + 32u * h + 4u * l4);
    let hm = w32(blk + 4u * l4);
    let s0 = w32(blk + 96u);
    let s1 = w32(blk + 100u);
    let s2 = w32(blk + 104u);
    let sub = 8u * h + 2u * j + (l4 >> 2u);
    let lo = vec4<i32>(bytes4(q, 2u * j, 3u)) - vec4<i32>(select(vec4<u32>(4u), vec4<u32>(0u), bytes4(hm, 4u * h + j, 1u) != vec4<u32>(0u)));
    let hi = vec4<i32>(bytes4(q, 2u * j + 2u, 3u)) - vec4<i32>(select(vec4<u32>(4u), vec4<u32>(0u), bytes4(hm, 4u * h + j + 1u, 1u) != vec4<u32>(0u)));
    u.lo = (d * f32(scale_q3_k(s0, s1, s2, sub))) * vec4<f32>(lo);
    u.hi = (d * f32(scale_q3_k(s0, s1, s2, sub + 2u))) * vec4<f32>(hi);
    return u;
}

// ---- dispatch on the pipeline constant QTYPE (ggml type ids) ----

fn decode_unit(blk: u32, k: u32) -> Unit {
    switch (QTYPE) {
        case 0u: { return decode_f32(blk); }
        case 1u: { return decode_f16(blk); }
        case 30u: { return decode_bf16(blk); }
        case 2u: { return decode_q4_0(blk, k); }
        case 3u: { return decode_q4_1(blk, k); }
        case 6u: { return decode_q5_0(blk, k); }
        case 7u: { return decode_q5_1(blk, k); }
        case 8u: { return decode_q8_0(blk, k); }
        case 10u: { return decode_q2_k(blk, k); }
        case 11u: { return decode_q3_k(blk, k); }
        case 12u: { return decode_q4_k(blk, k); }
        case 13u: { return decode_q5_k(blk, k); }
        case 14u: { return decode_q6_k(blk, k); }
        case 39u: { return decode_mxfp4(blk, k); }
        default: { return unit_at(0u, 4u); }
    }
}
