package dev.rullama.cli.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One result row of {@code rullama bench}: one test ({@code pp<P>} or {@code tg<N>}, at a depth) of one model on one
 * backend, over {@code reps} timed repetitions. {@link #fields()} is the CSV/JSON shape; {@link BenchReport#NOTES}
 * says what each field means.
 */
public record BenchRow(String model, long modelBytes, long params, String backend, String adapter, String adapterType, String driver,
                       String test, int nPrompt, int nGen, int nDepth, int ctx, int reps, List<Double> samplesTps,
                       double weightBytesPerToken, double weightBytesReadPerToken, double ceilingGbps,
                       double dispatchesPerToken, double encodeUsPerToken, double submitUsPerToken, double uploadBytesPerToken, double loadSeconds,
                       long peakGpuBytes) {
    public double tpsMean() { return Stats.mean(samplesTps); }

    public double tpsSd() { return Stats.stddev(samplesTps); }

    public double msPerToken() { return 1000 / tpsMean(); }

    public double gbpsEff() { return weightBytesPerToken * tpsMean() / 1e9; }

    public double ceilingPct() { return 100 * gbpsEff() / ceilingGbps; }

    /** The test's name as llama-bench prints it: {@code pp512}, {@code tg128 @ d4096}. */
    public static String testName(int nPrompt, int nGen, int nDepth) {
        String t = nPrompt > 0 ? "pp" + nPrompt : "tg" + nGen;
        return nDepth > 0 ? t + " @ d" + nDepth : t;
    }

    public Map<String, Object> fields() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("model_bytes", modelBytes);
        m.put("params", params);
        m.put("backend", backend);
        m.put("adapter", adapter);
        m.put("adapter_type", adapterType);
        m.put("driver", driver);
        m.put("test", test);
        m.put("n_prompt", nPrompt);
        m.put("n_gen", nGen);
        m.put("n_depth", nDepth);
        m.put("ctx", ctx);
        m.put("reps", reps);
        m.put("tps_mean", tpsMean());
        m.put("tps_sd", tpsSd());
        m.put("ms_per_token", msPerToken());
        m.put("weight_bytes_per_token", weightBytesPerToken);
        m.put("weight_bytes_read_per_token", weightBytesReadPerToken);
        m.put("gbps_eff", gbpsEff());
        m.put("ceiling_gbps", ceilingGbps);
        m.put("ceiling_pct", ceilingPct());
        m.put("dispatches_per_token", dispatchesPerToken);
        m.put("encode_us_per_token", encodeUsPerToken);
        m.put("submit_us_per_token", submitUsPerToken);
        m.put("upload_bytes_per_token", uploadBytesPerToken);
        m.put("load_s", loadSeconds);
        m.put("peak_gpu_bytes", peakGpuBytes);
        m.put("samples_tps", samplesTps);
        return m;
    }
}
