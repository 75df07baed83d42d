// Fused dequantize x matrix-vector product over GGUF-quantized weights (decode: one token).
//
//   y[row_base + r] = sum_c W[r, c] * x[c]        r < rows, c < cols
//
// Shapes: W is [rows][cols] in ggml type QTYPE, row-major (GGUF ne0 = cols contiguous), bound as the raw file bytes
// in an array<u32> (a row is row_bytes bytes; rows and blocks may start at any byte, see matvec_blocks.wgsl). The
// binding may be a window of a larger tensor: r counts rows from the window's start, row_base places them in y.
// x is [cols] f32, bound as vec4 (its binding must hold at least cols floats; with TAIL the elements past cols
// are masked, not read). y is the whole output vector.
// Bindings: 0 uniform Params, 1 W (read), 2 x (read), 3 y (read_write).
//
// Threads: TPR threads per row (a power of two) and RPT rows per thread (1 or 2: the second row reuses the x
// values loaded for the first), so WG / TPR * RPT rows per workgroup; workgroups are folded over (x, y) (one
// dispatch dimension holds at most 65535 of them). Thread `lane` of a row takes work items lane, lane + TPR, ...,
// UNROLL per loop step: quads of a quantized type (4 units, 32 weights that share one decode of their scales) or
// groups of 4 elements of a plain type, so each packed quant is loaded by one thread (a block's scales by the few
// threads that share the block) and consecutive lanes read consecutive runs. It dots them with x in f32; the row's TPR partial sums are added by a tree in workgroup
// memory. No subgroup operations: wgpu-native does not offer them.
//
// GLU (GeGLU epilogue, one dispatch for gate, up and their product): W holds the gate rows [0, pair_rows) and then
// the up rows [pair_rows, 2 pair_rows) of the same type and width (uploaded back to back); the thread of row r dots
// both with x and writes y[row_base + r] = gelu_tanh(gate_r . x) * (up_r . x), gelu_tanh as in elementwise.wgsl
// (gelu.wgsl). Needs RPT = 1 and the whole pair in one binding (no windows).
//
// Overrides: WG, TPR, RPT, GLU and the block layout (QTYPE, BLOCK_ELEMS, BLOCK_BYTES, UNITS, TAIL), all set by
// dev.rullama.shaders.QuantMatVec; UNROLL keeps its default.

struct Params {
    rows: u32,      // rows in this window (GLU: the gate's rows)
    cols: u32,
    row_base: u32,  // y index of the window's first row
    row_bytes: u32,
    pair_rows: u32, // GLU: the up rows start this many rows after the gate's
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> W: array<u32>;
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

override WG: u32 = 128u;
override TPR: u32 = 32u;
override QTYPE: u32;
override BLOCK_ELEMS: u32;
override BLOCK_BYTES: u32;
override UNITS: u32;
override TAIL: bool;
override UNROLL: u32 = 4u;  // work items per loop step and thread
override RPT: u32 = 1u;     // rows per thread, 1 or 2
override GLU: bool = false;

var<workgroup> partial: array<f32, WG>;
var<workgroup> partial2: array<f32, WG>;

// w . x over the 4 elements starting at element `at` of the row, masking those past the row's end (TAIL).
fn dot4(w: vec4<f32>, at: u32) -> f32 {
    if (TAIL) {
        let inside = (vec4<u32>(at) + vec4<u32>(0u, 1u, 2u, 3u)) < vec4<u32>(p.cols);
        if (!all(inside)) {
            let zero = vec4<f32>(0.0);
            return dot(select(zero, w, inside), select(zero, x[at >> 2u], inside));
        }
    }
    return dot(w, x[at >> 2u]);
}

// Unit u of the row starting at byte `row`, dotted with x.
fn unit_dot(row: u32, u: u32) -> f32 {
    let b = u / UNITS;
    let un = decode_unit(row + b * BLOCK_BYTES, u - b * UNITS);
    let e = b * BLOCK_ELEMS;
    return dot4(un.lo, e + un.lo_at) + dot4(un.hi, e + un.hi_at);
}

// Quad g of a quantized row: units 4g..4g+3, dotted with x. UNITS is a multiple of 4, so a quad lies inside one
// block, where its four units share their scales: the hot types decode the scales once per quad (the quad_*
// functions below); the others add four unit_dot.
fn quad_dot(row: u32, g: u32) -> f32 {
    let u = 4u * g;
    let b = u / UNITS;
    let blk = row + b * BLOCK_BYTES;
    let m = (u - b * UNITS) >> 2u;
    let e = b * BLOCK_ELEMS;
    switch (QTYPE) {
        case 2u: { return quad_q4_0(blk, e); }
        case 8u: { return quad_q8_0(blk, e); }
        case 12u: { return quad_q4_k(blk, m, e); }
        case 13u: { return quad_q5_k(blk, m, e); }
        case 14u: { return quad_q6_k(blk, m, e); }
        case 39u: { return quad_mxfp4(blk, e); }
        default: {
            return (unit_dot(row, u) + unit_dot(row, u + 1u)) + (unit_dot(row, u + 2u) + unit_dot(row, u + 3u));
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
// of a plain strided matvec), or quad i of a quantized row.
fn item_dot(row: u32, i: u32) -> f32 {
    if (TAIL) {
        return dot4(plain4(row, i), 4u * i);
    }
    return quad_dot(row, i);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let lane = lid % TPR;
    let r = ((wid.x + wid.y * nwg.x) * (WG / TPR) + lid / TPR) * RPT;
    let second = RPT == 2u && r + 1u < p.rows;
    var acc = 0.0;
    var acc2 = 0.0;
    if (r < p.rows) {
        let units = ((p.cols + BLOCK_ELEMS - 1u) / BLOCK_ELEMS) * UNITS;
        let items = select((units + 3u) / 4u, (p.cols + 3u) / 4u, TAIL);
        let row = r * p.row_bytes;
        let row2 = select(select(row, row + p.row_bytes, second), row + p.pair_rows * p.row_bytes, GLU);
        // UNROLL independent items per step keep more loads in flight per thread; each is still a coalesced
        // access across the lanes. With RPT = 2 the second row's item reads the same x, which the compiler loads
        // once for both.
        for (var i = lane; i < items; i += UNROLL * TPR) {
            for (var j = 0u; j < UNROLL; j++) {
                let k = i + j * TPR;
                if (k < items) {
                    acc += item_dot(row, k);
                    if (RPT == 2u || GLU) {
                        acc2 += item_dot(row2, k);
                    }
                }
            }
        }
    }
    // Segmented tree sums: the TPR lanes of each row are contiguous in lid.
    partial[lid] = acc;
    partial2[lid] = acc2;
    workgroupBarrier();
    for (var s = TPR / 2u; s > 0u; s >>= 1u) {
        if (lane < s) {
            partial[lid] += partial[lid + s];
            if (RPT == 2u || GLU) {
                partial2[lid] += partial2[lid + s];
            }
        }
        workgroupBarrier();
    }
    if (GLU) {
        if (lane == 0u && r < p.rows) {
            y[p.row_base + r] = gelu_tanh(partial[lid]) * partial2[lid];
        }
        return;
    }
    if (lane == 0u && r < p.rows) {
        y[p.row_base + r] = partial[lid];
        if (second) {
            y[p.row_base + r + 1u] = partial2[lid];
        }
    }
}

// ---- quads of the hot types: 32 weights with one decode of their scales (same values as decode_unit) ----

// Q4_0: the whole block; qs word i holds elements 4i.. (low nibbles) and 16+4i.. (high).
fn quad_q4_0(blk: u32, e: u32) -> f32 {
    let d = f16_at(blk);
    var acc = 0.0;
    for (var i = 0u; i < 4u; i++) {
        let q = w32(blk + 2u + 4u * i);
        acc += dot(d * vec4<f32>(vec4<i32>(bytes4(q, 0u, 0xFu)) - vec4<i32>(8)), x[(e >> 2u) + i]);
        acc += dot(d * vec4<f32>(vec4<i32>(bytes4(q, 4u, 0xFu)) - vec4<i32>(8)), x[(e >> 2u) + 4u + i]);
    }
    return acc;
}

// MXFP4: as Q4_0 with the E8M0 scale and the E2M1 table.
fn quad_mxfp4(blk: u32, e: u32) -> f32 {
    let s = w8(blk);
    let d = bitcast<f32>(select((s - 1u) << 23u, 0x00200000u << s, s < 2u));
    var acc = 0.0;
    for (var i = 0u; i < 4u; i++) {
        let q = w32(blk + 1u + 4u * i);
        acc += dot(d * fp4x4(bytes4(q, 0u, 0xFu)), x[(e >> 2u) + i]);
        acc += dot(d * fp4x4(bytes4(q, 4u, 0xFu)), x[(e >> 2u) + 4u + i]);
    }
    return acc;
}

// Q8_0: the whole block, qs word i = elements 4i..4i+3.
fn quad_q8_0(blk: u32, e: u32) -> f32 {
    let d = f16_at(blk);
    var acc = 0.0;
    for (var i = 0u; i < 8u; i++) {
        acc += dot(vec4<f32>(sbytes4(w32(blk + 2u + 4u * i))) * d, x[(e >> 2u) + i]);
    }
    return acc;
}

// Q4_K quad m = units 4m..4m+3: chunk c = m/2, qs bytes 32c + 16(m&1) + 0..15.
fn quad_q4_k(blk: u32, m: u32, e: u32) -> f32 {
    let c = m >> 1u;
    let l = 16u * (m & 1u);
    let k4 = k4_scales(blk, c);
    let d0 = k4.x;
    let m0 = k4.y;
    let d1 = k4.z;
    let m1 = k4.w;
    let xlo = (e + 64u * c + l) >> 2u;
    var acc = 0.0;
    for (var i = 0u; i < 4u; i++) {
        let q = w32(blk + 16u + 32u * c + l + 4u * i);
        acc += dot(d0 * vec4<f32>(bytes4(q, 0u, 0xFu)) - m0, x[xlo + i]);
        acc += dot(d1 * vec4<f32>(bytes4(q, 4u, 0xFu)) - m1, x[xlo + 8u + i]);
    }
    return acc;
}

// Q5_K quad m: as Q4_K, with the fifth bits from qh bytes 16(m&1) + 0..15.
fn quad_q5_k(blk: u32, m: u32, e: u32) -> f32 {
    let c = m >> 1u;
    let l = 16u * (m & 1u);
    let k4 = k4_scales(blk, c);
    let d0 = k4.x;
    let m0 = k4.y;
    let d1 = k4.z;
    let m1 = k4.w;
    let xlo = (e + 64u * c + l) >> 2u;
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
fn quad_q6_k(blk: u32, m: u32, e: u32) -> f32 {
    let h = m >> 2u;
    let p = (m >> 1u) & 1u;
    let l = 16u * (m & 1u);
    let d = f16_at(blk + 208u);
    let sub = 8u * h + 2u * p + (m & 1u);
    let d_lo = d * f32(bitcast<i32>(w8(blk + 192u + sub) << 24u) >> 24u);
    let d_hi = d * f32(bitcast<i32>(w8(blk + 196u + sub) << 24u) >> 24u);
    let xlo = (e + 128u * h + 32u * p + l) >> 2u;
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
#include "gelu"
