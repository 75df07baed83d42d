// Row dot products of the quantized matrix-vector kernels, included by matvec_quant.wgsl and matvec_quant_id.wgsl
// (`#include "matvec_row"` at the end of the includer; it includes matvec_blocks.wgsl in turn):
//
//   item_dot(row, i, xo) = sum of W[.] * x[4 xo + c] over the elements c of work item i of the row that starts at
//                          byte `row` of W
//
// A work item is a quad of a quantized type (4 units, 32 weights that share one decode of their scales, so the hot
// types decode them once: the quad_* functions) or a group of 4 elements of a plain type (the last one masked at
// the row's end, TAIL). xo is the vec4 index where the row of x starts: 0 for one vector, t * cols / 4 for row t of
// a [T][cols] x (cols a multiple of 4).
//
// Needs from the includer: the bindings `W: array<u32>` and `x: array<vec4<f32>>`, a uniform `p` with a field
// `cols`, and the block-layout overrides (QTYPE, BLOCK_ELEMS, BLOCK_BYTES, UNITS, TAIL).

// w . x over the 4 elements starting at element `at` of the row, masking those past the row's end (TAIL); x's row
// starts at vec4 index xo.
fn dot4(w: vec4<f32>, at: u32, xo: u32) -> f32 {
    if (TAIL) {
        let inside = (vec4<u32>(at) + vec4<u32>(0u, 1u, 2u, 3u)) < vec4<u32>(p.cols);
        if (!all(inside)) {
            let zero = vec4<f32>(0.0);
            return dot(select(zero, w, inside), select(zero, x[xo + (at >> 2u)], inside));
        }
    }
    return dot(w, x[xo + (at >> 2u)]);
}

// Unit u of the row starting at byte `row`, dotted with x's row at xo.
fn unit_dot(row: u32, u: u32, xo: u32) -> f32 {
    let b = u / UNITS;
    let un = decode_unit(row + b * BLOCK_BYTES, u - b * UNITS);
    let e = b * BLOCK_ELEMS;
    return dot4(un.lo, e + un.lo_at, xo) + dot4(un.hi, e + un.hi_at, xo);
}

// Quad g of a quantized row: units 4g..4g+3, dotted with x. UNITS is a multiple of 4, so a quad lies inside one
// block, where its four units share their scales: the hot types decode the scales once per quad (the quad_*
// functions below); the others add four unit_dot.
fn quad_dot(row: u32, g: u32, xo: u32) -> f32 {
    let u = 4u * g;
    let b = u / UNITS;
    let blk = row + b * BLOCK_BYTES;
    let m = (u - b * UNITS) >> 2u;
    let e = b * BLOCK_ELEMS;
    let xb = xo + (e >> 2u);
    switch (QTYPE) {
        case 2u: { return quad_q4_0(blk, xb); }
        case 8u: { return quad_q8_0(blk, xb); }
        case 12u: { return quad_q4_k(blk, m, xb); }
        case 13u: { return quad_q5_k(blk, m, xb); }
        case 14u: { return quad_q6_k(blk, m, xb); }
        case 39u: { return quad_mxfp4(blk, xb); }
        default: {
            return (unit_dot(row, u, xo) + unit_dot(row, u + 1u, xo)) + (unit_dot(row, u + 2u, xo) + unit_dot(row, u + 3u, xo));
        }
    }
}

// Elements 4j..4j+3 of a plain-type row that starts at byte `row` (F32 rows are always word-aligned).
fn plain4(row: u32, j: u32) -> vec4<f32> {
    switch (QTYPE) {
        case 0u: {
            let i = (row >> 2u) + 4u * j;
            return bitcast<vec4<f32>>(vec4<u32>(W[i], W[i + 1u], W[i + 2u], W[i + 3u]));
        }
        case 1u: { return vec4<f32>(unpack2x16float(w32(row + 8u * j)), unpack2x16float(w32(row + 8u * j + 4u))); }
        default: { return vec4<f32>(bf16x2(w32(row + 8u * j)), bf16x2(w32(row + 8u * j + 4u))); }
    }
}

// Work item i of a row: 4 elements of a plain type (lanes then read consecutive 16- or 8-byte runs, the access
// of a plain strided matvec), or quad i of a quantized row; dotted with x's row at vec4 index xo.
fn item_dot(row: u32, i: u32, xo: u32) -> f32 {
    if (TAIL) {
        return dot4(plain4(row, i), 4u * i, xo);
    }
    return quad_dot(row, i, xo);
}


// ---- quads of the hot types: 32 weights with one decode of their scales (same values as decode_unit) ----
// xb is the vec4 index in x of the block's first element.

// Q4_0: the whole block; qs word i holds elements 4i.. (low nibbles) and 16+4i.. (high).
fn quad_q4_0(blk: u32, xb: u32) -> f32 {
    let d = f16_at(blk);
    var acc = 0.0;
    for (var i = 0u; i < 4u; i++) {
        let q = w32(blk + 2u + 4u * i);
        acc += dot(d * vec4<f32>(vec4<i32>(bytes4(q, 0u, 0xFu)) - vec4<i32>(8)), x[xb + i]);
        acc += dot(d * vec4<f32>(vec4<i32>(bytes4(q, 4u, 0xFu)) - vec4<i32>(8)), x[xb + 4u + i]);
    }
    return acc;
}

// MXFP4: as Q4_0 with the E8M0 scale and the E2M1 table.
fn quad_mxfp4(blk: u32, xb: u32) -> f32 {
    let s = w8(blk);
    let d = bitcast<f32>(select((s - 1u) << 23u, 0x00200000u << s, s < 2u));
    var acc = 0.0;
    for (var i = 0u; i < 4u; i++) {
        let q = w32(blk + 1u + 4u * i);
        acc += dot(d * fp4x4(bytes4(q, 0u, 0xFu)), x[xb + i]);
        acc += dot(d * fp4x4(bytes4(q, 4u, 0xFu)), x[xb + 4u + i]);
    }
    return acc;
}

// Q8_0: the whole block, qs word i = elements 4i..4i+3.
fn quad_q8_0(blk: u32, xb: u32) -> f32 {
    let d = f16_at(blk);
    var acc = 0.0;
    for (var i = 0u; i < 8u; i++) {
        acc += dot(vec4<f32>(sbytes4(w32(blk + 2u + 4u * i))) * d, x[xb + i]);
    }
    return acc;
}

// Q4_K quad m = units 4m..4m+3: chunk c = m/2, qs bytes 32c + 16(m&1) + 0..15.
fn quad_q4_k(blk: u32, m: u32, xb: u32) -> f32 {
    let c = m >> 1u;
    let l = 16u * (m & 1u);
    let k4 = k4_scales(blk, c);
    let d0 = k4.x;
    let m0 = k4.y;
    let d1 = k4.z;
    let m1 = k4.w;
    let xlo = xb + ((64u * c + l) >> 2u);
    var acc = 0.0;
    for (var i = 0u; i < 4u; i++) {
        let q = w32(blk + 16u + 32u * c + l + 4u * i);
        acc += dot(d0 * vec4<f32>(bytes4(q, 0u, 0xFu)) - m0, x[xlo + i]);
        acc += dot(d1 * vec4<f32>(bytes4(q, 4u, 0xFu)) - m1, x[xlo + 8u + i]);
    }
    return acc;
}

// Q5_K quad m: as Q4_K, with the fifth bits from qh bytes 16(m&1) + 0..15.
fn quad_q5_k(blk: u32, m: u32, xb: u32) -> f32 {
    let c = m >> 1u;
    let l = 16u * (m & 1u);
    let k4 = k4_scales(blk, c);
    let d0 = k4.x;
    let m0 = k4.y;
    let d1 = k4.z;
    let m1 = k4.w;
    let xlo = xb + ((64u * c + l) >> 2u);
    var acc = 0.0;
    for (var i = 0u; i < 4u; i++) {
        let q = w32(blk + 48u + 32u * c + l + 4u * i);
        let qh = w32(blk + 16u + l + 4u * i);
        let lo = bytes4(q, 0u, 0xFu) | (bytes4(qh, 2u * c, 1u) << vec4<u32>(4u));
        let hi = bytes4(q, 4u, 0xFu) | (bytes4(qh, 2u * c + 1u, 1u) << vec4<u32>(4u));
        acc += dot(d0 * vec4<f32>(lo) - m0, x[xlo + i]);
        acc += dot(d1 * vec4<f32>(hi) - m1, x[xlo + 8u + i]);
    }
    return acc;
}

// Q6_K quad m = units 4m..4m+3: half h = m/4, p = (m/2)&1, bytes l = 16(m&1) + 0..15 of ql (+64h+32p) and qh
// (+32h); one scale for the low nibbles (sub-block 8h+2p+(m&1)) and one for the high (+4).
fn quad_q6_k(blk: u32, m: u32, xb: u32) -> f32 {
    let h = m >> 2u;
    let p = (m >> 1u) & 1u;
    let l = 16u * (m & 1u);
    let d = f16_at(blk + 208u);
    let sub = 8u * h + 2u * p + (m & 1u);
    let d_lo = d * f32(bitcast<i32>(w8(blk + 192u + sub) << 24u) >> 24u);
    let d_hi = d * f32(bitcast<i32>(w8(blk + 196u + sub) << 24u) >> 24u);
    let xlo = xb + ((128u * h + 32u * p + l) >> 2u);
    var acc = 0.0;
    for (var i = 0u; i < 4u; i++) {
        let ql = w32(blk + 64u * h + 32u * p + l + 4u * i);
        let qh = w32(blk + 128u + 32u * h + l + 4u * i);
        let lo = bytes4(ql, 0u, 0xFu) | (bytes4(qh, 2u * p, 3u) << vec4<u32>(4u));
        let hi = bytes4(ql, 4u, 0xFu) | (bytes4(qh, 2u * p + 4u, 3u) << vec4<u32>(4u));
        acc += dot(d_lo * vec4<f32>(vec4<i32>(lo) - vec4<i32>(32)), x[xlo + i]);
        acc += dot(d_hi * vec4<f32>(vec4<i32>(hi) - vec4<i32>(32)), x[xlo + 16u + i]);
    }
    return acc;
}

#include "matvec_blocks"
