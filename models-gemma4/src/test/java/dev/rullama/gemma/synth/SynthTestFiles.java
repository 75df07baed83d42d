package dev.rullama.gemma.synth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Files the synth tests share within one test JVM, written once and removed at exit: the header-only (sparse) full-size
 * file of each real shape, and one reduced model with real data installed in a store.
 */
final class SynthTestFiles {
    /** The reduced model the data tests run: E2B widths, 6 layers (SSSSFF: 5 owning KV, the last shared and double-wide). */
    static final RealShapes REDUCED = RealShapes.E2B.reduced(6, 1024);
    static final String REDUCED_NAME = "synth-gemma4:test-e2b-6l";
    static final long SEED = 7;

    private static Path dir;
    private static final Map<String, Path> SPARSE = new HashMap<>();
    private static SyntheticModel.Installed reduced;

    private SynthTestFiles() {}

    static synchronized Path dir() {
        if (dir == null) {
            try {
                dir = Files.createTempDirectory("rullama-synth-test");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Path d = dir;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(d)));
        }
        return dir;
    }

    /** The full-size header-only file of {@code shapes} (seed 1). */
    static synchronized Path sparse(RealShapes shapes) throws IOException {
        Path p = SPARSE.get(shapes.kind());
        if (p == null) {
            p = dir().resolve(shapes.kind() + ".sparse.gguf");
            SyntheticModel.plan(shapes, 1).writeSparse(p);
            SPARSE.put(shapes.kind(), p);
        }
        return p;
    }

    /** The store holding {@link #REDUCED} as {@link #REDUCED_NAME}. */
    static Path store() { return dir().resolve("store"); }

    static synchronized SyntheticModel.Installed reduced() throws Exception {
        if (reduced == null) {
            SyntheticModel m = SyntheticModel.plan(REDUCED, SEED);
            reduced = m.install(store(), REDUCED_NAME, SyntheticModel.Progress.NONE);
            System.out.printf("installed %s: %,d bytes, %d tensors in %.2f s%n", reduced.blob(), reduced.bytes(), reduced.tensors(), reduced.seconds());
        }
        return reduced;
    }

    private static void delete(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort at JVM exit
        }
    }
}
