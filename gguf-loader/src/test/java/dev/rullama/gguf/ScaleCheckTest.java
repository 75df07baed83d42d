package dev.rullama.gguf;

import dev.rullama.api.ModelFormatException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NaN/Inf in weights: the dequantizers propagate them (as ggml does), and {@link GgufFile#checkTensor} reports them
 * with the tensor, the block and the byte offset of the bad scale.
 */
class ScaleCheckTest {
    private static final short F16_NAN = (short) 0x7E00;
    private static final short F16_INF = (short) 0x7C00;

    private static byte[] withShort(byte[] b, int off, short v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putShort(off, v);
        return c;
    }

    @Test
    void nanInAQ4KScaleIsAClearErrorWhenChecking() throws Exception {
        byte[] blocks = new byte[3 * 144];
        for (int i = 0; i < 3; i++) System.arraycopy(TestGguf.q4kBlock(1f, 0.5f), 0, blocks, i * 144, 144);
        blocks = withShort(blocks, 2 * 144 + 2, F16_NAN); // dmin of block 2
        GgufWriter w = new GgufWriter().addTensor("blk.3.ffn_down.weight", GgmlType.Q4_K, new long[] {768}, blocks);
        GgufFile f = TestGguf.parse(w.toByteArray());
        long expectAt = w.layout().tensorOffsets().getFirst() + 2 * 144 + 2;
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> f.checkTensor("blk.3.ffn_down.weight"));
        assertEquals(TestGguf.MEM, e.file());
        assertEquals(expectAt, e.offset());
        assertTrue(e.getMessage().contains("tensor 'blk.3.ffn_down.weight' (Q4_K): a scale of block 2 is NaN or infinite"), e.getMessage());
        assertThrows(ModelFormatException.class, f::checkTensors);
        // Decoding does not check: the NaN flows into the block's output like ggml, and the other blocks are intact.
        float[] out = f.tensor("blk.3.ffn_down.weight").dequantize();
        assertTrue(Float.isNaN(out[2 * 256 + 1]));
        assertTrue(Float.isFinite(out[256 + 1]));
    }

    @Test
    void infinityInAQ8_0ScaleIsReported() throws Exception {
        byte[] rows = withShort(TestGguf.q8_0Rows(2, 1), 34, F16_INF);
        GgufWriter w = new GgufWriter().addTensor("w", GgmlType.Q8_0, new long[] {32, 2}, rows);
        GgufFile f = TestGguf.parse(w.toByteArray());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> f.checkTensor("w"));
        assertEquals(w.layout().tensorOffsets().getFirst() + 34, e.offset());
        assertTrue(e.getMessage().contains("block 1"), e.getMessage());
    }

    @Test
    void nanInAPlainF16WeightIsReportedByElement() throws Exception {
        byte[] vals = withShort(TestGguf.f16Bytes(new float[] {1, 2, 3, 4}), 6, F16_NAN);
        GgufFile f = TestGguf.parse(new GgufWriter().addTensor("w", GgmlType.F16, new long[] {4}, vals).toByteArray());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> f.checkTensor("w"));
        assertTrue(e.getMessage().contains("element 3 is NaN or infinite"), e.getMessage());
    }

    @Test
    void nanInAnF32WeightIsReported() throws Exception {
        GgufFile f = TestGguf.parse(new GgufWriter().addF32Tensor("n", new long[] {2}, new float[] {1, Float.NaN}).toByteArray());
        assertThrows(ModelFormatException.class, () -> f.checkTensor("n"));
    }

    @Test
    void finiteTensorsPass() throws Exception {
        GgufFile f = TestGguf.parse(TestGguf.sample().toByteArray());
        assertDoesNotThrow(f::checkTensors);
    }

    @Test
    void mxfp4ScalesAreAlwaysFinite() throws Exception {
        byte[] block = new byte[17];
        block[0] = (byte) 0xFF; // E8M0 255 decodes to 2^127 in ggml, not NaN
        GgufFile f = TestGguf.parse(new GgufWriter().addTensor("m", GgmlType.MXFP4, new long[] {32}, block).toByteArray());
        assertDoesNotThrow(() -> f.checkTensor("m"));
    }
}
