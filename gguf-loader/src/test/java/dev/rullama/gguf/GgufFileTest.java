package dev.rullama.gguf;

import dev.rullama.api.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parsing valid files: value types, metadata accessors, tensor views, the text/multimodal split. */
class GgufFileTest {

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void readsEveryValueTypeInVersion(int version, @TempDir Path dir) throws Exception {
        Path p = dir.resolve("s.gguf");
        new GgufWriter().version(version).putU8("u8", 255).putI8("i8", -128).putU16("u16", 65535).putI16("i16", -32768)
                .putU32("u32", 0xFFFF_FFFFL).putI32("i32", Integer.MIN_VALUE).putF32("f32", 1.5f).putBool("b", false)
                .putString("s", "héllo\n▁").putU64("u64", -1L).putI64("i64", Long.MIN_VALUE).putF64("f64", -0.0)
                .putInts("arr", 1, 2, 3).write(p);
        try (GgufFile f = GgufFile.open(p)) {
            GgufMetadata m = f.metadata();
            assertEquals(version, f.version());
            assertEquals(List.of("u8", "i8", "u16", "i16", "u32", "i32", "f32", "b", "s", "u64", "i64", "f64", "arr"), List.copyOf(m.keys()));
            assertEquals(255, m.getLong("u8"));
            assertEquals(-128, m.getLong("i8"));
            assertEquals(65535, m.getInt("u16"));
            assertEquals(-32768, m.getInt("i16"));
            assertEquals(0xFFFF_FFFFL, m.getLong("u32"));
            assertEquals(Integer.MIN_VALUE, m.getInt("i32"));
            assertEquals(1.5f, m.getFloat("f32"));
            assertFalse(m.getBoolean("b"));
            assertEquals("héllo\n▁", m.getString("s"));
            assertEquals(-1L, m.get("u64").rawBits());
            assertEquals(1.8446744073709552E19, m.getDouble("u64"));
            assertEquals(Long.MIN_VALUE, m.getLong("i64"));
            assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(m.getDouble("f64")));
            assertArrayEquals(new int[] {1, 2, 3}, m.getInts("arr"));
            for (String k : m.keys()) assertEquals(k, m.get(k).key());
            assertEquals(GgufValueType.UINT64, m.get("u64").type());
        }
    }

    @Test
    void u64AboveLongMaxIsAnErrorAsLong() throws Exception {
        byte[] b = new GgufWriter().putU64("big", -1L).toByteArray();
        GgufFile f = TestGguf.parse(b);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> f.metadata().getLong("big"));
        assertTrue(e.getMessage().contains("'big'"), e.getMessage());
        assertEquals(f.metadata().get("big").offset(), e.offset());
    }

    @Test
    void typeMismatchNamesKeyAndOffset() throws Exception {
        GgufFile f = TestGguf.parse(TestGguf.sample().toByteArray());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> f.metadata().getLong("general.name"));
        assertEquals(f.metadata().get("general.name").offset(), e.offset());
        assertTrue(e.getMessage().contains("key 'general.name' is a str, expected an integer"), e.getMessage());
        ModelFormatException missing = assertThrows(ModelFormatException.class, () -> f.metadata().getString("nope"));
        assertTrue(missing.getMessage().contains("missing metadata key 'nope'"), missing.getMessage());
        assertTrue(f.metadata().findString("nope").isEmpty());
    }

    @Test
    void scalarOrArrayIntegersAndBools() throws Exception {
        byte[] b = new GgufWriter()
                .putU32("a.scalar", 2048)
                .putInts("a.array", 2048, 4096, 2048)
                .putArray("a.u16array", GgufValueType.UINT16, List.of(1, 65535))
                .putArray("a.u64array", GgufValueType.UINT64, List.of(7L))
                .putBools("a.bools", true, false, true)
                .putBool("a.bool", true)
                .toByteArray();
        GgufMetadata m = TestGguf.parse(b).metadata();
        assertArrayEquals(new int[] {2048, 2048, 2048}, m.getPerLayerInts("a.scalar", 3));
        assertArrayEquals(new int[] {2048, 4096, 2048}, m.getPerLayerInts("a.array", 3));
        assertArrayEquals(new int[] {2048}, m.getInts("a.scalar"));
        assertArrayEquals(new int[] {1, 65535}, m.getInts("a.u16array"));
        assertArrayEquals(new int[] {7}, m.getInts("a.u64array"));
        assertArrayEquals(new boolean[] {true, false, true}, m.getBooleans("a.bools"));
        assertArrayEquals(new boolean[] {true, true}, m.getPerLayerBooleans("a.bool", 2));
        assertArrayEquals(new boolean[] {true, false, true}, m.getPerLayerBooleans("a.bools", 3));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> m.getPerLayerInts("a.array", 4));
        assertTrue(e.getMessage().contains("3 entries, expected one per layer (4)"), e.getMessage());
        assertThrows(ModelFormatException.class, () -> m.getInts("a.bools"));
    }

    @Test
    void arraysAreLazyAndDecodeOnDemand() throws Exception {
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 5000; i++) tokens.add("tok" + i + (i % 7 == 0 ? "▁" : ""));
        byte[] b = new GgufWriter().putStrings("tokenizer.ggml.tokens", tokens).putFloats("s", 1f, 2f).toByteArray();
        GgufMetadata m = TestGguf.parse(b).metadata();
        GgufArray a = m.getArray("tokenizer.ggml.tokens");
        assertEquals(5000, a.size());
        assertEquals(GgufValueType.STRING, a.elementType());
        assertEquals("tok4997", a.getString(4997));
        assertEquals("tok4998▁", a.getString(4998));
        assertEquals("tok0▁", a.getString(0));
        assertEquals(tokens, m.getStrings("tokenizer.ggml.tokens"));
        assertEquals("arr[str,5000]", m.get("tokenizer.ggml.tokens").typeLabel());
        assertEquals("[\"tok0▁\", \"tok1\", ... (5000 total)]", m.get("tokenizer.ggml.tokens").display(2, 20));
        assertArrayEquals(new float[] {1f, 2f}, m.getFloats("s"));
        assertThrows(IndexOutOfBoundsException.class, () -> a.getString(5000));
    }

    @Test
    void nestedArrays() throws Exception {
        GgufMetadata m = TestGguf.parse(TestGguf.sample().toByteArray()).metadata();
        GgufArray outer = m.getArray("t.nested");
        assertEquals(GgufValueType.ARRAY, outer.elementType());
        assertEquals(2, outer.size());
        assertArrayEquals(new long[] {1, 2}, outer.getArray(0).toLongArray());
        assertArrayEquals(new long[] {3}, outer.getArray(1).toLongArray());
        assertEquals("[[1, 2], [3]]", m.get("t.nested").display(8, 80));
        assertEquals("arr[arr[i32],2]", m.get("t.nested").typeLabel());
    }

    @Test
    void alignmentFromMetadata(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("a.gguf");
        GgufWriter.Layout l = new GgufWriter().alignment(256).putString("general.architecture", "x")
                .addF32Tensor("a", new long[] {3}, new float[] {1, 2, 3})
                .addF32Tensor("b", new long[] {5}, new float[] {4, 5, 6, 7, 8}).write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(256, f.alignment());
            assertEquals(0, f.dataOffset() % 256);
            assertEquals(l.dataOffset(), f.dataOffset());
            assertEquals(256, f.tensor("b").offset());
            assertArrayEquals(new float[] {4, 5, 6, 7, 8}, f.tensor("b").dequantize());
        }
    }

    @Test
    void defaultAlignmentIs32() throws Exception {
        GgufFile f = TestGguf.parse(TestGguf.sample().toByteArray());
        assertEquals(32, f.alignment());
        for (GgufTensor t : f.tensors()) assertEquals(0, t.offset() % 32, t.name());
    }

    @Test
    void tensorViewsAreZeroCopySlicesOfTheMapping(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("t.gguf");
        GgufWriter.Layout l = TestGguf.sample().write(p);
        byte[] raw = Files.readAllBytes(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(raw.length, f.fileSize());
            for (int i = 0; i < f.tensors().size(); i++) {
                GgufTensor t = f.tensors().get(i);
                assertEquals(l.tensorOffsets().get(i), t.fileOffset());
                MemorySegment d = t.data();
                assertEquals(f.segment().address() + t.fileOffset(), d.address(), "a slice, not a copy");
                assertTrue(d.isReadOnly() || d.isMapped());
                byte[] expect = java.util.Arrays.copyOfRange(raw, (int) t.fileOffset(), (int) (t.fileOffset() + t.byteSize()));
                assertArrayEquals(expect, d.toArray(ValueLayout.JAVA_BYTE), t.name());
            }
            GgufTensor q = f.tensor("token_embd.weight");
            assertArrayEquals(new long[] {64, 4}, q.shape());
            assertEquals(64, q.rowLength());
            assertEquals(4, q.rowCount());
            assertEquals(68, q.rowBytes());
            assertEquals(4 * 68, q.byteSize());
            assertEquals(2, q.nDims());
            assertEquals(1, q.dim(3));
        }
    }

    @Test
    void dequantizeRowsOfAQuantizedTensor() throws Exception {
        GgufFile f = TestGguf.parse(TestGguf.sample().toByteArray());
        GgufTensor t = f.tensor("token_embd.weight");
        float[] row = new float[64 + 3];
        t.dequantizeRow(2, row, 3);
        for (int k = 0; k < 2; k++) {
            for (int j = 0; j < 32; j++) assertEquals(1.5f * (j - 16 + k), row[3 + 32 * k + j], "row 2 block " + k + " elem " + j);
        }
        float[] all = t.dequantize();
        assertEquals(0.5f * (0 - 16), all[0]);
        assertEquals(2.0f * (31 - 16 + 1), all[255]);
        assertArrayEquals(TestGguf.ramp(64, 0.5f), f.tensor("output_norm.weight").dequantize());
        assertArrayEquals(TestGguf.ramp(64, 0.25f), f.tensor("blk.0.attn_q.weight").dequantize());
        assertThrows(IndexOutOfBoundsException.class, () -> t.dequantizeRow(4, row, 0));
    }

    @Test
    void textViewHidesVisionAndAudioTensors() throws Exception {
        GgufFile f = TestGguf.parse(TestGguf.sample().toByteArray());
        List<String> all = f.tensors().stream().map(GgufTensor::name).toList();
        List<String> text = f.textTensors().stream().map(GgufTensor::name).toList();
        assertEquals(8, all.size());
        assertEquals(List.of("output_norm.weight", "token_embd.weight", "blk.0.attn_q.weight", "blk.0.ffn_up.weight"), text);
        assertEquals(List.of("v.patch_embd.weight", "mm.input_projection.weight"), f.tensors(Modality.VISION).stream().map(GgufTensor::name).toList());
        assertEquals(List.of("a.conv1d.0.weight", "mm.a.fc.weight"), f.tensors(Modality.AUDIO).stream().map(GgufTensor::name).toList());
        assertTrue(f.findTensor("v.patch_embd.weight").isPresent(), "still reachable by name in the full view");
    }

    @Test
    void modalityByPrefix() {
        assertEquals(Modality.VISION, Modality.of("v.blk.0.attn_q.weight"));
        assertEquals(Modality.VISION, Modality.of("mm.0.weight"));
        assertEquals(Modality.VISION, Modality.of("model.vision_tower.encoder.weight"));
        assertEquals(Modality.AUDIO, Modality.of("a.blk.3.ffn.weight"));
        assertEquals(Modality.AUDIO, Modality.of("mm.a.mlp.weight"));
        assertEquals(Modality.TEXT, Modality.of("blk.0.attn_v.weight"));
        assertEquals(Modality.TEXT, Modality.of("per_layer_token_embd.weight"));
        assertEquals(Modality.TEXT, Modality.of("vocab.weight"), "only the 'v.' prefix with its dot counts");
        assertEquals(Modality.TEXT, Modality.of("mmproj_like.weight"));
    }

    @Test
    void knownButUnsupportedTypeOpensButCannotBeDecoded() throws Exception {
        byte[] b = new GgufWriter().addTensor("iq", GgmlType.IQ2_XXS, new long[] {256}, new byte[66]).toByteArray();
        GgufFile f = TestGguf.parse(b);
        GgufTensor t = f.tensor("iq");
        assertEquals(GgmlType.IQ2_XXS, t.type());
        assertEquals(66, t.byteSize());
        ModelFormatException e = assertThrows(ModelFormatException.class, t::quantBlock);
        assertTrue(e.getMessage().contains("tensor 'iq' has type IQ2_XXS (id 16)"), e.getMessage());
        assertTrue(e.getMessage().contains("supported types: F32, F16, Q4_0"), e.getMessage());
        assertEquals(t.infoOffset(), e.offset());
        assertThrows(ModelFormatException.class, () -> f.checkTensor("iq"));
    }

    @Test
    void closeUnmapsAndIsIdempotent(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("c.gguf");
        TestGguf.sample().write(p);
        GgufFile f = GgufFile.open(p);
        GgufTensor t = f.tensor("output_norm.weight");
        f.close();
        f.close();
        assertThrows(IllegalStateException.class, () -> t.data().get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void missingFileIsAnIOException(@TempDir Path dir) {
        assertThrows(java.nio.file.NoSuchFileException.class, () -> GgufFile.open(dir.resolve("absent.gguf")));
    }

    @Test
    void tensorLookupErrors() throws Exception {
        GgufFile f = TestGguf.parse(TestGguf.sample().toByteArray());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> f.tensor("nope"));
        assertTrue(e.getMessage().contains("no tensor named 'nope'"));
    }

    @Test
    void emptyFileWithNoTensorsOrKeys() throws Exception {
        GgufFile f = TestGguf.parse(new GgufWriter().toByteArray());
        assertEquals(0, f.tensors().size());
        assertEquals(0, f.metadata().size());
        assertEquals(32, f.fileSize(), "header padded to the alignment");
    }
}
