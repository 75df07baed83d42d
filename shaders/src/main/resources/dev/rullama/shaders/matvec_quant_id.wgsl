// Id-indexed fused dequantize x matrix-vector product over a stack of quantized experts (ggml's mul_mat_id): the
// expert FFNs of a mixture-of-experts layer for the experts a router chose, reading only those experts' rows.
//
//   W_e[i, c] = W[e * expert_rows + i, c]                                     (expert e of the stack)
//   SUM false:  y[o][r] = sum_c W_{ids[o]}[row0 + r, c] * x[o / x_div][c]                              o < outputs
//   SUM true:   y[o][r] = sum_{j<k} weight[s] * sum_c W_{ids[s]}[row0 + r, c] * x[s / x_div][c],  s = o*k + j
//                                                                                  r < rows, c < cols
// Shapes: W is the whole stack, [experts * expert_rows][cols] of ggml type QTYPE, as the raw GGUF bytes of the 3-D
// expert tensor [cols, expert_rows, experts] in one array<u32> binding (rows may start at any byte, see
// matvec_blocks.wgsl); row0 + rows <= expert_rows picks a run of every expert's rows (the gate or the up half of a
// fused gate/up stack). ids is u32 [slots]: slot s = t*k + j is token t's j-th expert (MoeRouter's output); an id
// >= experts adds 0. weight is f32 [slots] (read only with SUM). x is [x rows][cols] f32, cols a multiple of 4,
// bound as vec4. y is [outputs][rows] f32. Gate and up: SUM false, outputs = slots, x_div = k (x per token). Down
// with the router weights: SUM true, outputs = tokens, x_div = 1 (x per slot).
// Bindings: 0 uniform Params, 1 W (read), 2 x (read), 3 ids (read), 4 weight (read), 5 y (read_write).
//
// Threads as matvec_quant.wgsl with one row per thread: TPR threads per output row, WG / TPR rows per workgroup;
// workgroup g (folded over (x, y)) computes row group g % row_groups of output g / row_groups. With SUM the row's
// work items are the k slots' items one after the other (k * items), spread over the TPR lanes, so short expert
// rows (704 columns in Gemma 4 26B-A4B's down projection) still keep every lane busy. Work item dot products come
// from matvec_row.wgsl; the TPR partial sums are added by a tree in workgroup memory.
//
// Overrides: WG, TPR, SUM and the block layout (QTYPE, BLOCK_ELEMS, BLOCK_BYTES, UNITS, TAIL), all set by
// dev.rullama.shaders.ExpertMatVec; UNROLL keeps its default.

struct Params {
    rows: u32,         // rows per output
    cols: u32,
    row_bytes: u32,
    expert_rows: u32,  // rows of one expert in the stack
    row0: u32,         // first row of each expert used
    experts: u32,
    outputs: u32,
    k: u32,            // slots per token
    x_div: u32,        // slots per row of x
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> W: array<u32>;
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> ids: array<u32>;
@group(0) @binding(4) var<storage, read> weight: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

override WG: u32 = 128u;
override TPR: u32 = 32u;
override SUM: bool;
override QTYPE: u32;
override BLOCK_ELEMS: u32;
override BLOCK_BYTES: u32;
override UNITS: u32;
override TAIL: bool;
override UNROLL: u32 = 4u;  // work items per loop step and thread

var<workgroup> partial: array<f32, WG>;

// Byte offset of row r of slot s's expert, or 0xFFFFFFFF for an id past the stack.
fn slot_row(s: u32, r: u32) -> u32 {
    let e = ids[s];
    if (e >= p.experts) {
        return 0xFFFFFFFFu;
    }
    return (e * p.expert_rows + p.row0 + r) * p.row_bytes;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let lane = lid % TPR;
    let per_group = WG / TPR;
    let row_groups = (p.rows + per_group - 1u) / per_group;
    let g = wid.x + wid.y * nwg.x;
    let o = g / row_groups;
    let r = (g - o * row_groups) * per_group + lid / TPR;
    let live = o < p.outputs && r < p.rows;
    var acc = 0.0;
    if (live) {
        let units = ((p.cols + BLOCK_ELEMS - 1u) / BLOCK_ELEMS) * UNITS;
        let items = select((units + 3u) / 4u, (p.cols + 3u) / 4u, TAIL);
        let x_row = p.cols / 4u;
        if (SUM) {
            let total = p.k * items;
            for (var i = lane; i < total; i += UNROLL * TPR) {
                for (var j = 0u; j < UNROLL; j++) {
                    let q = i + j * TPR;
                    if (q < total) {
                        let seg = q / items;
                        let s = o * p.k + seg;
                        let row = slot_row(s, r);
                        if (row != 0xFFFFFFFFu) {
                            acc += weight[s] * item_dot(row, q - seg * items, (s / p.x_div) * x_row);
                        }
                    }
                }
            }
        } else {
            let row = slot_row(o, r);
            let xo = (o / p.x_div) * x_row;
            if (row != 0xFFFFFFFFu) {
                for (var i = lane; i < items; i += UNROLL * TPR) {
                    for (var j = 0u; j < UNROLL; j++) {
                        let q = i + j * TPR;
                        if (q < items) {
                            acc += item_dot(row, q, xo);
                        }
                    }
                }
            }
        }
    }
    // Segmented tree sum: the TPR lanes of each row are contiguous in lid.
    partial[lid] = acc;
    workgroupBarrier();
    for (var s = TPR / 2u; s > 0u; s >>= 1u) {
        if (lane < s) {
            partial[lid] += partial[lid + s];
        }
        workgroupBarrier();
    }
    if (lane == 0u && live) {
        y[o * p.rows + r] = partial[lid];
    }
}

#include "matvec_row"
