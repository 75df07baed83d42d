package dev.rullama.gguf;

import dev.rullama.api.ModelFormatException;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Builders and byte-patching helpers shared by the GGUF tests. */
public final class TestGguf {
    public static final Path MEM = Path.of("mem.gguf");

    private TestGguf() {}

    /** A small valid file with every value type, a nested array and text, vision and audio tensors of several types. */
    public static GgufWriter sample() {
        return new GgufWriter()
                .putString("general.architecture", "gemma4")
                .putString("general.name", "sample")
                .putU32("general.file_type", 15)
                .putU32("general.quantization_version", 2)
                .putU8("t.u8", 250)
                .putI8("t.i8", -7)
                .putU16("t.u16", 65000)
                .putI16("t.i16", -1234)
                .putU32("gemma4.context_length", 131072)
                .putI32("t.i32", -123456)
                .putF32("gemma4.attention.layer_norm_rms_epsilon", 1e-6f)
                .putBool("t.bool", true)
                .putU64("gemma4.embedding_length", 64)
                .putI64("t.i64", -9_000_000_000L)
                .putF64("t.f64", Math.PI)
                .putU32("gemma4.block_count", 2)
                .putInts("gemma4.feed_forward_length", 64, 128)
                .putBools("gemma4.attention.sliding_window_pattern", true, false)
                .putStrings("tokenizer.ggml.tokens", List.of("<pad>", "<bos>", "▁hello", "world"))
                .putFloats("tokenizer.ggml.scores", 0f, -1f, -2.5f, -3f)
                .putArray("t.nested", GgufValueType.ARRAY, List.of(
                        new GgufWriter.Array(GgufValueType.INT32, List.of(1, 2)),
                        new GgufWriter.Array(GgufValueType.INT32, List.of(3))))
                .addF32Tensor("output_norm.weight", new long[] {64}, ramp(64, 0.5f))
                .addTensor("token_embd.weight", GgmlType.Q8_0, new long[] {64, 4}, q8_0Rows(4, 2))
                .addTensor("blk.0.attn_q.weight", GgmlType.F16, new long[] {32, 2}, f16Bytes(ramp(64, 0.25f)))
                .addTensor("v.patch_embd.weight", GgmlType.F16, new long[] {8, 2}, f16Bytes(ramp(16, 1f)))
                .addTensor("mm.input_projection.weight", GgmlType.BF16, new long[] {8}, new byte[16])
                .addTensor("a.conv1d.0.weight", GgmlType.F32, new long[] {4}, new byte[16])
                .addTensor("mm.a.fc.weight", GgmlType.F32, new long[] {4}, new byte[16])
                .addTensor("blk.0.ffn_up.weight", GgmlType.Q4_K, new long[] {256, 1}, q4kBlock(1f, 0.5f));
    }

    public static float[] ramp(int n, float step) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (i - n / 2) * step;
        return f;
    }

    public static byte[] f16Bytes(float[] v) {
        ByteBuffer b = le(v.length * 2);
        for (float f : v) b.putShort(Float.floatToFloat16(f));
        return b.array();
    }

    /** Q8_0 rows of {@code blocksPerRow} blocks: block b of row r has d = 0.5·(r+1) and qs[j] = j - 16 + b. */
    public static byte[] q8_0Rows(int rows, int blocksPerRow) {
        ByteBuffer b = le(rows * blocksPerRow * 34);
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < blocksPerRow; k++) {
                b.putShort(Float.floatToFloat16(0.5f * (r + 1)));
                for (int j = 0; j < 32; j++) b.put((byte) (j - 16 + k));
            }
        }
        return b.array();
    }

    /** One Q4_K block: given d and dmin, every 6-bit scale 1 and min 0, every nibble = index % 16. */
    public static byte[] q4kBlock(float d, float dmin) {
        ByteBuffer b = le(144);
        b.putShort(Float.floatToFloat16(d)).putShort(Float.floatToFloat16(dmin));
        byte[] scales = {1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1};
        b.put(scales);
        for (int i = 0; i < 128; i++) b.put((byte) ((i % 16) | ((i % 16) << 4)));
        return b.array();
    }

    public static ByteBuffer le(int n) { return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN); }

    public static GgufFile parse(byte[] bytes) throws ModelFormatException {
        return GgufFile.parse(MEM, MemorySegment.ofArray(bytes));
    }

    /** Parses and asserts a ModelFormatException naming the in-memory label. */
    public static ModelFormatException parseError(byte[] bytes) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> parse(bytes));
        assertEquals(MEM, e.file());
        return e;
    }

    public static byte[] patchU32(byte[] b, long off, long v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt((int) off, (int) v);
        return c;
    }

    public static byte[] patchU64(byte[] b, long off, long v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putLong((int) off, v);
        return c;
    }

    public static byte[] patchAscii(byte[] b, long off, String s) {
        byte[] c = b.clone();
        byte[] a = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(a, 0, c, (int) off, a.length);
        return c;
    }

    public static byte[] cut(byte[] b, long n) { return Arrays.copyOf(b, (int) n); }

    /** Offset of a key's value-type field, given the key's offset from {@link GgufWriter.Layout#keyOffsets()}. */
    public static long valueTypeOffset(GgufWriter.Layout l, String key) {
        return l.keyOffsets().get(key) + 8 + key.getBytes(StandardCharsets.UTF_8).length;
    }

    /** Offset of the type-id field of tensor {@code i} with {@code nDims} dims and name {@code name}. */
    public static long tensorTypeOffset(GgufWriter.Layout l, int i, String name, int nDims) {
        return l.tensorInfoOffsets().get(i) + 8 + name.getBytes(StandardCharsets.UTF_8).length + 4 + 8L * nDims;
    }

    /** Offset of the data-offset field of tensor {@code i}. */
    public static long tensorOffsetField(GgufWriter.Layout l, int i, String name, int nDims) {
        return tensorTypeOffset(l, i, name, nDims) + 4;
    }
}
