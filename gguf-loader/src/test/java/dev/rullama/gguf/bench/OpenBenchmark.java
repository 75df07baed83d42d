package dev.rullama.gguf.bench;

import dev.rullama.gguf.GgmlType;
import dev.rullama.gguf.GgufFile;
import dev.rullama.gguf.GgufTensor;
import dev.rullama.gguf.GgufWriter;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Micro-benchmark: time to open a GGUF (map + parse the header) and list its tensors, and to decode the token list.
 * With no argument it writes a sparse synthetic model shaped like Ollama's gemma4 e4b blob (a 262144-entry vocabulary,
 * merges, ~2100 tensors, a BF16 per-layer embedding that puts later offsets past 4 GiB) into a temp dir; with a path
 * it measures that file. Prints timings only: no pass/fail, targets belong here, not in tests.
 *
 * <pre>
 * mvn -o -q -pl gguf-loader test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt -Dmdep.includeScope=test
 * java --enable-native-access=ALL-UNNAMED -cp gguf-loader/target/classes:gguf-loader/target/test-classes:$(cat /tmp/cp.txt) \
 *     dev.rullama.gguf.bench.OpenBenchmark [file.gguf] [iterations]
 * </pre>
 */
public final class OpenBenchmark {
    /** Shape of the synthetic model. */
    public record Params(int vocab, int merges, int layers, int tensorsPerLayer, long bigRows) {
        public static final Params GEMMA4_E4B_LIKE = new Params(262_144, 514_906, 42, 50, 42 * 256L);
    }

    /** Timings of one run, in nanoseconds: open (map + parse), list (walk every tensor), vocabulary decode. */
    public record Result(long openNanos, long listNanos, long vocabNanos, int tensors, long fileSize) {}

    private OpenBenchmark() {}

    public static Path synthesize(Path dir, Params p) throws Exception {
        Path file = dir.resolve("synthetic-" + p.vocab + ".gguf");
        List<String> tokens = new ArrayList<>(p.vocab);
        for (int i = 0; i < p.vocab; i++) tokens.add("▁tok" + i);
        List<String> merges = new ArrayList<>(p.merges);
        for (int i = 0; i < p.merges; i++) merges.add("▁t" + (i % 97) + " ok" + i);
        float[] scores = new float[p.vocab];
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "gemma4")
                .putU32("gemma4.block_count", p.layers)
                .putU32("gemma4.context_length", 131072)
                .putU32("gemma4.embedding_length", 2560)
                .putInts("gemma4.feed_forward_length", new int[p.layers])
                .putString("tokenizer.ggml.model", "gemma4")
                .putStrings("tokenizer.ggml.tokens", tokens)
                .putFloats("tokenizer.ggml.scores", scores)
                .putStrings("tokenizer.ggml.merges", merges);
        w.addZeroTensor("per_layer_token_embd.weight", GgmlType.BF16, new long[] {p.bigRows, p.vocab});
        w.addZeroTensor("token_embd.weight", GgmlType.Q6_K, new long[] {2560, p.vocab});
        for (int l = 0; l < p.layers; l++) {
            for (int t = 0; t < p.tensorsPerLayer; t++) {
                w.addZeroTensor("blk." + l + ".w" + t + ".weight", t % 3 == 0 ? GgmlType.F32 : GgmlType.Q4_K, new long[] {2560, t % 3 == 0 ? 1 : 64});
            }
        }
        w.write(file);
        return file;
    }

    public static Result run(Path file) throws Exception {
        long t0 = System.nanoTime();
        try (GgufFile f = GgufFile.open(file)) {
            long t1 = System.nanoTime();
            long bytes = 0;
            for (GgufTensor t : f.tensors()) bytes += t.byteSize() + t.shape().length + t.name().length();
            long t2 = System.nanoTime();
            long chars = 0;
            if (f.metadata().contains("tokenizer.ggml.tokens")) {
                for (String s : f.metadata().getStrings("tokenizer.ggml.tokens")) chars += s.length();
            }
            long t3 = System.nanoTime();
            if (bytes < 0 || chars < 0) throw new AssertionError();
            return new Result(t1 - t0, t2 - t1, t3 - t2, f.tensors().size(), f.fileSize());
        }
    }

    public static void report(Path file, int iterations, PrintStream out) throws Exception {
        long[] open = new long[iterations], list = new long[iterations], vocab = new long[iterations];
        Result r = null;
        for (int i = 0; i < iterations; i++) {
            r = run(file);
            open[i] = r.openNanos;
            list[i] = r.listNanos;
            vocab[i] = r.vocabNanos;
        }
        out.printf("%s: %.2f GiB, %d tensors, %d iterations%n", file, r.fileSize / (double) (1L << 30), r.tensors, iterations);
        out.printf("  open (map + parse header): first %.2f ms, median %.2f ms%n", open[0] / 1e6, median(open) / 1e6);
        out.printf("  list tensors:              first %.3f ms, median %.3f ms%n", list[0] / 1e6, median(list) / 1e6);
        out.printf("  decode vocabulary:         first %.2f ms, median %.2f ms%n", vocab[0] / 1e6, median(vocab) / 1e6);
    }

    private static double median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    public static void main(String[] args) throws Exception {
        int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        if (args.length > 0) {
            report(Path.of(args[0]), iterations, System.out);
            return;
        }
        Path dir = Files.createTempDirectory("rullama-open-bench");
        Path file = null;
        try {
            long t = System.nanoTime();
            file = synthesize(dir, Params.GEMMA4_E4B_LIKE);
            System.out.printf("wrote sparse synthetic model in %.1f s%n", (System.nanoTime() - t) / 1e9);
            report(file, iterations, System.out);
        } finally {
            if (file != null) Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }
}
