// Fused dequantize x matrix product over GGUF-quantized weights, register-tiled (prefill on adapters with at least
// 32 KiB of workgroup memory; matmul_quant.wgsl is the portable twin).
//
//   Y[t][row_base + r] = sum_c W[r, c] * X[t][c]        t < tokens, r < rows, c < cols
//
// Shapes, bindings, Params and the block overrides are those of matmul_quant.wgsl: W a window of GGUF rows (raw bytes
// in an array<u32>), X [tokens][cols] f32, Y [tokens][y_stride] f32 with this window's rows at row_base.
//
// Tiling: a workgroup of 128 threads computes a tile of 32 rows x 64 tokens, each thread a 4 x 4 block of it (rows
// 4*(lid/16).., tokens 4*(lid%16)..). Columns are walked in chunks of 128:
//   1. the tile's 32 rows x 128 columns are decoded once into workgroup memory, ws = [column][row] f32 (16 KiB):
//      512 units (8 weights each, see matvec_blocks.wgsl), 4 per thread, consecutive threads on consecutive rows so
//      the stores hit distinct banks;
//   2. X is staged in two halves of 64 columns, xs = [column][token] f32 (16 KiB), zero past cols and past the last
//      token; each thread loads 4 consecutive columns of one token;
//   3. for every column of the half, each thread reads one vec4 of weights (its 4 rows) and one vec4 of x (its 4
//      tokens) and does 16 multiply-adds.
// So each weight byte is read and decoded once per 64 tokens (4x fewer than matmul_quant.wgsl) and each
// workgroup-memory load feeds 8 multiply-adds (twice as many). Sums are f32: each half-chunk of 64 products is
// summed in order, then added to the running total.
//
// Rows past the window's end decode the last row again (in bounds; their outputs are not written). Units past the
// row's end are not decoded: their columns hold x = 0 and a finite weight from an earlier chunk (or the zero the
// workgroup memory starts with). For the plain types (TAIL) the decoded elements past cols are zeroed, since the
// bytes past a row's end may be anything (even NaN). Tiles are numbered row tile fastest and folded over (x, y).
//
// Overrides: the block layout (QTYPE, BLOCK_ELEMS, BLOCK_BYTES, UNITS, TAIL), set by dev.rullama.shaders.QuantMatVec.

struct Params {
    rows: u32,      // rows in this window
    cols: u32,
    row_base: u32,  // Y column of the window's first row
    row_bytes: u32,
    tokens: u32,
    y_stride: u32,  // floats per token in Y
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> W: array<u32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;

override QTYPE: u32;
override BLOCK_ELEMS: u32;
override BLOCK_BYTES: u32;
override UNITS: u32;
override TAIL: bool;

const WG: u32 = 128u;
const BM: u32 = 32u;      // rows per tile
const BN: u32 = 64u;      // tokens per tile
const CHUNK: u32 = 128u;  // columns decoded at once (16 units of every row)
const HALF: u32 = 64u;    // columns of x staged at once

var<workgroup> ws: array<vec4<f32>, 1024>;  // [CHUNK][BM / 4]
var<workgroup> xs: array<vec4<f32>, 1024>;  // [HALF][BN / 4]

fn put_w(k: u32, m: u32, v: f32) {
    let i = k * BM + m;
    ws[i >> 2u][i & 3u] = v;
}

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let row_tiles = (p.rows + BM - 1u) / BM;
    let tile = wid.x + wid.y * nwg.x;
    let r0 = (tile % row_tiles) * BM;
    let t0 = (tile / row_tiles) * BN;
    if (t0 >= p.tokens) {
        return; // a workgroup of the folded grid past the last tile (uniform: the whole workgroup leaves)
    }
    let mg = lid / 16u;
    let ng = lid % 16u;
    let units = ((p.cols + BLOCK_ELEMS - 1u) / BLOCK_ELEMS) * UNITS;
    let chunks = (p.cols + CHUNK - 1u) / CHUNK;

    var acc = array<vec4<f32>, 4>();
    for (var ch = 0u; ch < chunks; ch++) {
        let c0 = ch * CHUNK;
        for (var h = 0u; h < 2u; h++) {
            workgroupBarrier();
            if (h == 0u) {
                for (var i = 0u; i < 4u; i++) {
                    let s = i * WG + lid;
                    let m = s % BM;
                    let u = ch * 16u + s / BM;
                    if (u < units) {
                        let row = min(r0 + m, p.rows - 1u) * p.row_bytes;
                        let b = u / UNITS;
                        let un = decode_unit(row + b * BLOCK_BYTES, u - b * UNITS);
                        let lo_at = b * BLOCK_ELEMS + un.lo_at;
                        let hi_at = b * BLOCK_ELEMS + un.hi_at;
                        var wl = un.lo;
                        var wh = un.hi;
                        if (TAIL) {
                            let zero = vec4<f32>(0.0);
                            let lanes4 = vec4<u32>(0u, 1u, 2u, 3u);
                            wl = select(zero, wl, (vec4<u32>(lo_at) + lanes4) < vec4<u32>(p.cols));
                            wh = select(zero, wh, (vec4<u32>(hi_at) + lanes4) < vec4<u32>(p.cols));
                        }
                        for (var e = 0u; e < 4u; e++) {
                            put_w(lo_at - c0 + e, m, wl[e]);
                            put_w(hi_at - c0 + e, m, wh[e]);
                        }
                    }
                }
            }
            let k0 = c0 + h * HALF;
            for (var i = 0u; i < (HALF * BN / 4u) / WG; i++) {
                let s = i * WG + lid;
                let n = s % BN;
                let kq = s / BN;
                let t = t0 + n;
                for (var e = 0u; e < 4u; e++) {
                    let c = k0 + kq * 4u + e;
                    var v = 0.0;
                    if (t < p.tokens && c < p.cols) {
                        v = X[t * p.cols + c];
                    }
                    let j = (kq * 4u + e) * BN + n;
                    xs[j >> 2u][j & 3u] = v;
                }
            }
            workgroupBarrier();
            // Zeroed explicitly: a loop-local var left to its implicit zero initializer kept the previous
            // iteration's value on lavapipe through Dawn (the products of the second half were added twice).
            var part = array<vec4<f32>, 4>();
            for (var k = 0u; k < HALF; k++) {
                let w = ws[(h * HALF + k) * (BM / 4u) + mg];
                let x = xs[k * (BN / 4u) + ng];
                part[0] += w.x * x;
                part[1] += w.y * x;
                part[2] += w.z * x;
                part[3] += w.w * x;
            }
            for (var i = 0u; i < 4u; i++) {
                acc[i] += part[i];
            }
        }
    }

    for (var i = 0u; i < 4u; i++) {
        let r = r0 + mg * 4u + i;
        if (r < p.rows) {
            for (var j = 0u; j < 4u; j++) {
                let t = t0 + ng * 4u + j;
                if (t < p.tokens) {
                    Y[t * p.y_stride + p.row_base + r] = acc[i][j];
                }
            }
        }
    }
}

#include "matvec_blocks"
