package dev.rullama.gemma.synth;

import dev.rullama.gguf.GgmlType;
import dev.rullama.gguf.GgufWriter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.util.SplittableRandom;

/**
 * A few MB of valid random blocks of one ggml type whose values have mean about 0 and standard deviation about
 * {@code sigma}; a tensor of any size is written by tiling the pool from a seeded starting block. Speed depends on a
 * tensor's shape and type, never on its values, so repeating a pool costs nothing in realism and makes writing a
 * 19 GB model a matter of disk bandwidth.
 *
 * <p>Every block is built field by field (no quantizer is involved): random quants and small, finite fp16 scales
 * chosen so that the decoded values have the requested spread. Q4_K's mins equal its scales with
 * {@code dmin = 7.5·d}, which centres each sub-block's 4-bit values on zero; Q5_0, Q8_0 and Q6_K scales take a random
 * sign, which centres theirs.
 */
final class BlockPool implements GgufWriter.TensorSource {
    /** Target pool size; a whole number of blocks at most this large. */
    static final int POOL_BYTES = 2 << 20;

    /** Standard deviation of a uniform integer on [0, n): sqrt((n²-1)/12). */
    private static double uniformStd(int n) { return Math.sqrt((n * (double) n - 1) / 12); }

    private final byte[] pool;
    private final int blockBytes;
    private final int blocks;
    private final long startBlock;

    private BlockPool(byte[] pool, int blockBytes, long startBlock) {
        this.pool = pool;
        this.blockBytes = blockBytes;
        this.blocks = pool.length / blockBytes;
        this.startBlock = Math.floorMod(startBlock, blocks);
    }

    /** The same pool, tiled from another block (a tensor's seeded rotation). */
    BlockPool from(long block) { return new BlockPool(pool, blockBytes, block); }

    int byteSize() { return pool.length; }

    /** A pool of {@code type} blocks with values of spread {@code sigma}. */
    static BlockPool of(GgmlType type, double sigma, long seed) {
        if (!(sigma > 0 && sigma < 1e3)) throw new IllegalArgumentException("sigma " + sigma);
        int bb = type.blockBytes();
        int n = POOL_BYTES / bb;
        ByteBuffer b = ByteBuffer.allocate(n * bb).order(ByteOrder.LITTLE_ENDIAN);
        SplittableRandom r = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (type.id() + 1)) ^ Double.doubleToLongBits(sigma));
        for (int i = 0; i < n; i++) block(type, sigma, r, b);
        return new BlockPool(b.array(), bb, 0);
    }

    private static void block(GgmlType type, double sigma, SplittableRandom r, ByteBuffer b) {
        double jitter = 0.8 + 0.4 * r.nextDouble(); // blocks differ in scale, as real ones do
        switch (type) {
            case F32 -> b.putFloat((float) (sigma * r.nextGaussian()));
            case F16 -> b.putShort(Float.floatToFloat16((float) (sigma * r.nextGaussian())));
            case BF16 -> b.putShort(bf16((float) (sigma * r.nextGaussian())));
            case Q8_0 -> { // {d; i8 qs[32]}: y = q·d
                b.putShort(f16(sign(r) * sigma * jitter / uniformStd(255)));
                for (int j = 0; j < 32; j++) b.put((byte) (r.nextInt(255) - 127));
            }
            case Q5_0 -> { // {d; qh[4]; qs[16]}: y = (q - 16)·d, q 5 bits; d's sign cancels the -0.5 mean of q - 16
                b.putShort(f16(sign(r) * sigma * jitter / uniformStd(32)));
                randomBytes(r, b, 4 + 16);
            }
            case Q4_K -> { // {d; dmin; scales[12]; qs[128]}: y = d·sc·q - dmin·mn, with mn = sc and dmin = 7.5·d
                int[] sc = new int[8];
                double mean = 0;
                for (int j = 0; j < 8; j++) { sc[j] = 32 + r.nextInt(32); mean += sc[j] / 8.0; }
                double d = sigma * jitter / (uniformStd(16) * mean);
                b.putShort(f16(d)).putShort(f16(7.5 * d));
                byte[] s = new byte[12];
                for (int j = 0; j < 4; j++) {
                    s[j] = (byte) ((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));     // sc0..3, top bits of sc4..7
                    s[j + 4] = (byte) ((sc[j] & 63) | ((sc[j + 4] >> 4) << 6)); // mn0..3 (= sc), top bits of mn4..7
                    s[j + 8] = (byte) ((sc[j + 4] & 0xF) | ((sc[j + 4] & 0xF) << 4)); // low nibbles of sc4..7 and mn4..7
                }
                b.put(s);
                randomBytes(r, b, 128);
            }
            case Q6_K -> { // {ql[128]; qh[64]; i8 scales[16]; d}: y = d·sc·(q - 32), q 6 bits; signed scales cancel the -0.5
                randomBytes(r, b, 128 + 64);
                double mean = 0;
                for (int j = 0; j < 16; j++) { int sc = 64 + r.nextInt(64); mean += sc / 16.0; b.put((byte) (sign(r) * sc)); }
                b.putShort(f16(sigma * jitter / (uniformStd(64) * mean)));
            }
            default -> throw new IllegalArgumentException("no synthetic blocks for " + type);
        }
    }

    /** ±1: real quantizers give Q5_0/Q8_0 blocks and Q6_K sub-blocks scales of either sign. */
    private static int sign(SplittableRandom r) { return r.nextBoolean() ? 1 : -1; }

    private static void randomBytes(SplittableRandom r, ByteBuffer b, int n) {
        for (int i = 0; i < n; i += 8) {
            long v = r.nextLong();
            for (int k = 0; k < 8 && i + k < n; k++) b.put((byte) (v >>> (8 * k)));
        }
    }

    private static short f16(double v) {
        short h = Float.floatToFloat16((float) v);
        if (!Float.isFinite(Float.float16ToFloat(h)) || Float.float16ToFloat(h) == 0) throw new IllegalStateException("scale " + v + " has no finite non-zero fp16");
        return h;
    }

    /** bf16 by rounding to nearest even (what converters do). */
    static short bf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** Writes {@code bytes} bytes (a whole number of blocks) of the pool, from the start block on, wrapping around. */
    @Override
    public void writeTo(WritableByteChannel out, long bytes) throws IOException {
        if (bytes % blockBytes != 0) throw new IOException(bytes + " bytes is not a whole number of " + blockBytes + "-byte blocks");
        int at = (int) (startBlock * blockBytes);
        for (long left = bytes; left > 0; ) {
            int n = (int) Math.min(pool.length - at, left);
            ByteBuffer buf = ByteBuffer.wrap(pool, at, n);
            while (buf.hasRemaining()) out.write(buf);
            left -= n;
            at = 0;
        }
    }
}
