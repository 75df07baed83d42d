package dev.rullama.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Byte offsets of the header fields of a valid GGUF (counts, lengths, type ids, offsets), found by a simple walk, so
 * the fuzzer can aim its u32/u64 overwrites at the fields a parser must distrust instead of hoping to hit them.
 */
final class GgufFieldMap {
    private GgufFieldMap() {}

    static long[] offsets(byte[] file) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        List<Long> out = new ArrayList<>(List.of(4L, 8L, 16L));
        long nTensors = b.getLong(8), nKv = b.getLong(16);
        b.position(24);
        for (long i = 0; i < nKv; i++) {
            out.add((long) b.position());
            skipString(b);
            out.add((long) b.position());
            int type = b.getInt();
            value(b, type, out);
        }
        for (long i = 0; i < nTensors; i++) {
            out.add((long) b.position());
            skipString(b);
            out.add((long) b.position());
            int nd = b.getInt();
            for (int d = 0; d < nd; d++) {
                out.add((long) b.position());
                b.getLong();
            }
            out.add((long) b.position());
            b.getInt();
            out.add((long) b.position());
            b.getLong();
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private static void value(ByteBuffer b, int type, List<Long> out) {
        out.add((long) b.position());
        switch (type) {
            case 0, 1, 7 -> b.get();
            case 2, 3 -> b.getShort();
            case 4, 5, 6 -> b.getInt();
            case 10, 11, 12 -> b.getLong();
            case 8 -> skipString(b);
            case 9 -> {
                int et = b.getInt();
                out.add((long) b.position());
                long n = b.getLong();
                for (long i = 0; i < n; i++) value(b, et, i < 2 ? out : new ArrayList<>());
            }
            default -> throw new IllegalArgumentException("type " + type);
        }
    }

    private static void skipString(ByteBuffer b) {
        long len = b.getLong();
        b.position(b.position() + (int) len);
    }
}
