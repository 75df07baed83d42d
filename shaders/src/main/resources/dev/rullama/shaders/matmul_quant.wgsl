// Fused dequantize x matrix product over GGUF-quantized weights (prefill: T tokens at once).
//
//   Y[t][row_base + r] = sum_c W[r, c] * X[t][c]        t < tokens, r < rows, c < cols
//
// Shapes: W as in matvec_quant.wgsl ([rows][cols] of ggml type QTYPE, raw bytes in an array<u32>, possibly a
// window of a larger tensor: r counts from the window's first row); X is [tokens][cols] f32 row-major; Y is
// [tokens][y_stride] f32 (y_stride = all rows of the weight, row_base places this window's rows).
// Bindings: 0 uniform Params, 1 W (read), 2 X (read), 3 Y (read_write).
//
// Tiling: a workgroup computes a tile of WG/16 rows x TN tokens; 16 lanes share a row. The columns are walked in
// chunks of 128: the chunk of X for the tile's TN tokens is staged in workgroup memory (zero past cols and past
// the last token), then each lane decodes one unit (8 weights; units [16i, 16i+16) of a row are exactly its
// columns [128i, 128i+128), see matvec_blocks.wgsl) and multiplies it with all TN tokens from registers. So each
// weight byte is read once per tile of TN tokens and decoded once. At the end the 16 lanes of each row are summed
// in workgroup memory, each thread adding up one (row, token) output (so WG/16 rows x TN tokens = WG outputs).
// Only four barrier sites: lavapipe turns each into a suspension point, and many of them make pipeline
// compilation slow. All sums are f32.
//
// Tiles are numbered row tile fastest and folded over (x, y) workgroups.
// Overrides: WG (a power of two, 16..256) and the block layout (QTYPE, BLOCK_ELEMS, BLOCK_BYTES, UNITS,
// TAIL), set by dev.rullama.shaders.QuantMatVec.

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

override WG: u32 = 256u;
override QTYPE: u32;
override BLOCK_ELEMS: u32;
override BLOCK_BYTES: u32;
override UNITS: u32;
override TAIL: bool;

const LANES: u32 = 16u;   // threads per row = units per 128-column chunk
const CHUNK: u32 = 128u;  // columns per step
const TN: u32 = 16u;      // tokens per tile; = LANES, so a tile has as many outputs as threads

// The staged X chunk, [TN][CHUNK / 4] (the first 512), then the partial sums [WG][TN] (WG <= 256).
var<workgroup> xs: array<vec4<f32>, 1024>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let rows_per_tile = WG / LANES;
    let row_tiles = (p.rows + rows_per_tile - 1u) / rows_per_tile;
    let tile = wid.x + wid.y * nwg.x;
    let t0 = (tile / row_tiles) * TN;
    let lane = lid % LANES;
    let r = (tile % row_tiles) * rows_per_tile + lid / LANES;
    let row_ok = r < p.rows;
    let units = ((p.cols + BLOCK_ELEMS - 1u) / BLOCK_ELEMS) * UNITS;
    let row = r * p.row_bytes;

    var acc: array<f32, TN>;
    let chunks = (p.cols + CHUNK - 1u) / CHUNK;
    for (var ch = 0u; ch < chunks; ch++) {
        let c0 = ch * CHUNK;
        workgroupBarrier();
        for (var i = lid; i < TN * CHUNK; i += WG) {
            let t = t0 + i / CHUNK;
            let c = c0 + i % CHUNK;
            var v = 0.0;
            if (t < p.tokens && c < p.cols) {
                v = X[t * p.cols + c];
            }
            xs[i >> 2u][i & 3u] = v;
        }
        workgroupBarrier();
        let u = ch * LANES + lane;
        if (row_ok && u < units) {
            let b = u / UNITS;
            let un = decode_unit(row + b * BLOCK_BYTES, u - b * UNITS);
            let lo_at = b * BLOCK_ELEMS + un.lo_at;
            let hi_at = b * BLOCK_ELEMS + un.hi_at;
            var wl = un.lo;
            var wh = un.hi;
            if (TAIL) {
                // Past the row's end the staged X is zero, but the decoded weights may be anything (even NaN).
                let zero = vec4<f32>(0.0);
                let lanes4 = vec4<u32>(0u, 1u, 2u, 3u);
                wl = select(zero, wl, (vec4<u32>(lo_at) + lanes4) < vec4<u32>(p.cols));
                wh = select(zero, wh, (vec4<u32>(hi_at) + lanes4) < vec4<u32>(p.cols));
            }
            let lo4 = (lo_at - c0) >> 2u;
            let hi4 = (hi_at - c0) >> 2u;
            for (var t = 0u; t < TN; t++) {
                acc[t] += dot(wl, xs[t * (CHUNK / 4u) + lo4]) + dot(wh, xs[t * (CHUNK / 4u) + hi4]);
            }
        }
    }

    // Each thread leaves its TN partial sums; then thread o adds the 16 lanes of output o = (row slot, token).
    workgroupBarrier();
    for (var t = 0u; t < TN; t++) {
        let i = lid * TN + t;
        xs[i >> 2u][i & 3u] = acc[t];
    }
    workgroupBarrier();
    let slot = lid / TN;
    let t = lid % TN;
    var sum = 0.0;
    for (var j = 0u; j < LANES; j++) {
        let i = (slot * LANES + j) * TN + t;
        sum += xs[i >> 2u][i & 3u];
    }
    let out_r = (tile % row_tiles) * rows_per_tile + slot;
    if (out_r < p.rows && t0 + t < p.tokens) {
        Y[(t0 + t) * p.y_stride + p.row_base + out_r] = sum;
    }
}

#include "matvec_blocks"
