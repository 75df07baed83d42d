package dev.rullama.gguf.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Keeps the benchmark runnable: a tiny synthetic model through the same code path. No timing is asserted. */
class OpenBenchmarkTest {

    @Test
    void benchmarkRunsOnASmallSyntheticModel(@TempDir Path dir) throws Exception {
        Path f = OpenBenchmark.synthesize(dir, new OpenBenchmark.Params(1000, 500, 2, 5, 512));
        OpenBenchmark.Result r = OpenBenchmark.run(f);
        assertEquals(2 + 2 * 5, r.tensors());
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        OpenBenchmark.report(f, 2, new PrintStream(buf, true, StandardCharsets.UTF_8));
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("open (map + parse header)"), out);
        System.out.print(out);
    }
}
