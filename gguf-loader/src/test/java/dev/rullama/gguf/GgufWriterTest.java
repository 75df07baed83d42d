package dev.rullama.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufWriterTest {

    @Test
    void fileAndInMemoryImagesAreIdentical(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("w.gguf");
        GgufWriter.Layout l = TestGguf.sample().write(p);
        byte[] disk = Files.readAllBytes(p);
        assertArrayEquals(TestGguf.sample().toByteArray(), disk);
        assertEquals(l.fileSize(), disk.length);
        assertEquals(l, TestGguf.sample().layout());
    }

    @Test
    void layoutIsWhatTheParserFinds() throws Exception {
        GgufWriter w = TestGguf.sample();
        GgufWriter.Layout l = w.layout();
        GgufFile f = TestGguf.parse(w.toByteArray());
        assertEquals(l.dataOffset(), f.dataOffset());
        for (int i = 0; i < f.tensors().size(); i++) {
            assertEquals(l.tensorOffsets().get(i), f.tensors().get(i).fileOffset());
            assertEquals(l.tensorInfoOffsets().get(i), f.tensors().get(i).infoOffset());
        }
        assertEquals(List.copyOf(l.keyOffsets().keySet()), List.copyOf(f.metadata().keys()));
        for (GgufValue v : f.metadata().values()) {
            assertEquals(TestGguf.valueTypeOffset(l, v.key()) + 4, v.offset(), v.key());
        }
    }

    @Test
    void zeroTensorsReadAsZeros(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("z.gguf");
        new GgufWriter().addZeroTensor("z", GgmlType.Q8_0, new long[] {64, 2}).addF32Tensor("after", new long[] {1}, new float[] {7}).write(p);
        try (GgufFile f = GgufFile.open(p)) {
            float[] z = f.tensor("z").dequantize();
            for (float v : z) assertEquals(0f, v);
            assertArrayEquals(new float[] {7}, f.tensor("after").dequantize());
        }
    }

    @Test
    void rejectsInvalidInput() {
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().putU8("k", 256));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().putI8("k", 128));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().putU32("k", -1));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().putU32("k", 1).putU32("k", 2));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().putString("", "x"));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().putArray("k", GgufValueType.INT32, List.of("x")));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().addTensor("t", GgmlType.Q4_0, new long[] {16}, new byte[9]));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().addTensor("t", GgmlType.Q4_0, new long[] {32}, new byte[17]));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().addTensor("t", GgmlType.F32, new long[] {1, 1, 1, 1, 1}, new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().alignment(48));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().version(1));
    }

    /** A source that writes {@code bytes} bytes of a fixed pattern in chunks of 7, the way a streaming generator would. */
    private static GgufWriter.TensorSource pattern(int salt) {
        return (out, bytes) -> {
            for (long done = 0; done < bytes; ) {
                int n = (int) Math.min(7, bytes - done);
                ByteBuffer b = ByteBuffer.allocate(n);
                for (int i = 0; i < n; i++) b.put((byte) (done + i + salt));
                out.write(b.flip());
                done += n;
            }
        };
    }

    private static byte[] patternBytes(int n, int salt) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i + salt);
        return b;
    }

    @Test
    void streamedTensorsMatchInMemoryOnesOnEveryWritePath(@TempDir Path dir) throws Exception {
        // Q8_0 [64, 3] = 6 blocks of 34 = 204 bytes (not a multiple of the alignment, so padding follows)
        GgufWriter streamed = TestGguf.sample().addTensor("s.q8", GgmlType.Q8_0, new long[] {64, 3}, pattern(5))
                .addZeroTensor("s.zero", GgmlType.F16, new long[] {10})
                .addTensor("s.f32", GgmlType.F32, new long[] {3}, pattern(9));
        GgufWriter inMemory = TestGguf.sample().addTensor("s.q8", GgmlType.Q8_0, new long[] {64, 3}, patternBytes(204, 5))
                .addZeroTensor("s.zero", GgmlType.F16, new long[] {10})
                .addTensor("s.f32", GgmlType.F32, new long[] {3}, patternBytes(12, 9));
        byte[] want = inMemory.toByteArray();

        ByteArrayOutputStream seq = new ByteArrayOutputStream();
        GgufWriter.Layout l = streamed.writeTo(Channels.newChannel(seq));
        assertArrayEquals(want, seq.toByteArray(), "sequential stream");
        assertEquals(l.fileSize(), want.length);

        Path p = dir.resolve("s.gguf");
        streamed.write(p);
        assertArrayEquals(want, Files.readAllBytes(p), "positional file write");
        assertArrayEquals(want, streamed.toByteArray(), "in-memory image");
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(204, f.tensor("s.q8").byteSize());
        }
    }

    @Test
    void aSourceThatWritesTheWrongLengthFailsNamingTheTensor() {
        GgufWriter shortWrite = new GgufWriter().addTensor("short", GgmlType.F32, new long[] {4}, (out, bytes) -> out.write(ByteBuffer.allocate(12)));
        IOException e = assertThrows(IOException.class, () -> shortWrite.writeTo(Channels.newChannel(new ByteArrayOutputStream())));
        assertTrue(e.getMessage().contains("short") && e.getMessage().contains("12 of its 16"), e.getMessage());
        GgufWriter longWrite = new GgufWriter().addTensor("long", GgmlType.F32, new long[] {4}, (out, bytes) -> out.write(ByteBuffer.allocate(20)));
        e = assertThrows(IOException.class, () -> longWrite.writeTo(Channels.newChannel(new ByteArrayOutputStream())));
        assertTrue(e.getMessage().contains("long") && e.getMessage().contains("more than"), e.getMessage());
    }
}
