package dev.rullama.gguf.quant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bit-exact dequantization against vectors made by an independent implementation: the PyPI {@code gguf} package's
 * {@code gguf.quants} (llama.cpp's Python port of ggml-quants.c), written by tools/gguf/gen_quant_vectors.py into
 * src/test/resources/quant/. Floats are compared by their bits; two NaNs count as equal whatever their payload.
 * No tolerance: every decoder performs the same float32 operations in the same order as the reference.
 */
class QuantVectorsTest {
    record Vector(GgmlType type, JsonNode entry, byte[] raw, float[] expected) {
        @Override public String toString() { return type.name(); }
    }

    static JsonNode manifest() throws IOException {
        try (InputStream in = QuantVectorsTest.class.getResourceAsStream("/quant/manifest.json")) {
            if (in == null) throw new IllegalStateException("quant/manifest.json missing from test resources");
            return new ObjectMapper().readTree(in);
        }
    }

    static byte[] resource(String name, String sha256) throws Exception {
        try (InputStream in = QuantVectorsTest.class.getResourceAsStream("/quant/" + name)) {
            if (in == null) throw new IllegalStateException("quant/" + name + " missing");
            byte[] b = in.readAllBytes();
            String actual = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
            assertEquals(sha256, actual, name + " does not match the sha256 pinned in manifest.json");
            return b;
        }
    }

    static List<Vector> vectors() throws Exception {
        List<Vector> out = new ArrayList<>();
        for (JsonNode e : manifest().get("types")) {
            GgmlType type = GgmlType.valueOf(e.get("type").asText());
            byte[] raw = resource(e.get("bin").asText(), e.get("bin_sha256").asText());
            byte[] f32 = resource(e.get("f32").asText(), e.get("f32_sha256").asText());
            float[] expected = new float[f32.length / 4];
            ByteBuffer.wrap(f32).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(expected);
            out.add(new Vector(type, e, raw, expected));
        }
        return out;
    }

    static void assertBitsEqual(float[] expected, float[] actual, int actualOff, String what) {
        for (int i = 0; i < expected.length; i++) {
            float a = actual[actualOff + i], x = expected[i];
            boolean same = Float.isNaN(x) ? Float.isNaN(a) : Float.floatToRawIntBits(x) == Float.floatToRawIntBits(a);
            if (!same) {
                fail(what + ": element " + i + " expected " + x + " (0x" + Integer.toHexString(Float.floatToRawIntBits(x)) + ") but got "
                        + a + " (0x" + Integer.toHexString(Float.floatToRawIntBits(a)) + ")");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void layoutMatchesTheReference(Vector v) {
        assertEquals(v.entry.get("id").asInt(), v.type.id());
        assertEquals(v.entry.get("block_elements").asInt(), v.type.blockElements());
        assertEquals(v.entry.get("block_bytes").asInt(), v.type.blockBytes());
        QuantBlock qb = v.type.quantBlock();
        assertEquals(v.type, qb.type());
        assertEquals(v.type.blockBytes(), qb.blockBytes());
        assertEquals(v.raw.length / v.type.blockBytes() * v.type.blockElements(), v.expected.length);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void dequantizeIsBitExactWithGgufPy(Vector v) {
        QuantBlock qb = v.type.quantBlock();
        float[] out = new float[v.expected.length + 5];
        qb.dequantize(MemorySegment.ofArray(v.raw), 0, out, 5, v.expected.length);
        assertBitsEqual(v.expected, out, 5, v.type + " heap segment");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void blockByBlockFromAnUnalignedNativeOffset(Vector v) {
        QuantBlock qb = v.type.quantBlock();
        try (Arena arena = Arena.ofConfined()) {
            long base = 3; // odd offset: fields are read unaligned, as in a mapped file
            MemorySegment seg = arena.allocate(v.raw.length + base);
            MemorySegment.copy(v.raw, 0, seg, ValueLayout.JAVA_BYTE, base, v.raw.length);
            float[] out = new float[v.expected.length];
            int be = qb.blockElements();
            for (int b = 0; b < out.length / be; b++) qb.dequantizeBlock(seg, base + (long) b * qb.blockBytes(), out, b * be);
            assertBitsEqual(v.expected, out, 0, v.type + " per block");
        }
    }

    @Test
    void everySupportedTypeHasVectors() throws Exception {
        Set<GgmlType> covered = EnumSet.noneOf(GgmlType.class);
        for (Vector v : vectors()) covered.add(v.type);
        for (GgmlType t : GgmlType.values()) {
            if (t.isSupported()) assertTrue(covered.contains(t), t + " is decodable but has no reference vectors");
        }
    }

    @Test
    void vectorsIncludeQuantizedBlocksWhereTheReferenceCanQuantize() throws Exception {
        int withQuantized = 0;
        for (Vector v : vectors()) if (v.entry.get("quantized_blocks").asInt() > 0) withQuantized++;
        assertTrue(withQuantized >= 8, "F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, MXFP4 come with quantize()d blocks");
    }
}
