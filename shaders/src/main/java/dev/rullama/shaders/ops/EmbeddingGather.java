package dev.rullama.shaders.ops;

import dev.rullama.api.KernelSpec;
import dev.rullama.gguf.GgmlType;
import dev.rullama.shaders.WgslSource;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Set;

/**
 * Embedding rows for token ids read from a GPU tensor ({@code embed.wgsl}), dequantized from the raw GGUF bytes of an
 * F32, F16, BF16, Q8_0 or Q6_K table and scaled ({@code sqrt(d)} for token_embd, 16 for Gemma 4's per-layer table).
 * A table over the storage-binding limit is bound as windows (see {@link #params}); each dispatch writes the tokens
 * whose rows its window holds.
 */
public final class EmbeddingGather {
    public static final String FILE = "embed";
    public static final Set<GgmlType> TYPES = Set.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q6_K);

    private EmbeddingGather() {}

    /** Bindings: params, ids (u32), table (u32 words of raw GGUF bytes), out. */
    public static KernelSpec spec(GgmlType type, int workgroupSize) {
        Bindings.require(TYPES.contains(type), "embedding gather decodes " + TYPES + ", not " + type);
        return new KernelSpec("embed_" + type.name().toLowerCase(java.util.Locale.ROOT), WgslSource.load(FILE), "main",
                Map.of("WG", (double) workgroupSize, "TYPE", (double) type.id()), Bindings.of("params:U", "ids:R", "table:R", "out:W"));
    }

    /** Bytes of one row of {@code dim} elements. */
    public static int rowBytes(GgmlType type, int dim) {
        Bindings.require(dim % type.blockElements() == 0, dim + " is not a whole number of " + type + " blocks");
        return Math.toIntExact(type.byteSize(dim));
    }

    /**
     * The uniform block: dim, tokens, row_bytes, first_row, row_count, byte_offset, scale, padding. The bound window
     * holds rows {@code firstRow .. firstRow + rowCount - 1}, the first starting {@code byteOffset} bytes into it.
     */
    public static int[] params(GgmlType type, int dim, int tokens, int firstRow, int rowCount, int byteOffset, float scale) {
        return new int[]{dim, tokens, rowBytes(type, dim), firstRow, rowCount, byteOffset, Bindings.f(scale), 0};
    }

    /** The whole table in one binding. */
    public static int[] params(GgmlType type, int dim, int tokens, int rows, float scale) {
        return params(type, dim, tokens, 0, rows, 0, scale);
    }

    public static long workgroups(int dim, int tokens, int workgroupSize) {
        return Math.max(1, Bindings.ceilDiv((long) dim * tokens, workgroupSize));
    }

    /** Reference with gguf-loader's dequantizer: out [ids.length][dim]. */
    public static float[] reference(byte[] table, GgmlType type, int dim, int[] ids, float scale) {
        int rb = rowBytes(type, dim);
        float[] out = new float[ids.length * dim];
        float[] row = new float[dim];
        MemorySegment seg = MemorySegment.ofArray(table);
        for (int t = 0; t < ids.length; t++) {
            type.quantBlock().dequantize(seg, (long) ids[t] * rb, row, 0, dim);
            for (int i = 0; i < dim; i++) out[t * dim + i] = row[i] * scale;
        }
        return out;
    }
}
