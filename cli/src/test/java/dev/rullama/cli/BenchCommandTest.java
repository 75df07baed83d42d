package dev.rullama.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.cli.bench.Stats;
import dev.rullama.shaders.ops.StepWords;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code rullama bench} on lavapipe with the tiny E2B-like fixture (6 layers, d=256, PLE, KV sharing): every field of
 * every output format is present and sane, the derived fields agree with the measured ones, bad arguments are one-line
 * errors. Speeds are not judged here (lavapipe is a CPU); only that they were measured.
 */
class BenchCommandTest {
    static final Path E2B = Path.of(System.getProperty("rullama.repo", "..")).resolve("models-gemma4/src/test/resources/fixtures/e2b/model-q4_k_m.gguf");
    /** The E2B-like fixture: 6 layers, per-layer input length 32. */
    static final int LAYERS = 6, PLE = 32;

    static final List<String> ROW_FIELDS = List.of("model", "model_bytes", "params", "backend", "adapter", "adapter_type", "driver", "test",
            "n_prompt", "n_gen", "n_depth", "ctx", "reps", "tps_mean", "tps_sd", "ms_per_token", "weight_bytes_per_token",
            "weight_bytes_read_per_token", "gbps_eff", "ceiling_gbps", "ceiling_pct", "dispatches_per_token", "encode_us_per_token",
            "submit_us_per_token", "upload_bytes_per_token", "load_s", "peak_gpu_bytes", "samples_tps");
    /** Numeric fields that must be finite and > 0 on every row. */
    static final Set<String> POSITIVE = Set.of("model_bytes", "params", "ctx", "reps", "tps_mean", "ms_per_token", "weight_bytes_per_token",
            "weight_bytes_read_per_token", "gbps_eff", "ceiling_gbps", "ceiling_pct", "dispatches_per_token", "encode_us_per_token",
            "submit_us_per_token", "upload_bytes_per_token", "load_s", "peak_gpu_bytes");

    static CliTest.Result bench(String... args) {
        List<String> all = new ArrayList<>(List.of("bench", E2B.toString()));
        all.addAll(List.of(args));
        return CliTest.run(all.toArray(String[]::new));
    }

    @Test
    void jsonHasEveryFieldForBothBackends() throws Exception {
        CliTest.Result r = bench("-p", "8", "-n", "4", "-r", "2", "--backend", "dawn,wgpu", "-o", "json", "--ceiling-mb", "8");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("bench: dawn: copy ceiling"), "progress goes to stderr: " + r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        for (String b : List.of("dawn", "wgpu")) {
            JsonNode c = j.get("ceiling").get(b);
            assertEquals(8L << 20, c.get("buffer_bytes").asLong(), "--ceiling-mb 8");
            assertTrue(c.get("gbps_mean").asDouble() > 0 && Double.isFinite(c.get("gbps_mean").asDouble()), c.toString());
            assertTrue(c.get("dispatches_per_batch").asInt() >= 2, c.toString());
            assertEquals(3, c.get("samples_gbps").size(), "max(3, -r) timed batches");
            assertFalse(c.get("adapter").asText().isBlank());
        }
        JsonNode rows = j.get("rows");
        assertEquals(4, rows.size(), r.out());
        List<String> seen = new ArrayList<>();
        for (JsonNode row : rows) {
            List<String> names = new ArrayList<>();
            row.fieldNames().forEachRemaining(names::add);
            assertEquals(ROW_FIELDS, names, "fields and their order");
            for (String f : POSITIVE) {
                double v = row.get(f).asDouble();
                assertTrue(row.get(f).isNumber() && Double.isFinite(v) && v > 0, f + " = " + row.get(f) + " in " + row);
            }
            assertTrue(row.get("tps_sd").asDouble() >= 0);
            assertEquals(2, row.get("samples_tps").size());
            double mean = (row.get("samples_tps").get(0).asDouble() + row.get("samples_tps").get(1).asDouble()) / 2;
            assertEquals(mean, row.get("tps_mean").asDouble(), 1e-9 * mean);
            double tps = row.get("tps_mean").asDouble();
            assertEquals(1000 / tps, row.get("ms_per_token").asDouble(), 1e-9 * 1000 / tps);
            assertEquals(row.get("weight_bytes_per_token").asDouble() * tps / 1e9, row.get("gbps_eff").asDouble(), 1e-9);
            assertEquals(100 * row.get("gbps_eff").asDouble() / row.get("ceiling_gbps").asDouble(), row.get("ceiling_pct").asDouble(), 1e-9);
            assertEquals(j.get("ceiling").get(row.get("backend").asText()).get("gbps_mean").asDouble(), row.get("ceiling_gbps").asDouble());
            assertTrue(row.get("peak_gpu_bytes").asLong() >= row.get("model_bytes").asLong(), "the peak holds the weights: " + row);
            assertEquals(8, row.get("ctx").asInt(), "the default context fits the longest test");
            seen.add(row.get("backend").asText() + " " + row.get("test").asText());
            if (row.get("test").asText().startsWith("tg")) {
                assertEquals(4, row.get("n_gen").asInt());
                // dense model: the ideal count and what the forward pass read agree
                assertEquals(row.get("weight_bytes_per_token").asDouble(), row.get("weight_bytes_read_per_token").asDouble());
                // each token: the position words, its id, and the PLE rows (f32, layers x P)
                assertEquals(4.0 * StepWords.WORDS + 4 + 4 * LAYERS * PLE, row.get("upload_bytes_per_token").asDouble());
                double d = row.get("dispatches_per_token").asDouble();
                assertEquals(Math.rint(d), d, "one submit per token: a whole number of dispatches");
            } else {
                assertEquals(8, row.get("n_prompt").asInt());
            }
        }
        assertEquals(List.of("dawn pp8", "dawn tg4", "wgpu pp8", "wgpu tg4"), seen);
        assertEquals(rows.get(1).get("dispatches_per_token"), rows.get(3).get("dispatches_per_token"), "both backends run the same program");
    }

    @Test
    void csvAndMarkdownHaveTheSameRows() {
        CliTest.Result csv = bench("-p", "8", "-n", "2", "-d", "0,3", "-r", "1", "-o", "csv", "--ceiling-mb", "4");
        assertEquals(0, csv.code(), csv.err());
        List<String> lines = csv.out().strip().lines().toList();
        assertEquals(5, lines.size(), csv.out()); // header + pp8, tg2, pp8 @ d3, tg2 @ d3
        assertEquals(String.join(",", ROW_FIELDS), lines.getFirst());
        for (String l : lines.subList(1, lines.size())) assertEquals(ROW_FIELDS.size(), cells(l).size(), l);
        assertEquals(List.of("pp8", "tg2", "pp8 @ d3", "tg2 @ d3"), lines.subList(1, 5).stream().map(l -> cells(l).get(7)).toList());
        assertEquals("11", cells(lines.get(4)).get(11), "ctx = the longest test's depth + length");

        CliTest.Result md = bench("-p", "8", "-n", "0", "-r", "1", "--ceiling-mb", "4");
        assertEquals(0, md.code(), md.err());
        List<String> table = md.out().lines().filter(l -> l.startsWith("|")).toList();
        assertEquals(3, table.size(), md.out()); // header, rule, pp8
        for (String h : List.of("model", "size", "params", "backend", "test", "t/s", "ms/tok", "GB/s eff", "% ceil", "disp/tok", "enc µs/tok",
                "load s", "peak GPU MiB"))
            assertTrue(table.getFirst().contains(" " + h + " "), h + " in " + table.getFirst());
        assertTrue(table.get(2).matches("\\|.*\\| +pp8 \\| +[0-9.]+ ± [0-9.]+ \\|.*"), table.get(2));
        assertTrue(md.out().lines().findFirst().orElse("").matches(".*copy ceiling [0-9.]+ ± [0-9.]+ GB/s \\(read \\+ written.*"), md.out());
        assertTrue(md.out().contains("- GB/s eff: weight bytes per token"), "the notes say what the fields mean");
    }

    /** Splits one CSV line, honouring quotes (the adapter name holds a comma). */
    static List<String> cells(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quoted && ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') { cur.append('"'); i++; }
            else if (ch == '"') quoted = !quoted;
            else if (ch == ',' && !quoted) { out.add(cur.toString()); cur.setLength(0); }
            else cur.append(ch);
        }
        out.add(cur.toString());
        return out;
    }

    @Test
    void badArgumentsAreOneLineErrors() {
        record Case(String expected, String... args) {}
        for (Case c : List.of(new Case("-p takes token counts separated by commas", "-p", "abc"),
                new Case("-n values must not be negative, not -1", "-n", "-1"),
                new Case("nothing to run: -p and -n are both 0", "-p", "0", "-n", "0"),
                new Case("--ctx 4 is too small for pp8, which needs 8 positions", "-p", "8", "-n", "2", "--ctx", "4"),
                new Case("-r must be at least 1", "-r", "0"),
                new Case("-o takes md, csv or json, not 'xml'", "-o", "xml"),
                new Case("cpu-reference has no GPU device", "--backend", "cpu-reference"),
                new Case("unknown backend 'nope'", "--backend", "dawn,nope"))) {
            CliTest.Result r = bench(c.args());
            assertTrue(r.code() != 0, String.join(" ", c.args()));
            assertTrue(r.err().contains(c.expected()), r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line, nothing run first: " + r.err());
        }
        CliTest.Result r = CliTest.run("bench", "no-such-model", "--models", System.getProperty("java.io.tmpdir"), "-p", "8", "-n", "0", "-r", "1");
        assertEquals(1, r.code());
        assertTrue(r.err().lines().anyMatch(l -> l.startsWith("rullama: error: model 'no-such-model:latest' not found")), r.err());
    }

    @Test
    void helpSaysWhatEachFieldMeans() {
        CliTest.Result r = CliTest.run("bench", "--help");
        assertEquals(0, r.code(), r.err());
        for (String s : List.of("--n-prompt", "--n-gen", "--n-depth", "--repetitions", "--ceiling-mb", "pp<P>", "tg<N>", "sample standard deviation",
                "bytes read plus the bytes written", "k/E", "peak GPU MiB", "% ceil: GB/s eff"))
            assertTrue(r.out().replaceAll("\\s+", " ").contains(s), s + " in --help:\n" + r.out());
        assertFalse(r.out().contains("%%"), "picocli formatted the help text (a stray % makes it print the raw text)");
    }

    @Test
    void meanAndSampleStddev() {
        assertEquals(2.5, Stats.mean(List.of(1.0, 2.0, 3.0, 4.0)), 1e-12);
        // sum of squared deviations 5, over n - 1 = 3
        assertEquals(Math.sqrt(5.0 / 3), Stats.stddev(List.of(1.0, 2.0, 3.0, 4.0)), 1e-12);
        assertEquals(0.0, Stats.stddev(List.of(7.0)));
        assertEquals(0.0, Stats.stddev(List.of(3.0, 3.0, 3.0)));
        assertEquals(Math.sqrt(2), Stats.stddev(List.of(10.0, 12.0)), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Stats.mean(List.of()));
    }
}
