package dev.rullama.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Prints {@code rullama bench} results as a markdown table (like llama-bench's), CSV or JSON, with the same fields. */
public final class BenchReport {
    public static final String NOTE_TEST = "test: pp<P> = one prompt of P random token ids from an empty cache, timed until the argmax after its last"
            + " token is read back; tg<N> = N tokens generated one at a time (greedy on the GPU, only the id read back);"
            + " '@ d<D>' = after D random prompt tokens, prefilled untimed.";
    public static final String NOTE_TPS = "t/s: tokens per second, mean ± sample standard deviation over the -r timed repetitions; each runs in a"
            + " fresh session, after one untimed warm-up repetition of the same test. ms/tok = 1000 / mean t/s.";
    public static final String NOTE_GBPS = "GB/s eff: weight bytes per token × t/s (1 GB = 1e9 bytes). tg: the bytes a decode step must read, every"
            + " matrix it multiplies with MoE experts at k/E (an ideal top-k kernel); pp: the bytes the forward pass read (each matrix"
            + " once per 64-token chunk). weight_bytes_read_per_token (CSV/JSON): what the implementation actually read.";
    public static final String NOTE_CEILING = "%% ceil: GB/s eff / the copy ceiling, a copy_vec4 kernel copying one buffer into another on the"
            + " same device in the same run; its GB/s counts the bytes read plus the bytes written.";
    public static final String NOTE_CPU = "disp/tok: kernel dispatches per token. enc µs/tok: CPU time recording the command batches per token"
            + " (inputs written, before submit). submit_us_per_token (CSV/JSON): CPU time inside the backend's submit calls per"
            + " token (where Dawn and wgpu-native translate the batch into Vulkan commands); -Drullama.gpu.submitEvery=N splits"
            + " a step into submits of N dispatches. upload_bytes_per_token (CSV/JSON): host-to-GPU bytes per token (position, ids,"
            + " and the per-layer embedding rows the CPU supplies to E models).";
    public static final String NOTE_LOAD = "load s: opening the device, mapping, uploading the weights, until the GPU has them."
            + " peak GPU MiB: the most GPU buffer memory rullama held on that device up to the row (weights, KV cache, activations,"
            + " staging; not the driver's own).";
    /** The notes as printed in the output (the constants are also picocli help text, where '%' is written '%%'). */
    public static final List<String> NOTES = java.util.stream.Stream.of(NOTE_TEST, NOTE_TPS, NOTE_GBPS, NOTE_CEILING, NOTE_CPU, NOTE_LOAD)
            .map(n -> n.replace("%%", "%")).toList();

    /** What was measured for one backend before its rows: the adapter and the copy ceiling. */
    public record Ceiling(String backend, String adapter, String adapterType, String api, String driver, CopyCeiling.Result result) {
        Map<String, Object> fields() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("backend", backend);
            m.put("adapter", adapter);
            m.put("adapter_type", adapterType);
            m.put("api", api);
            m.put("driver", driver);
            m.put("buffer_bytes", result.bytes());
            m.put("dispatches_per_batch", result.dispatchesPerBatch());
            m.put("gbps_mean", result.mean());
            m.put("gbps_sd", result.stddev());
            m.put("samples_gbps", result.gbps());
            m.put("counts", "bytes read + bytes written");
            return m;
        }
    }

    private BenchReport() {}

    public static void print(PrintWriter out, String format, List<Ceiling> ceilings, List<BenchRow> rows, ObjectMapper mapper) throws Exception {
        switch (format) {
            case "md" -> markdown(out, ceilings, rows);
            case "csv" -> csv(out, rows);
            case "json" -> json(out, ceilings, rows, mapper);
            default -> throw new IllegalArgumentException("-o takes md, csv or json, not '" + format + "'");
        }
        out.flush();
    }

    static void json(PrintWriter out, List<Ceiling> ceilings, List<BenchRow> rows, ObjectMapper mapper) throws Exception {
        Map<String, Object> root = new LinkedHashMap<>();
        Map<String, Object> c = new LinkedHashMap<>();
        for (Ceiling x : ceilings) c.put(x.backend(), x.fields());
        root.put("ceiling", c);
        root.put("rows", rows.stream().map(BenchRow::fields).toList());
        root.put("notes", NOTES);
        out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    }

    static void csv(PrintWriter out, List<BenchRow> rows) {
        if (rows.isEmpty()) return;
        out.println(String.join(",", rows.getFirst().fields().keySet()));
        for (BenchRow r : rows) {
            List<String> cells = new ArrayList<>();
            for (Object v : r.fields().values()) cells.add(csvCell(v));
            out.println(String.join(",", cells));
        }
    }

    private static String csvCell(Object v) {
        String s;
        if (v instanceof List<?> l) {
            List<String> parts = new ArrayList<>();
            for (Object o : l) parts.add(String.valueOf(o));
            s = String.join(";", parts);
        } else {
            s = String.valueOf(v);
        }
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    static void markdown(PrintWriter out, List<Ceiling> ceilings, List<BenchRow> rows) {
        for (Ceiling c : ceilings) {
            CopyCeiling.Result r = c.result();
            out.printf(Locale.ROOT, "%s: %s (%s, %s)%s; copy ceiling %.2f ± %.2f GB/s (read + written, %s buffers, %d copies per batch)%n",
                    c.backend(), c.adapter(), c.adapterType(), c.api(), c.driver().isBlank() ? "" : ", driver " + c.driver(),
                    r.mean(), r.stddev(), mib(r.bytes()), r.dispatchesPerBatch());
        }
        out.println();
        String[] head = {"model", "size", "params", "backend", "test", "t/s", "ms/tok", "GB/s eff", "% ceil", "disp/tok", "enc µs/tok", "load s", "peak GPU MiB"};
        boolean[] right = {false, true, true, false, true, true, true, true, true, true, true, true, true};
        List<String[]> cells = new ArrayList<>();
        for (BenchRow r : rows) {
            cells.add(new String[]{r.model(), mib(r.modelBytes()), params(r.params()), r.backend(), r.test(),
                    String.format(Locale.ROOT, "%.2f ± %.2f", r.tpsMean(), r.tpsSd()), String.format(Locale.ROOT, "%.3f", r.msPerToken()),
                    String.format(Locale.ROOT, "%.2f", r.gbpsEff()), String.format(Locale.ROOT, "%.1f", r.ceilingPct()),
                    String.format(Locale.ROOT, "%.1f", r.dispatchesPerToken()), String.format(Locale.ROOT, "%.1f", r.encodeUsPerToken()),
                    String.format(Locale.ROOT, "%.2f", r.loadSeconds()),
                    r.peakGpuBytes() < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f", r.peakGpuBytes() / 1048576.0)});
        }
        int[] w = new int[head.length];
        for (int i = 0; i < head.length; i++) {
            w[i] = head[i].length();
            for (String[] c : cells) w[i] = Math.max(w[i], c[i].length());
        }
        out.println(row(head, w, right));
        String[] rule = new String[head.length];
        for (int i = 0; i < head.length; i++) rule[i] = right[i] ? "-".repeat(w[i] - 1) + ":" : "-".repeat(w[i]);
        out.println(row(rule, w, right));
        for (String[] c : cells) out.println(row(c, w, right));
        out.println();
        for (String n : NOTES) out.println("- " + n);
    }

    private static String row(String[] c, int[] w, boolean[] right) {
        StringBuilder sb = new StringBuilder("|");
        for (int i = 0; i < c.length; i++) {
            String pad = " ".repeat(w[i] - c[i].length());
            sb.append(' ').append(right[i] ? pad + c[i] : c[i] + pad).append(" |");
        }
        return sb.toString();
    }

    static String mib(long bytes) {
        return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30))
                : String.format(Locale.ROOT, "%.2f MiB", bytes / 1048576.0);
    }

    static String params(long n) {
        if (n >= 1_000_000_000L) return String.format(Locale.ROOT, "%.2f B", n / 1e9);
        if (n >= 1_000_000L) return String.format(Locale.ROOT, "%.2f M", n / 1e6);
        return String.format(Locale.ROOT, "%.2f K", n / 1e3);
    }
}
