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
// The work items' dot products (item_dot) are in matvec_row.wgsl, shared with the id-indexed matvec_quant_id.wgsl.
// GLU (GeGLU epilogue, one dispatch for gate, up and their product): W holds the gate rows [0, pair_rows) and then
// the up rows [pair_rows, 2 pair_rows) of the same type and width (uploaded back to back); the thread of row r dots
// both with x and writes y[row_base + r] = gelu_tanh(gate_r . x) * (up_r . x), gelu_tanh as in elementwise.wgsl
// (gelu.wgsl). Needs RPT = 1 and the whole pair in one binding (no windows).
//
// GELU_MUL (gated epilogue, one dispatch for a product and its gate): y holds a multiplier on entry and each row
// becomes y[row_base + r] = gelu_tanh(W_r . x) * y[row_base + r] (Gemma 4's per-layer-input gate, spec §3.3).
//
// Overrides: WG, TPR, RPT, GLU, GELU_MUL and the block layout (QTYPE, BLOCK_ELEMS, BLOCK_BYTES, UNITS, TAIL), all set by
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
override GELU_MUL: bool = false;

var<workgroup> partial: array<f32, WG>;
var<workgroup> partial2: array<f32, WG>;

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
                    acc += item_dot(row, k, 0u);
                    if (RPT == 2u || GLU) {
                        acc2 += item_dot(row2, k, 0u);
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
        let i = p.row_base + r;
        if (GELU_MUL) {
            y[i] = gelu_tanh(partial[lid]) * y[i];
            if (second) {
                y[i + 1u] = gelu_tanh(partial2[lid]) * y[i + 1u];
            }
        } else {
            y[i] = partial[lid];
            if (second) {
                y[i + 1u] = partial2[lid];
            }
        }
    }
}

#include "matvec_row"
#include "gelu"
