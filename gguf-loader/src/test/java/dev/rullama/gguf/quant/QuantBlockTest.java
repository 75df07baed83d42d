package dev.rullama.gguf.quant;

import dev.rullama.gguf.GgmlType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Hand-computed values for the layouts (independent of the Python vectors), and the API's edge cases. */
class QuantBlockTest {

    private static ByteBuffer le(int n) { return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN); }

    @Test
    void q4_0NibbleOrderIsLowHalfThenHighHalf() {
        ByteBuffer b = le(18).putShort(Float.floatToFloat16(2f));
        for (int j = 0; j < 16; j++) b.put((byte) (j | (15 - j) << 4));
        float[] y = new float[32];
        Q4_0Block.INSTANCE.dequantizeBlock(MemorySegment.ofArray(b.array()), 0, y, 0);
        assertEquals(2f * (0 - 8), y[0]);
        assertEquals(2f * (5 - 8), y[5]);
        assertEquals(2f * (15 - 8), y[16], "element 16 is the high nibble of byte 0");
        assertEquals(2f * (0 - 8), y[31]);
    }

    @Test
    void q5_0FifthBitComesFromQh() {
        ByteBuffer b = le(22).putShort(Float.floatToFloat16(1f)).putInt(1 | 1 << 16 | 1 << 31);
        float[] y = new float[32];
        Q5_0Block.INSTANCE.dequantizeBlock(MemorySegment.ofArray(b.array()), 0, y, 0);
        assertEquals(16 - 16, y[0]);
        assertEquals(-16, y[1]);
        assertEquals(0, y[16]);
        assertEquals(0, y[31]);
        assertEquals(-16, y[30]);
    }

    @Test
    void q4kScaleMinUnpacking() {
        byte[] s = new byte[12];
        s[0] = (byte) (0b11_000101);  // sc0 = 5, top bits of sc4 = 3
        s[4] = (byte) (0b10_000111);  // mn0 = 7, top bits of mn4 = 2
        s[8] = (byte) 0x9A;           // sc4 low nibble 0xA, mn4 low nibble 0x9
        MemorySegment seg = MemorySegment.ofArray(s);
        int sm0 = Q4KBlock.scaleMin(seg, 0, 0);
        assertEquals(5, sm0 & 0xFF);
        assertEquals(7, sm0 >>> 8);
        int sm4 = Q4KBlock.scaleMin(seg, 0, 4);
        assertEquals(0xA | 3 << 4, sm4 & 0xFF);
        assertEquals(0x9 | 2 << 4, sm4 >>> 8);
    }

    @Test
    void q3kScalesAreSignedSixBit() {
        byte[] block = new byte[110];
        block[96] = 0x0F;             // low4 of scale 0 = 15; high nibble = low4 of scale 8 = 0
        block[96 + 8] = (byte) 0b11;  // high2 of scale 0 = 3 → 15 | 48 = 63 → 31
        MemorySegment seg = MemorySegment.ofArray(block);
        assertEquals(31, Q3KBlock.scale(seg, 0, 0));
        assertEquals(-32, Q3KBlock.scale(seg, 0, 8));
    }

    @Test
    void mxfp4ScaleIsHalfTheE8M0Value() {
        assertEquals(1f, Mxfp4Block.e8m0Half(128));
        assertEquals(0.5f, Mxfp4Block.e8m0Half(127));
        assertEquals(Float.intBitsToFloat(0x00200000), Mxfp4Block.e8m0Half(0));
        assertEquals(Float.intBitsToFloat(0x00400000), Mxfp4Block.e8m0Half(1));
        assertEquals(0x1p127f, Mxfp4Block.e8m0Half(255));
    }

    @Test
    void nvfp4Ue4m3Scale() {
        assertEquals(0f, Nvfp4Block.ue4m3Half(0));
        assertEquals(0f, Nvfp4Block.ue4m3Half(0x7F));
        assertEquals(0.5f, Nvfp4Block.ue4m3Half(7 << 3));        // exponent 7 = 2^0, halved
        assertEquals(0.5f * 1.5f, Nvfp4Block.ue4m3Half(7 << 3 | 4));
        assertEquals(0.5f * 0x1p-9f, Nvfp4Block.ue4m3Half(1));   // subnormal
    }

    @Test
    void plainTypesConvertLikeACCast() {
        ByteBuffer b = le(8).putLong((1L << 53) + 1);
        float[] y = new float[1];
        PlainBlock.I64.dequantize(MemorySegment.ofArray(b.array()), 0, y, 0, 1);
        assertEquals((float) ((1L << 53) + 1), y[0]);
        ByteBuffer bf = le(2).putShort((short) 0x3FC0);
        PlainBlock.BF16.dequantize(MemorySegment.ofArray(bf.array()), 0, y, 0, 1);
        assertEquals(1.5f, y[0]);
    }

    @Test
    void partialBlocksAreRejected() {
        MemorySegment seg = MemorySegment.ofArray(new byte[144]);
        float[] y = new float[256];
        assertThrows(IllegalArgumentException.class, () -> Q4KBlock.INSTANCE.dequantize(seg, 0, y, 0, 100));
        assertThrows(IndexOutOfBoundsException.class, () -> Q4KBlock.INSTANCE.dequantize(seg, 0, y, 1, 256));
        assertThrows(IndexOutOfBoundsException.class, () -> Q4KBlock.INSTANCE.dequantize(seg, 1, y, 0, 256), "source too short");
    }

    @Test
    void unsupportedTypeHasNoDecoder() {
        assertThrows(UnsupportedOperationException.class, GgmlType.IQ4_XS::quantBlock);
        assertEquals(4.5, GgmlType.Q4_K.bitsPerWeight());
        assertEquals(210, GgmlType.Q6_K.byteSize(256));
        assertEquals(GgmlType.MXFP4, GgmlType.fromId(39).orElseThrow());
        assertEquals(java.util.Optional.empty(), GgmlType.fromId(4));
        assertEquals(java.util.Optional.empty(), GgmlType.fromId(1000));
    }
}
