package dev.rullama.gguf;

import dev.rullama.api.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.rullama.gguf.TestGguf.parseError;
import static dev.rullama.gguf.TestGguf.patchU32;
import static dev.rullama.gguf.TestGguf.patchU64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each kind of broken GGUF on its own: every one must be a ModelFormatException naming the file and the byte offset
 * of the offending field (checked exactly where the layout makes it computable).
 */
class GgufMalformedTest {

    private static void assertMessage(ModelFormatException e, String part) {
        assertTrue(e.getMessage().contains(part), () -> "expected '" + part + "' in: " + e.getMessage());
        assertTrue(e.getMessage().startsWith(e.file() + (e.offset() >= 0 ? " at byte " + e.offset() : "")), e.getMessage());
    }

    private static byte[] sample() { return TestGguf.sample().toByteArray(); }

    private static GgufWriter.Layout layout() { return TestGguf.sample().layout(); }

    @Test
    void wrongMagicNamesFileAndOffsetZero(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("model.safetensors");
        byte[] b = sample();
        b[0] = 'G'; b[1] = 'G'; b[2] = 'M'; b[3] = 'L';
        Files.write(p, b);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufFile.open(p));
        assertEquals(p, e.file());
        assertEquals(0, e.offset());
        assertMessage(e, "not a GGUF file: it starts with \"GGML\"");
    }

    @Test
    void tooShortForAHeader() {
        ModelFormatException e = parseError(new byte[] {'G', 'G'});
        assertEquals(0, e.offset());
        assertMessage(e, "too short");
    }

    @Test
    void emptyFile(@TempDir Path dir) throws Exception {
        Path p = Files.createFile(dir.resolve("empty.gguf"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufFile.open(p));
        assertEquals(p, e.file());
        assertMessage(e, "0 bytes");
    }

    @Test
    void version1IsRejectedAsObsolete() {
        ModelFormatException e = parseError(patchU32(sample(), 4, 1));
        assertEquals(4, e.offset());
        assertMessage(e, "GGUF version 1 is obsolete");
    }

    @Test
    void version99IsRejected() {
        ModelFormatException e = parseError(patchU32(sample(), 4, 99));
        assertEquals(4, e.offset());
        assertMessage(e, "unsupported GGUF version 99; supported: 2 and 3");
    }

    @Test
    void bigEndianFileIsRejectedClearly() {
        ModelFormatException e = parseError(patchU32(sample(), 4, 3L << 24));
        assertEquals(4, e.offset());
        assertMessage(e, "big-endian GGUF");
    }

    @Test
    void tensorCountLargerThanTheFileCouldHold() {
        ModelFormatException e = parseError(patchU64(sample(), 8, 1L << 40));
        assertEquals(8, e.offset());
        assertMessage(e, "tensor count 1099511627776 cannot fit");
    }

    @Test
    void negativeTensorCount() {
        ModelFormatException e = parseError(patchU64(sample(), 8, -1L));
        assertEquals(8, e.offset());
        assertMessage(e, "tensor count 18446744073709551615");
    }

    @Test
    void kvCountLargerThanTheFileCouldHold() {
        ModelFormatException e = parseError(patchU64(sample(), 16, 1L << 40));
        assertEquals(16, e.offset());
        assertMessage(e, "metadata count 1099511627776");
    }

    @Test
    void keyLengthBeyondTheFile() {
        long keyAt = layout().keyOffsets().get("general.architecture");
        ModelFormatException e = parseError(patchU64(sample(), keyAt, 1L << 50));
        assertEquals(keyAt, e.offset());
        assertMessage(e, "length of the key of metadata entry 0 is 1125899906842624, beyond the");
    }

    @Test
    void stringValueLengthBeyondTheFile() {
        byte[] b = sample();
        long valueAt = TestGguf.valueTypeOffset(layout(), "general.name") + 4;
        ModelFormatException e = parseError(patchU64(b, valueAt, b.length));
        assertEquals(valueAt, e.offset());
        assertMessage(e, "length of the value of key 'general.name' is " + b.length + ", beyond the");
    }

    @Test
    void stringElementLengthBeyondTheFile() {
        long countAt = TestGguf.valueTypeOffset(layout(), "tokenizer.ggml.tokens") + 4 + 4;
        long firstElem = countAt + 8;
        ModelFormatException e = parseError(patchU64(sample(), firstElem, -5L));
        assertEquals(firstElem, e.offset());
        assertMessage(e, "element 0 of array 'tokenizer.ggml.tokens' has length 18446744073709551611");
    }

    @Test
    void arrayOf2To40Elements() {
        long countAt = TestGguf.valueTypeOffset(layout(), "gemma4.feed_forward_length") + 4 + 4;
        ModelFormatException e = parseError(patchU64(sample(), countAt, 1L << 40));
        assertEquals(countAt, e.offset());
        assertMessage(e, "array 'gemma4.feed_forward_length' claims 1099511627776 elements of at least 4 bytes each");
    }

    @Test
    void stringArrayOf2To40Elements() {
        long countAt = TestGguf.valueTypeOffset(layout(), "tokenizer.ggml.tokens") + 4 + 4;
        ModelFormatException e = parseError(patchU64(sample(), countAt, 1L << 40));
        assertEquals(countAt, e.offset());
        assertMessage(e, "claims 1099511627776 elements of at least 8 bytes each");
    }

    @Test
    void unknownValueType() {
        long typeAt = TestGguf.valueTypeOffset(layout(), "t.u8");
        ModelFormatException e = parseError(patchU32(sample(), typeAt, 13));
        assertEquals(typeAt, e.offset());
        assertMessage(e, "key 't.u8' has unknown value type 13 (valid: 0..12)");
    }

    @Test
    void unknownArrayElementType() {
        long elemTypeAt = TestGguf.valueTypeOffset(layout(), "gemma4.feed_forward_length") + 4;
        ModelFormatException e = parseError(patchU32(sample(), elemTypeAt, 0x7FFF_FFFF));
        assertEquals(elemTypeAt, e.offset());
        assertMessage(e, "unknown element type 2147483647");
    }

    @Test
    void boolOtherThanZeroOrOne() {
        long valueAt = TestGguf.valueTypeOffset(layout(), "t.bool") + 4;
        byte[] b = sample();
        b[(int) valueAt] = 2;
        ModelFormatException e = parseError(b);
        assertEquals(valueAt, e.offset());
        assertMessage(e, "only 0 and 1 are valid");
    }

    @Test
    void duplicateKeys() {
        byte[] good = new GgufWriter().putU32("dup.a1", 1).putU32("dup.b1", 2).toByteArray();
        GgufWriter.Layout l = new GgufWriter().putU32("dup.a1", 1).putU32("dup.b1", 2).layout();
        long second = l.keyOffsets().get("dup.b1");
        ModelFormatException e = parseError(TestGguf.patchAscii(good, second + 8, "dup.a1"));
        assertEquals(second, e.offset());
        assertMessage(e, "duplicate metadata key 'dup.a1' (its first value is at byte");
    }

    @Test
    void emptyKey() {
        byte[] good = new GgufWriter().putU32("k", 1).toByteArray();
        // Shrink the key length to 0: the 'k' byte then reads as the start of the value type, which must fail somewhere
        // in the header; the point is only that an empty key is named as such.
        byte[] b = patchU64(good, 24, 0);
        ModelFormatException e = parseError(b);
        assertEquals(24, e.offset());
        assertMessage(e, "empty key");
    }

    @Test
    void alignmentNotAPowerOfTwo() {
        GgufWriter w = new GgufWriter().alignment(64).addF32Tensor("t", new long[] {1}, new float[] {1});
        long valueAt = TestGguf.valueTypeOffset(w.layout(), "general.alignment") + 4;
        ModelFormatException e = parseError(patchU32(w.toByteArray(), valueAt, 48));
        assertEquals(valueAt, e.offset());
        assertMessage(e, "general.alignment is 48, not a power of two");
        ModelFormatException zero = parseError(patchU32(w.toByteArray(), valueAt, 0));
        assertMessage(zero, "general.alignment is 0");
    }

    @Test
    void alignmentOfTheWrongType() {
        byte[] b = new GgufWriter().putU64("general.alignment", 32).toByteArray();
        ModelFormatException e = parseError(b);
        assertMessage(e, "general.alignment must be a u32, not u64");
    }

    @Test
    void unknownTensorTypeNamesTensorAndListsSupportedTypes() {
        GgufWriter.Layout l = layout();
        long typeAt = TestGguf.tensorTypeOffset(l, 1, "token_embd.weight", 2);
        ModelFormatException e = parseError(patchU32(sample(), typeAt, 77));
        assertEquals(typeAt, e.offset());
        assertMessage(e, "tensor 'token_embd.weight' has unknown ggml type id 77; supported types: F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, "
                + "Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K, I8, I16, I32, I64, F64, BF16, MXFP4, NVFP4");
    }

    @Test
    void retiredTensorTypeIdIsUnknown() {
        long typeAt = TestGguf.tensorTypeOffset(layout(), 0, "output_norm.weight", 1);
        ModelFormatException e = parseError(patchU32(sample(), typeAt, 4)); // Q4_2, removed from ggml
        assertMessage(e, "unknown ggml type id 4");
    }

    @Test
    void moreThanFourDimensions() {
        long dimsAt = layout().tensorInfoOffsets().getFirst() + 8 + "output_norm.weight".length();
        ModelFormatException e = parseError(patchU32(sample(), dimsAt, 5));
        assertEquals(dimsAt, e.offset());
        assertMessage(e, "tensor 'output_norm.weight' has 5 dimensions; at most 4 are allowed");
    }

    @Test
    void rowLengthNotAMultipleOfTheBlockSize() {
        long ne0At = layout().tensorInfoOffsets().get(1) + 8 + "token_embd.weight".length() + 4;
        ModelFormatException e = parseError(patchU64(sample(), ne0At, 48));
        assertEquals(layout().tensorInfoOffsets().get(1), e.offset());
        assertMessage(e, "tensor 'token_embd.weight' (Q8_0) has rows of 48 elements, not a multiple of the block size 32");
    }

    @Test
    void elementCountOverflow() {
        long ne0At = layout().tensorInfoOffsets().get(1) + 8 + "token_embd.weight".length() + 4;
        byte[] b = patchU64(patchU64(sample(), ne0At, 1L << 40), ne0At + 8, 1L << 40);
        ModelFormatException e = parseError(b);
        assertEquals(ne0At + 8, e.offset());
        assertMessage(e, "has more than 2^63-1 elements");
    }

    @Test
    void negativeDimension() {
        long ne0At = layout().tensorInfoOffsets().getFirst() + 8 + "output_norm.weight".length() + 4;
        ModelFormatException e = parseError(patchU64(sample(), ne0At, -64));
        assertEquals(ne0At, e.offset());
        assertMessage(e, "dimension 0 is 18446744073709551552");
    }

    @Test
    void tensorDataPastEndOfFile() {
        GgufWriter.Layout l = layout();
        int last = l.tensorInfoOffsets().size() - 1;
        long offAt = TestGguf.tensorOffsetField(l, last, "blk.0.ffn_up.weight", 2);
        ModelFormatException e = parseError(patchU64(sample(), offAt, 1L << 32));
        assertEquals(offAt, e.offset());
        assertMessage(e, "tensor 'blk.0.ffn_up.weight' data (144 bytes at data offset 4294967296");
        assertMessage(e, "runs past the end of the file");
    }

    @Test
    void tensorDataPastEndOfFileOnDisk(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("cut.gguf");
        byte[] b = sample();
        Files.write(p, TestGguf.cut(b, b.length - 1));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufFile.open(p));
        assertEquals(p, e.file());
        assertMessage(e, "runs past the end of the file (" + (b.length - 1) + " bytes)");
    }

    @Test
    void emptyTensorOffsetPastEndOfFile() {
        GgufWriter w = new GgufWriter().addTensor("empty", GgmlType.F32, new long[] {0}, new byte[0]).addF32Tensor("x", new long[] {1}, new float[] {1});
        long offAt = TestGguf.tensorOffsetField(w.layout(), 0, "empty", 1);
        ModelFormatException e = parseError(patchU64(w.toByteArray(), offAt, 512));
        assertEquals(offAt, e.offset());
        assertMessage(e, "tensor 'empty' data (0 bytes at data offset 512");
    }

    @Test
    void misalignedTensorOffset() {
        GgufWriter.Layout l = layout();
        long offAt = TestGguf.tensorOffsetField(l, 1, "token_embd.weight", 2);
        long rel = l.tensorOffsets().get(1) - l.dataOffset();
        ModelFormatException e = parseError(patchU64(sample(), offAt, rel + 4));
        assertEquals(offAt, e.offset());
        assertMessage(e, "tensor 'token_embd.weight' data offset " + (rel + 4) + " is not a multiple of the alignment 32");
    }

    @Test
    void overlappingTensors() {
        GgufWriter.Layout l = layout();
        long offAt = TestGguf.tensorOffsetField(l, 2, "blk.0.attn_q.weight", 2);
        long relOfSecond = l.tensorOffsets().get(1) - l.dataOffset();
        ModelFormatException e = parseError(patchU64(sample(), offAt, relOfSecond));
        assertMessage(e, "overlaps tensor");
        assertTrue(e.getMessage().contains("'blk.0.attn_q.weight'") && e.getMessage().contains("'token_embd.weight'"), e.getMessage());
    }

    @Test
    void duplicateTensorNames() {
        GgufWriter w = new GgufWriter().addF32Tensor("w.a", new long[] {1}, new float[] {1}).addF32Tensor("w.b", new long[] {1}, new float[] {2});
        GgufWriter.Layout l = w.layout();
        long second = l.tensorInfoOffsets().get(1);
        ModelFormatException e = parseError(TestGguf.patchAscii(w.toByteArray(), second + 8, "w.a"));
        assertEquals(second, e.offset());
        assertMessage(e, "duplicate tensor name 'w.a' (first defined at byte " + l.tensorInfoOffsets().getFirst() + ")");
    }

    @Test
    void arraysNestedTooDeep() {
        Object inner = new GgufWriter.Array(GgufValueType.INT32, List.of(1));
        for (int i = 0; i < 9; i++) inner = new GgufWriter.Array(GgufValueType.ARRAY, List.of(inner));
        byte[] b = new GgufWriter().put("deep", GgufValueType.ARRAY, inner).toByteArray();
        ModelFormatException e = parseError(b);
        assertMessage(e, "nests arrays more than 8 deep");
    }

    @Test
    void arraysNestedWithinTheLimitAreFine() throws Exception {
        Object inner = new GgufWriter.Array(GgufValueType.INT32, List.of(42));
        for (int i = 0; i < 6; i++) inner = new GgufWriter.Array(GgufValueType.ARRAY, List.of(inner));
        GgufArray a = TestGguf.parse(new GgufWriter().put("deep", GgufValueType.ARRAY, inner).toByteArray()).metadata().getArray("deep");
        for (int i = 0; i < 6; i++) a = a.getArray(0);
        assertEquals(42, a.getLong(0));
    }

    @Test
    void invalidUtf8InAStringIsReplacedNotFatal() throws Exception {
        GgufWriter w = new GgufWriter().putString("s", "ab");
        byte[] b = w.toByteArray();
        int at = (int) TestGguf.valueTypeOffset(w.layout(), "s") + 4 + 8;
        b[at] = (byte) 0xFF;
        assertEquals("\uFFFDb", TestGguf.parse(b).metadata().getString("s"));
        assertEquals(ByteBuffer.wrap("ab".getBytes(StandardCharsets.UTF_8)).get(1), b[at + 1]);
    }
}
