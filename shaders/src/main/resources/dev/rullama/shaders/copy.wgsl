// Storage-to-storage copy of vec4<u32> words: dst[i] = src[i] for i < n.
//
// Not part of the model: rullama bench runs it to measure the memory bandwidth ceiling of the device it benchmarks
// (each element is read once and written once, 16 bytes each way, coalesced), the figure the weight bandwidth of the
// matrix kernels is compared with.
//
// Shapes: src and dst are [n] vec4<u32> (16 bytes each). Bindings: 0 uniform Params (n, in vec4s), 1 src (read),
// 2 dst (read_write). One invocation per vec4, workgroups folded over (x, y); invocations past n do nothing.

struct Params {
    n: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<u32>>;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = (wid.x + wid.y * nwg.x) * WG + lid;
    if (i < p.n) {
        dst[i] = src[i];
    }
}
