package dev.rullama.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A GGUF larger than 4 GiB, written as a sparse file: a 4.4 GiB BF16 tensor left as a hole, then a small Q8_0 tensor
 * whose offset lies beyond 4 GiB. It must open (the open time is printed; speed is asserted nowhere, see
 * OpenBenchmark) and the last tensor's bytes must read back through the mapping. Needs 64-bit offsets end to end.
 */
class LargeSparseGgufTest {
    private static final long FOUR_GIB = 4L << 30;

    @Test
    void openBeyondFourGibAndReadTheLastTensor(@TempDir Path dir) throws Exception {
        // A filesystem without holes would really allocate the file; only run where there is room for that.
        boolean roomy = Files.getFileStore(dir).getUsableSpace() > 6L << 30;
        if (!roomy) System.out.println("SKIPPED LargeSparseGgufTest: needs ~5 GiB free in " + dir + " in case sparse files are unsupported");
        assumeTrue(roomy, "needs ~5 GiB free in the temp dir in case sparse files are unsupported");
        Path p = dir.resolve("big.gguf");
        byte[] last = TestGguf.q8_0Rows(3, 2);
        GgufWriter.Layout layout = new GgufWriter()
                .putString("general.architecture", "gemma4")
                .addZeroTensor("per_layer_token_embd.weight", GgmlType.BF16, new long[] {9000, 262144})
                .addTensor("blk.0.attn_q.weight", GgmlType.Q8_0, new long[] {64, 3}, last)
                .write(p);
        assertTrue(layout.fileSize() > FOUR_GIB);

        long t0 = System.nanoTime();
        try (GgufFile f = GgufFile.open(p)) {
            long openNanos = System.nanoTime() - t0;
            System.out.printf("opened %.2f GiB sparse GGUF in %.2f ms%n", f.fileSize() / (double) (1L << 30), openNanos / 1e6);
            assertEquals(layout.fileSize(), f.fileSize());
            GgufTensor big = f.tensor("per_layer_token_embd.weight");
            assertEquals(9000L * 262144 * 2, big.byteSize());
            assertEquals(0, big.data().get(ValueLayout.JAVA_BYTE, big.byteSize() - 1));
            GgufTensor t = f.tensor("blk.0.attn_q.weight");
            assertTrue(t.fileOffset() > FOUR_GIB, "offset " + t.fileOffset());
            assertEquals(layout.tensorOffsets().get(1), t.fileOffset());
            assertArrayEquals(last, t.data().toArray(ValueLayout.JAVA_BYTE));
            float[] row = new float[64];
            t.dequantizeRow(2, row, 0);
            assertEquals(1.5f * (0 - 16), row[0]);
            assertEquals(1.5f * (31 - 16 + 1), row[63]);
        }
    }
}
