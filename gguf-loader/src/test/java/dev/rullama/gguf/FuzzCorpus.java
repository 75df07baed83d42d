package dev.rullama.gguf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The seed corpus of small valid GGUFs that {@link GgufFuzzTest} mutates, committed under
 * src/test/resources/fuzz-corpus/. Regenerate with
 * {@code java -cp <test classpath> dev.rullama.gguf.FuzzCorpus gguf-loader/src/test/resources/fuzz-corpus};
 * {@link FuzzCorpusTest} fails when the committed files drift from what this writes.
 */
public final class FuzzCorpus {
    private FuzzCorpus() {}

    public static Map<String, byte[]> files() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("sample-v3.gguf", TestGguf.sample().toByteArray());
        m.put("sample-v2.gguf", TestGguf.sample().version(2).toByteArray());
        m.put("align64.gguf", new GgufWriter().alignment(64).putString("general.architecture", "llama")
                .putU32("llama.block_count", 1).putF32("llama.rope.freq_base", 10000f)
                .addF32Tensor("a", new long[] {3}, new float[] {1, 2, 3})
                .addTensor("b", GgmlType.Q4_0, new long[] {32, 2}, q4_0(2))
                .toByteArray());
        m.put("metadata-only.gguf", new GgufWriter().putString("general.architecture", "gemma3")
                .putStrings("tokenizer.ggml.merges", List.of("▁ t", "h e", "▁t he"))
                .putArray("tokenizer.ggml.token_type", GgufValueType.INT32, List.of(1, 3, 3))
                .putArray("x.nested", GgufValueType.ARRAY, List.of(
                        new GgufWriter.Array(GgufValueType.STRING, List.of("a", "bc")),
                        new GgufWriter.Array(GgufValueType.STRING, List.of())))
                .putU64("x.u64", Long.MIN_VALUE).putF64("x.f64", -1e300).putBool("x.b", false)
                .toByteArray());
        GgufWriter quants = new GgufWriter().putString("general.architecture", "gemma4").putU32("general.quantization_version", 2);
        for (GgmlType t : GgmlType.values()) {
            if (!t.isSupported()) continue;
            byte[] block = new byte[t.blockBytes()];
            for (int i = 0; i < block.length; i++) block[i] = (byte) (i * 37 + t.id());
            if (t.isQuantized() && t != GgmlType.MXFP4 && t != GgmlType.NVFP4 && t != GgmlType.Q8_K) {
                for (int i = 0; i < block.length; i++) block[i] &= 0x3B; // keep f16 scales finite
            }
            quants.addTensor("blk.0." + t.name().toLowerCase() + ".weight", t, new long[] {t.blockElements()}, block);
        }
        m.put("all-types.gguf", quants.toByteArray());
        m.put("empty.gguf", new GgufWriter().toByteArray());
        return m;
    }

    private static byte[] q4_0(int blocks) {
        byte[] b = new byte[18 * blocks];
        for (int k = 0; k < blocks; k++) {
            short d = Float.floatToFloat16(0.125f * (k + 1));
            b[18 * k] = (byte) d;
            b[18 * k + 1] = (byte) (d >> 8);
            for (int j = 0; j < 16; j++) b[18 * k + 2 + j] = (byte) (j * 17 + k);
        }
        return b;
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "gguf-loader/src/test/resources/fuzz-corpus");
        Files.createDirectories(dir);
        for (Map.Entry<String, byte[]> e : files().entrySet()) Files.write(dir.resolve(e.getKey()), e.getValue());
        System.out.println("wrote " + files().size() + " files to " + dir);
    }
}
