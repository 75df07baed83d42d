package dev.rullama.gguf;

import dev.rullama.api.ModelFormatException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;

/**
 * Deterministic complement to the random fuzzing: every byte of small corpus files set to 0x00, 0xFF, and with its
 * low and high bit flipped. Each variant must open or fail with a ModelFormatException, and if it opens, read through.
 */
class ByteMutationSweepTest {

    @ParameterizedTest
    @ValueSource(strings = {"sample-v3.gguf", "metadata-only.gguf", "align64.gguf"})
    void everyByteEveryWay(String name) {
        byte[] seed = FuzzCorpus.files().get(name);
        for (int i = 0; i < seed.length; i++) {
            for (int variant = 0; variant < 4; variant++) {
                byte[] b = seed.clone();
                b[i] = switch (variant) {
                    case 0 -> 0;
                    case 1 -> (byte) 0xFF;
                    case 2 -> (byte) (b[i] ^ 0x01);
                    default -> (byte) (b[i] ^ 0x80);
                };
                GgufFile f;
                try {
                    f = GgufFile.parse(TestGguf.MEM, MemorySegment.ofArray(b));
                } catch (ModelFormatException expected) {
                    continue;
                } catch (RuntimeException e) {
                    throw new AssertionError(name + ": byte " + i + " variant " + variant + " threw " + e, e);
                }
                try {
                    GgufFuzzTest.readEverything(f);
                } catch (RuntimeException e) {
                    throw new AssertionError(name + ": byte " + i + " variant " + variant + " opened, then reading threw " + e, e);
                }
            }
        }
    }
}
