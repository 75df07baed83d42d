package dev.rullama.shaders.quant;

import dev.rullama.api.Backend;
import dev.rullama.api.BoundKernel;
import dev.rullama.api.CommandBatch;
import dev.rullama.api.DType;
import dev.rullama.api.Device;
import dev.rullama.api.DeviceOptions;
import dev.rullama.api.KernelSpec;
import dev.rullama.api.Backends;
import dev.rullama.api.Tensor;
import dev.rullama.gguf.GgmlType;
import dev.rullama.shaders.Grid;
import dev.rullama.shaders.QuantMatVec;
import dev.rullama.shaders.conformance.CaseReport;
import dev.rullama.shaders.conformance.ConformanceHarness;
import dev.rullama.shaders.conformance.KernelCase;
import dev.rullama.shaders.conformance.QuantMatVecCases;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A command-line driver for a real GPU (no JUnit there): {@code conformance BACKEND...} runs every quantized
 * conformance case and windowed check; {@code bench BACKEND...} times the decode and prefill kernels at Gemma
 * sizes. Timings are wall-clock over one submit of many dispatches, so they include the per-dispatch cost.
 */
public final class QuantGpuRun {
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        for (String name : Arrays.copyOfRange(args, 1, args.length)) {
            Backend b = Backends.discover().select(name);
            try (Device d = b.open(DeviceOptions.defaults())) {
                System.out.printf("[gpu] backend=%s adapter='%s' limits=%s%n", b.name(), d.adapter().displayName(), d.limits());
                switch (mode) {
                    case "conformance" -> conformance(d);
                    case "bench" -> bench(d, System.getProperty("types", "Q4_K,Q6_K,Q8_0,Q4_0,Q5_K,MXFP4,F16,BF16,F32,Q4_1,Q5_0,Q5_1,Q2_K,Q3_K"));
                    case "sweep" -> sweep(d);
                    case "readbw" -> readBandwidth(d);
                    default -> throw new IllegalArgumentException(mode);
                }
            }
        }
    }

    static void conformance(Device d) throws Exception {
        ConformanceHarness h = new ConformanceHarness(d);
        long seed = Long.getLong("seed", System.nanoTime());
        int failed = 0, n = 0;
        for (KernelCase c : QuantMatVecCases.all()) {
            CaseReport r = h.run(c, new Random(seed ^ (c.kernel() + c.shape()).hashCode()));
            System.out.println(r.line());
            n++;
            if (!r.passed()) failed++;
        }
        for (QuantMatVecCases.DeviceCheck c : QuantMatVecCases.windowed()) {
            CaseReport r = c.run(d, new Random(seed ^ c.name().hashCode()));
            System.out.println(r.line());
            n++;
            if (!r.passed()) failed++;
        }
        System.out.printf("[gpu] backend=%s seed=%d cases=%d failed=%d%n", d.backendName(), seed, n, failed);
    }

    record Shape(String name, int rows, int cols) {}

    /** Gemma 4 E4B-like FFN matrices (fit the 50 MB L2 one at a time, so several are cycled) and one large matrix. */
    static final List<Shape> SHAPES = List.of(new Shape("ffn_up 10240x2560", 10240, 2560), new Shape("ffn_down 2560x10240", 2560, 10240),
            new Shape("big 32768x4096", 32768, 4096));

    static void bench(Device d, String types) throws Exception {
        long n = 256L << 20;
        try (Tensor a = d.createTensor("a", DType.U32, n / 4); Tensor b = d.createTensor("b", DType.U32, n / 4)) {
            for (int rep = 0; rep < 2; rep++) {
                int reps = 20;
                long t0 = System.nanoTime();
                try (CommandBatch batch = d.newBatch()) {
                    for (int i = 0; i < reps; i++) batch.copy(a, b);
                    batch.submitAndWait();
                }
                double sec = (System.nanoTime() - t0) / 1e9 / reps;
                System.out.printf("[bench] backend=%s copy 256 MiB %.1f us, %.1f GB/s read+write%n", d.backendName(), sec * 1e6, 2.0 * n / sec / 1e9);
            }
        }
        for (String tn : types.split(",")) {
            GgmlType type = GgmlType.valueOf(tn);
            for (Shape s : SHAPES) {
                int tpr = QuantMatVec.defaultThreadsPerRow(type, s.cols());
                timeMatVec(d, type, s, tpr, Math.max(QuantMatVec.DEFAULT_WG, tpr));
            }
            if (Boolean.getBoolean("matmul")) timeMatMul(d, type, new Shape("prefill 10240x2560", 10240, 2560), 512);
        }
    }

    static final String READ_WGSL = """
            @group(0) @binding(0) var<storage, read> src: array<vec4<u32>>;
            @group(0) @binding(1) var<storage, read_write> dst: array<u32>;
            override WG: u32 = 256u;
            override PER: u32 = 16u;
            @compute @workgroup_size(WG)
            fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
                let threads = nwg.x * WG;
                var acc = vec4<u32>(0u);
                for (var i = 0u; i < PER; i++) {
                    acc ^= src[gid.x + i * threads];
                }
                let v = acc.x ^ acc.y ^ acc.z ^ acc.w;
                if (v == 0x12345678u) { dst[gid.x] = v; }
            }
            """;

    /** What a plain coalesced vec4 read reaches on this device: the ceiling for the matrix kernels. */
    static void readBandwidth(Device d) throws Exception {
        long bytes = 1L << 30;
        var spec = new KernelSpec("read_bw", READ_WGSL, "main", java.util.Map.of("WG", 256.0, "PER", 16.0),
                List.of(new KernelSpec.Binding(0, "src", dev.rullama.api.Access.READ), new KernelSpec.Binding(1, "dst", dev.rullama.api.Access.READ_WRITE)));
        try (Tensor src = d.createTensor("src", DType.U32, bytes / 4); Tensor dst = d.createTensor("dst", DType.U32, bytes / 16 / 16);
             BoundKernel k = d.bind(d.compile(spec), src, dst)) {
            int groups = (int) (bytes / 16 / 16 / 256);
            for (int rep = 0; rep < 3; rep++) {
                int reps = 50;
                long t0 = System.nanoTime();
                try (CommandBatch b = d.newBatch()) {
                    for (int i = 0; i < reps; i++) b.dispatch(k, groups, 1, 1);
                    b.submitAndWait();
                }
                double sec = (System.nanoTime() - t0) / 1e9 / reps;
                System.out.printf("[bench] backend=%s read 1 GiB vec4 %.1f us %.1f GB/s%n", d.backendName(), sec * 1e6, bytes / sec / 1e9);
            }
        }
    }

    static void sweep(Device d) throws Exception {
        for (String tn : System.getProperty("types", "Q4_K,Q6_K,Q8_0,F16").split(","))
            for (Shape s : List.of(SHAPES.get(0), SHAPES.get(2)))
                for (int tpr : new int[]{8, 16, 32, 64})
                    for (int wg : new int[]{64, 128, 256})
                        if (wg >= tpr) timeMatVec(d, GgmlType.valueOf(tn), s, tpr, wg);
    }

    /** Experimental rewrites of the decode kernel, chosen with -Dvariant. */
    static KernelSpec variant(KernelSpec spec, String v) {
        java.util.Map<String, Double> c = new java.util.HashMap<>(spec.constants());
        String src = spec.wgsl();
        switch (v) {
            case "" -> { return spec; }
            case "unroll1" -> c.put("UNROLL", 1.0);
            case "unroll2" -> c.put("UNROLL", 2.0);
            case "unroll8" -> c.put("UNROLL", 8.0);
            case "rpt2" -> c.put("RPT", 2.0);
            default -> throw new IllegalArgumentException(v);
        }
        return new KernelSpec(spec.name() + "_" + v, src, spec.entryPoint(), c, spec.bindings());
    }

    static Tensor weights(Device d, GgmlType type, Shape s, byte[] w) throws Exception {
        byte[] padded = Arrays.copyOf(w, (w.length + 3) & ~3);
        Tensor t = d.createTensor("W", DType.U32, padded.length / 4);
        d.write(t, 0, MemorySegment.ofArray(padded));
        return t;
    }

    static final java.util.Map<String, byte[]> WEIGHTS = new java.util.HashMap<>();

    /** Times decode with enough distinct copies of the weight (>= 200 MB together) that L2 cannot serve them. */
    static void timeMatVec(Device d, GgmlType type, Shape s, int tpr, int wg) throws Exception {
        long bytes = (long) s.rows() * QuantMatVec.rowBytes(type, s.cols());
        int copies = (int) Math.max(1, Math.min(16, (200L << 20) / bytes + 1));
        byte[] w = WEIGHTS.computeIfAbsent(type + s.name(), k -> RandomWeights.of(type, s.rows(), s.cols(), RandomWeights.Scales.MODERATE, new Random(7)));
        KernelSpec spec = QuantMatVec.spec(type, tpr, wg);
        spec = variant(spec, System.getProperty("variant", ""));
        List<Tensor> owned = new java.util.ArrayList<>();
        List<BoundKernel> ks = new java.util.ArrayList<>();
        try {
            Tensor x = d.upload("x", KernelCase.randomFloats(new Random(1), s.cols(), 1f));
            Tensor y = d.createTensor("y", DType.F32, s.rows());
            Tensor p = d.upload("p", QuantMatVec.params(type, s.rows(), s.cols(), 0));
            owned.addAll(List.of(x, y, p));
            for (int c = 0; c < copies; c++) {
                Tensor wt = weights(d, type, s, w);
                owned.add(wt);
                ks.add(d.bind(d.compile(spec), p, wt, x, y));
            }
            Grid g = QuantMatVec.grid(s.rows(), tpr, wg, "rpt2".equals(System.getProperty("variant")) ? 2 : 1, d.limits());
            double sec = time(d, ks, g, 3 * copies);
            int reps = (int) Math.max(4 * copies, Math.min(3000, 0.3 / (sec / (3 * copies))));
            sec = time(d, ks, g, reps) / reps;
            System.out.printf("[bench] backend=%s " + System.getProperty("variant", "") + " matvec %-5s %-20s tpr=%-2d wg=%-3d %8.1f us %7.1f GB/s (%d copies, %d reps, %.1f MB)%n", d.backendName(), type,
                    s.name(), tpr, wg, sec * 1e6, bytes / sec / 1e9, copies, reps, bytes / 1e6);
        } finally {
            for (BoundKernel k : ks) k.close();
            for (Tensor t : owned) t.close();
        }
    }

    static double time(Device d, List<BoundKernel> ks, Grid g, int reps) throws Exception {
        long t0 = System.nanoTime();
        try (CommandBatch b = d.newBatch()) {
            for (int i = 0; i < reps; i++) b.dispatch(ks.get(i % ks.size()), g.x(), g.y(), g.z());
            b.submitAndWait();
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    static void timeMatMul(Device d, GgmlType type, Shape s, int tokens) throws Exception {
        long bytes = (long) s.rows() * QuantMatVec.rowBytes(type, s.cols());
        int wg = QuantMatVec.DEFAULT_MATMUL_WG;
        try (Tensor w = weights(d, type, s, RandomWeights.of(type, s.rows(), s.cols(), RandomWeights.Scales.MODERATE, new Random(7)));
             Tensor x = d.upload("X", KernelCase.randomFloats(new Random(1), tokens * s.cols(), 1f));
             Tensor y = d.createTensor("Y", DType.F32, (long) tokens * s.rows());
             Tensor p = d.upload("p", QuantMatVec.matmulParams(type, s.rows(), s.cols(), 0, tokens, s.rows()));
             BoundKernel k = d.bind(d.compile(QuantMatVec.matmulSpec(type, wg)), p, w, x, y)) {
            Grid g = QuantMatVec.matmulGrid(s.rows(), tokens, wg, d.limits());
            double sec = time(d, List.of(k), g, 1);
            int reps = (int) Math.max(3, Math.min(200, 0.5 / sec));
            sec = time(d, List.of(k), g, reps) / reps;
            double flops = 2.0 * tokens * s.rows() * s.cols();
            System.out.printf("[bench] backend=%s matmul %-5s %-20s T=%d wg=%d %9.1f us %7.2f TFLOP/s (weights %.1f MB, %d reps)%n", d.backendName(),
                    type, s.name(), tokens, wg, sec * 1e6, flops / sec / 1e12, bytes / 1e6, reps);
        }
    }

}
