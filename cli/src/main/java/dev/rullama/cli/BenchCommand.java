package dev.rullama.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.api.AdapterInfo;
import dev.rullama.api.Backend;
import dev.rullama.api.Backends;
import dev.rullama.api.CommandBatch;
import dev.rullama.api.Device;
import dev.rullama.api.DeviceOptions;
import dev.rullama.api.RullamaException;
import dev.rullama.cli.bench.BenchReport;
import dev.rullama.cli.bench.BenchRow;
import dev.rullama.cli.bench.CopyCeiling;
import dev.rullama.gemma.gpu.GpuLanguageModel;
import dev.rullama.gguf.GgufTensor;
import jakarta.inject.Inject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * {@code rullama bench MODEL}: prompt processing and generation speed, modelled on llama.cpp's llama-bench (same
 * tests and options), plus what the speed targets are judged by: effective weight bandwidth against a copy ceiling
 * measured in the same run, dispatches and CPU encode time per token, load time and peak GPU memory.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 120,
        description = {"Measure prompt processing (pp) and generation (tg) speed like llama-bench, on one or more backends in one run.",
                "Results go to standard output (a markdown table by default), progress to standard error. Before each backend's rows, a copy",
                "kernel measures the device's memory bandwidth ceiling.", "Example: rullama bench gemma3:270m -p 512 -n 128 -r 5 --backend dawn,wgpu"},
        footer = {"", "Fields:", BenchReport.NOTE_TEST, BenchReport.NOTE_TPS, BenchReport.NOTE_GBPS, BenchReport.NOTE_CEILING,
                BenchReport.NOTE_CPU, BenchReport.NOTE_LOAD})
final class BenchCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "A model name (gemma3:270m, ...) or a path to a .gguf file.")
    String name;

    @Option(names = {"-p", "--n-prompt"}, paramLabel = "P[,P...]", description = "Prompt lengths of the pp tests; 0 runs none (default 512).")
    String prompt = "512";

    @Option(names = {"-n", "--n-gen"}, paramLabel = "N[,N...]", description = "Generated lengths of the tg tests; 0 runs none (default 128).")
    String gen = "128";

    @Option(names = {"-d", "--n-depth"}, paramLabel = "D[,D...]", description = "Tokens already in the cache before each test (default 0).")
    String depth = "0";

    @Option(names = {"-r", "--repetitions"}, paramLabel = "R", description = "Timed repetitions of each test (default 5).")
    int reps = 5;

    @Option(names = {"-o", "--output"}, paramLabel = "md|csv|json", description = "Output format (default md).")
    String output = "md";

    @Option(names = "--backend", paramLabel = "NAME[,NAME...]", description = "Backends to run, e.g. dawn,wgpu (default: $RULLAMA_BACKEND, else auto).")
    String backend;

    @Option(names = "--models", paramLabel = "DIR", description = "Read this store only (default: the Ollama store, then rullama's own).")
    Path models;

    @Option(names = "--ctx", paramLabel = "N", description = "Context length of the sessions (default: the longest test's depth + length).")
    Integer ctx;

    @Option(names = "--ceiling-mb", paramLabel = "MIB", description = "Size of each copy-ceiling buffer in MiB (default 1024 on a GPU, 64 on a CPU "
            + "adapter; at most the device's storage-binding limit).")
    Long ceilingMb;

    @Option(names = "--seed", description = "Seed of the random token ids (default 1).")
    long seed = 1;

    @Spec
    CommandSpec spec;

    private final Backends backends;
    private final ObjectMapper mapper;

    @Inject
    BenchCommand(Backends backends, ObjectMapper mapper) {
        this.backends = backends;
        this.mapper = mapper;
    }

    /** One test: {@code nPrompt > 0} is pp, else tg. */
    record Test(int nPrompt, int nGen, int nDepth) {
        int tokens() { return nPrompt > 0 ? nPrompt : nGen; }

        int context() { return nDepth + tokens(); }

        String label() { return BenchRow.testName(nPrompt, nGen, nDepth); }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        List<Test> tests = tests();
        if (reps < 1) throw new IllegalArgumentException("-r must be at least 1, not " + reps);
        String format = output.toLowerCase(Locale.ROOT);
        if (!List.of("md", "csv", "json").contains(format)) throw new IllegalArgumentException("-o takes md, csv or json, not '" + output + "'");
        if (ceilingMb != null && (ceilingMb < 1 || ceilingMb > (1L << 40))) throw new IllegalArgumentException("--ceiling-mb must be a positive size in MiB, not " + ceilingMb);
        int need = tests.stream().mapToInt(Test::context).max().orElseThrow();
        if (ctx != null && ctx < need) {
            Test t = tests.stream().filter(x -> x.context() > ctx).findFirst().orElseThrow();
            throw new IllegalArgumentException("--ctx " + ctx + " is too small for " + t.label() + ", which needs " + t.context() + " positions");
        }
        int context = ctx != null ? ctx : need;
        List<Backend> selected = new ArrayList<>();
        for (String b : backendNames()) selected.add(backends.select(b)); // every name checked before anything runs

        List<BenchReport.Ceiling> ceilings = new ArrayList<>();
        List<BenchRow> rows = new ArrayList<>();
        for (Backend backend : selected) {
            ceilings.add(ceiling(backend, err));
            BenchReport.Ceiling c = ceilings.getLast();
            rows.addAll(runBackend(backend, c, tests, context, new Random(seed), err)); // the same token ids on every backend
        }
        BenchReport.print(out, format, ceilings, rows, mapper);
        return 0;
    }

    private List<Test> tests() {
        int[] ps = values("-p", prompt), ns = values("-n", gen), ds = values("-d", depth);
        List<Test> out = new ArrayList<>();
        for (int d : ds) {
            for (int p : ps) if (p > 0) out.add(new Test(p, 0, d));
            for (int n : ns) if (n > 0) out.add(new Test(0, n, d));
        }
        if (out.isEmpty()) throw new IllegalArgumentException("nothing to run: -p and -n are both 0");
        return out;
    }

    /** Comma-separated non-negative ints; a clear error naming the option otherwise. */
    static int[] values(String option, String list) {
        String[] parts = list.split(",", -1);
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " takes token counts separated by commas (e.g. 128,512), not '" + list + "'");
            }
            if (out[i] < 0) throw new IllegalArgumentException(option + " values must not be negative, not " + out[i]);
        }
        return out;
    }

    private List<String> backendNames() {
        String list = backend;
        if (list == null || list.isBlank()) list = new EngineOptions().backendOrDefault();
        LinkedHashSet<String> names = new LinkedHashSet<>();
        for (String s : list.split(",")) {
            String n = s.strip().toLowerCase(Locale.ROOT);
            if (n.isEmpty()) throw new IllegalArgumentException("--backend takes names separated by commas (e.g. dawn,wgpu), not '" + list + "'");
            if (n.equals(ModelLoader.CPU_REFERENCE))
                throw new IllegalArgumentException("rullama bench measures GPU backends; " + ModelLoader.CPU_REFERENCE + " has no GPU device");
            names.add(n);
        }
        return List.copyOf(names);
    }

    private BenchReport.Ceiling ceiling(Backend backend, PrintWriter err) throws RullamaException {
        try (Device d = backend.open(DeviceOptions.defaults())) {
            long bytes = CopyCeiling.size(d, ceilingMb == null ? null : ceilingMb << 20);
            progress(err, backend.name() + ": measuring the copy ceiling (" + (bytes >> 20) + " MiB buffers) on " + d.adapter().displayName());
            CopyCeiling.Result r = CopyCeiling.measure(d, bytes, Math.max(3, reps), m -> progress(err, backend.name() + ": " + m));
            progress(err, String.format(Locale.ROOT, "%s: copy ceiling %.2f ± %.2f GB/s", backend.name(), r.mean(), r.stddev()));
            AdapterInfo a = d.adapter();
            return new BenchReport.Ceiling(backend.name(), a.displayName(), a.type(), a.api(), driver(a), r);
        }
    }

    /** What the adapter says about its driver: the description when it is more than the device name (Dawn on Vulkan: the driver version). */
    private static String driver(AdapterInfo a) {
        String d = a.description() == null ? "" : a.description().strip();
        return d.equals(a.displayName()) ? "" : d;
    }

    private List<BenchRow> runBackend(Backend backend, BenchReport.Ceiling ceiling, List<Test> tests, int context, Random random,
                                      PrintWriter err) throws Exception {
        EngineOptions engine = new EngineOptions();
        engine.backend = backend.name();
        engine.models = models;
        engine.ctx = context;
        progress(err, backend.name() + ": loading " + name);
        long t0 = System.nanoTime();
        try (ModelLoader.Loaded m = ModelLoader.load(engine, name, backends)) {
            if (!(m.model() instanceof GpuLanguageModel gm)) throw new IllegalStateException(backend.name() + " did not load a GPU model");
            try (CommandBatch sync = gm.device().newBatch()) {
                sync.submitAndWait(); // the uploads are queued: load ends when the GPU has the weights
            }
            double load = (System.nanoTime() - t0) / 1e9;
            long trained = m.config().contextLength();
            if (trained > 0 && context > trained)
                throw new IllegalArgumentException("a context of " + context + " exceeds " + m.name() + "'s trained context of " + trained);
            long params = 0;
            for (GgufTensor t : m.file().textTensors()) params += t.elementCount();
            progress(err, String.format(Locale.ROOT, "%s: loaded %s in %.2f s (%s of weights)", backend.name(), m.name(), load, Human.bytes(gm.weightBytes())));
            List<BenchRow> rows = new ArrayList<>();
            for (Test t : tests) {
                Measured x = measure(gm, t, context, random, backend.name(), err);
                Device d = gm.device();
                double perToken = t.nPrompt() > 0 ? x.weightBytesRead : gm.decodeWeightBytesTopK();
                rows.add(new BenchRow(m.name(), gm.weightBytes(), params, backend.name(), ceiling.adapter(), ceiling.adapterType(), ceiling.driver(),
                        t.label(), t.nPrompt(), t.nGen(), t.nDepth(), context, reps, x.tps, perToken, x.weightBytesRead, ceiling.result().mean(),
                        x.dispatches, x.encodeUs, x.submitUs, x.uploadBytes, load, d.peakAllocatedBytes()));
                BenchRow r = rows.getLast();
                progress(err, String.format(Locale.ROOT, "%s: %s %.2f ± %.2f t/s", backend.name(), t.label(), r.tpsMean(), r.tpsSd()));
            }
            return rows;
        }
    }

    /** Per-token averages over the timed repetitions, and the t/s of each. */
    private record Measured(List<Double> tps, double dispatches, double encodeUs, double submitUs, double weightBytesRead, double uploadBytes) {}

    private Measured measure(GpuLanguageModel m, Test t, int context, Random random, String backend, PrintWriter err) {
        int vocab = m.config().vocabSize();
        List<Double> tps = new ArrayList<>();
        double dispatches = 0, encode = 0, submit = 0, weights = 0, upload = 0;
        for (int rep = -1; rep < reps; rep++) { // rep -1: the warm-up
            progress(err, backend + ": " + t.label() + (rep < 0 ? " warm-up" : " repetition " + (rep + 1) + "/" + reps));
            try (GpuLanguageModel.Session s = m.newSession(context)) {
                if (t.nDepth() > 0) s.prefillGreedy(randomTokens(random, t.nDepth(), vocab));
                int[] prompt = t.nPrompt() > 0 ? randomTokens(random, t.nPrompt(), vocab) : null;
                int next = random.nextInt(vocab);
                GpuLanguageModel.StepCounters before = s.counters();
                long start = System.nanoTime();
                if (prompt != null) {
                    s.prefillGreedy(prompt); // reads the argmax back: the GPU has finished the prompt
                } else {
                    for (int i = 0; i < t.nGen(); i++) next = s.decodeGreedy(next);
                }
                long nanos = System.nanoTime() - start;
                GpuLanguageModel.StepCounters c = s.counters().minus(before);
                if (rep < 0) continue;
                int n = t.tokens();
                tps.add(n / (nanos / 1e9));
                dispatches += (double) c.dispatches() / n / reps;
                encode += c.encodeNanos() / 1e3 / n / reps;
                submit += c.submitNanos() / 1e3 / n / reps;
                weights += (double) c.weightBytesRead() / n / reps;
                upload += (double) c.uploadBytes() / n / reps;
            }
        }
        return new Measured(tps, dispatches, encode, submit, weights, upload);
    }

    private static int[] randomTokens(Random random, int n, int vocab) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = random.nextInt(vocab);
        return out;
    }

    private static void progress(PrintWriter err, String line) {
        err.println("bench: " + line);
        err.flush();
    }
}
