package dev.rullama.gguf;

import dev.rullama.api.ModelFormatException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Mutation fuzzing of the parser from the seed corpus (src/test/resources/fuzz-corpus/): bit flips, byte overwrites,
 * interesting u32/u64 values at random offsets and aimed at header fields ({@link GgufFieldMap}), truncations,
 * insertions and deletions. Fields are offsets in the seed; after an insertion or deletion they may point elsewhere,
 * which is fine: it is still a mutation. Whatever comes out, opening
 * must succeed or throw {@link ModelFormatException}: any other exception, or an OutOfMemoryError from a trusted
 * length, fails the property. A file that opens is also read through (metadata, tensor views, decoding, scale checks).
 * 2000 tries run in a few seconds on 2 cores; jqwik prints the seed of a failure so it can be replayed.
 */
class GgufFuzzTest {
    private static final List<byte[]> CORPUS = loadCorpus();
    private static final List<long[]> FIELDS = CORPUS.stream().map(GgufFieldMap::offsets).toList();
    private static final long[] INTERESTING = {0, 1, 2, 3, 4, 7, 8, 12, 13, 31, 32, 33, 63, 64, 255, 256, 4096, 65535, 65536,
            0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFFL, 1L << 32, 1L << 40, 1L << 62, Long.MAX_VALUE, Long.MIN_VALUE, -1, -2, -8};

    sealed interface Mutation permits Flip, SetByte, Put32, Put64, FieldPut, Truncate, Insert, Delete {}

    record Flip(double at, int bit) implements Mutation {}

    record SetByte(double at, int value) implements Mutation {}

    record Put32(double at, long value) implements Mutation {}

    record Put64(double at, long value) implements Mutation {}

    /** Overwrite a header field (count, length, type id, offset) with an interesting value, 4 or 8 bytes wide. */
    record FieldPut(int field, long value, boolean wide) implements Mutation {}

    record Truncate(double keep) implements Mutation {}

    record Insert(double at, byte[] bytes) implements Mutation {
        @Override public String toString() { return "Insert[" + at + ", " + Arrays.toString(bytes) + "]"; }
    }

    record Delete(double at, int length) implements Mutation {}

    private static List<byte[]> loadCorpus() {
        List<byte[]> out = new ArrayList<>();
        for (String name : FuzzCorpus.files().keySet()) {
            try (InputStream in = GgufFuzzTest.class.getResourceAsStream("/fuzz-corpus/" + name)) {
                if (in == null) throw new IllegalStateException("fuzz-corpus/" + name + " missing");
                out.add(in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    @Provide
    Arbitrary<byte[]> mutatedGguf() {
        Arbitrary<Double> at = Arbitraries.doubles().between(0, 1);
        Arbitrary<Mutation> mutation = Arbitraries.oneOf(
                Combinators.combine(at, Arbitraries.integers().between(0, 7)).as(Flip::new),
                Combinators.combine(at, Arbitraries.integers().between(0, 255)).as(SetByte::new),
                Combinators.combine(at, Arbitraries.of(toBoxed(INTERESTING))).as(Put32::new),
                Combinators.combine(at, Arbitraries.of(toBoxed(INTERESTING))).as(Put64::new),
                Combinators.combine(Arbitraries.integers().between(0, 1 << 20), Arbitraries.of(toBoxed(INTERESTING)), Arbitraries.of(true, false))
                        .as(FieldPut::new),
                Combinators.combine(Arbitraries.integers().between(0, 1 << 20), Arbitraries.of(toBoxed(INTERESTING)), Arbitraries.of(true, false))
                        .as(FieldPut::new),
                at.map(Truncate::new),
                Combinators.combine(at, Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(16)).as(Insert::new),
                Combinators.combine(at, Arbitraries.integers().between(1, 16)).as(Delete::new));
        return Combinators.combine(Arbitraries.integers().between(0, CORPUS.size() - 1), mutation.list().ofMinSize(1).ofMaxSize(6))
                .as((seed, ms) -> apply(CORPUS.get(seed), FIELDS.get(seed), ms));
    }

    private static Long[] toBoxed(long[] v) { return Arrays.stream(v).boxed().toArray(Long[]::new); }

    static byte[] apply(byte[] seed, long[] fields, List<Mutation> mutations) {
        byte[] b = seed.clone();
        for (Mutation m : mutations) {
            int n = b.length;
            switch (m) {
                case Flip f -> { if (n > 0) b[pos(f.at, n)] ^= (byte) (1 << f.bit); }
                case SetByte s -> { if (n > 0) b[pos(s.at, n)] = (byte) s.value; }
                case Put32 p -> { if (n >= 4) put(b, pos(p.at, n - 3), p.value, 4); }
                case Put64 p -> { if (n >= 8) put(b, pos(p.at, n - 7), p.value, 8); }
                case FieldPut f -> {
                    int width = f.wide ? 8 : 4;
                    long at = fields[f.field % fields.length];
                    if (at + width <= n) put(b, (int) at, f.value, width);
                }
                case Truncate t -> b = Arrays.copyOf(b, (int) (n * t.keep));
                case Insert i -> {
                    int p = n == 0 ? 0 : pos(i.at, n + 1);
                    byte[] c = new byte[n + i.bytes.length];
                    System.arraycopy(b, 0, c, 0, p);
                    System.arraycopy(i.bytes, 0, c, p, i.bytes.length);
                    System.arraycopy(b, p, c, p + i.bytes.length, n - p);
                    b = c;
                }
                case Delete d -> {
                    if (n == 0) break;
                    int p = pos(d.at, n);
                    int len = Math.min(d.length, n - p);
                    byte[] c = new byte[n - len];
                    System.arraycopy(b, 0, c, 0, p);
                    System.arraycopy(b, p + len, c, p, n - p - len);
                    b = c;
                }
            }
        }
        return b;
    }

    private static int pos(double at, int n) { return Math.min(n - 1, (int) (at * n)); }

    private static void put(byte[] b, int at, long v, int width) {
        for (int i = 0; i < width; i++) b[at + i] = (byte) (v >>> (8 * i));
    }

    @Property(tries = 2000, shrinking = ShrinkingMode.BOUNDED)
    void parserSucceedsOrThrowsModelFormatException(@ForAll("mutatedGguf") byte[] bytes) {
        GgufFile f;
        try {
            f = GgufFile.parse(TestGguf.MEM, MemorySegment.ofArray(bytes));
        } catch (ModelFormatException expected) {
            return;
        }
        readEverything(f);
    }

    /** Everything a caller might do with a file that opened; only ModelFormatException may come out of it. */
    static void readEverything(GgufFile f) {
        for (GgufValue v : f.metadata().values()) {
            v.display(16, 64);
            v.typeLabel();
            try {
                if (v.isArray()) {
                    GgufArray a = v.asArray();
                    switch (a.elementType()) {
                        case STRING -> a.toStringList().forEach(String::length);
                        case BOOL -> a.toBooleanArray();
                        case FLOAT32, FLOAT64 -> a.toFloatArray();
                        case ARRAY -> { if (a.size() > 0) a.getArray(0).size(); }
                        default -> a.toLongArray();
                    }
                } else if (v.isInteger()) {
                    v.asLong();
                } else if (v.isFloat()) {
                    v.asDouble();
                }
            } catch (ModelFormatException expected) {
                // e.g. a u64 above Long.MAX_VALUE
            }
        }
        for (GgufTensor t : f.tensors()) {
            t.data().byteSize();
            try {
                f.checkTensor(t.name());
                if (t.elementCount() <= 1 << 16) t.dequantize();
            } catch (ModelFormatException expected) {
                // unsupported type or a non-finite scale
            }
        }
        f.textTensors();
    }
}
