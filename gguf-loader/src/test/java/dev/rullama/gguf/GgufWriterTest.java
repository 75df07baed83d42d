package dev.rullama.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
}
