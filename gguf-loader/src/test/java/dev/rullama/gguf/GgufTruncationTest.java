package dev.rullama.gguf;

import dev.rullama.api.ModelFormatException;
import org.junit.jupiter.api.Test;

import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A file cut short anywhere is a ModelFormatException whose offset lies inside what is left, never another exception.
 * Checked at each section boundary (±1) explicitly, then at every byte of the small sample.
 */
class GgufTruncationTest {

    private static void assertCutFails(byte[] full, long cut) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> TestGguf.parse(TestGguf.cut(full, cut)), "cut at " + cut);
        assertEquals(TestGguf.MEM, e.file());
        assertTrue(e.offset() >= 0 && e.offset() <= cut, "cut at " + cut + " reported offset " + e.offset() + ": " + e.getMessage());
    }

    @Test
    void cutAtEverySectionBoundary() {
        GgufWriter w = TestGguf.sample();
        byte[] full = w.toByteArray();
        GgufWriter.Layout l = w.layout();
        TreeSet<Long> boundaries = new TreeSet<>();
        boundaries.addAll(java.util.List.of(0L, 4L, 8L, 16L, 24L, l.metadataStart(), l.tensorInfoStart(), l.dataOffset(), l.fileSize()));
        boundaries.addAll(l.keyOffsets().values());
        boundaries.addAll(l.tensorInfoOffsets());
        boundaries.addAll(l.tensorOffsets());
        int checked = 0;
        for (long b : boundaries) {
            for (long cut = b - 1; cut <= b + 1; cut++) {
                if (cut < 0 || cut >= full.length) continue;
                assertCutFails(full, cut);
                checked++;
            }
        }
        assertTrue(checked > 60, "checked " + checked + " cut points");
    }

    @Test
    void cutAtEveryByte() {
        byte[] full = TestGguf.sample().toByteArray();
        for (long cut = 0; cut < full.length; cut++) assertCutFails(full, cut);
    }
}
