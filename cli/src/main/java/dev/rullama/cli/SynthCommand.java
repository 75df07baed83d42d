package dev.rullama.cli;

import dev.rullama.api.webgpu.RullamaCache;
import dev.rullama.gemma.synth.RealShapes;
import dev.rullama.gemma.synth.SyntheticModel;
import dev.rullama.gguf.GgufSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code rullama synth KIND}: writes a synthetic Gemma 4 model of real shape (random weights, the real tensor names,
 * shapes and Q4_K_M quant mix) into a model store, for benchmarking rullama and llama.cpp on exactly what users of the
 * real model get, without downloading it.
 */
@Command(name = "synth", mixinStandardHelpOptions = true, usageHelpWidth = 120,
        description = {"Write a synthetic Gemma 4 model of real shape into a model store, for benchmarks: random weights with the real",
                "tensor names, shapes and Ollama's Q4_K_M quant mix (Q4_K/Q6_K matrices, Q6_K token embeddings, BF16 per-layer",
                "embeddings, F32 norms). Speed depends on shapes and types, not on values, so it measures what the real model gets.",
                "The blob is a plain GGUF that llama.cpp loads too (llama-bench -m BLOB). Sizes: e2b 6.2 GB, e4b 8.6 GB, 12b 7.4 GB,",
                "26b 16.8 GB, 31b 18.7 GB. The same seed always writes the same bytes.", ""},
        footer = {"", "Examples:",
                "  rullama synth e2b                           # synth-gemma4:e2b-q4_K_M in rullama's own store",
                "  rullama synth 31b --models /data/models     # into another store (created if missing)",
                "  rullama synth 26b --plan --tensors          # print the tensor plan, write nothing",
                "  rullama synth e4b --layers 4 --vocab 4096   # a small variant with the real widths"})
final class SynthCommand implements Callable<Integer> {
    @Parameters(paramLabel = "KIND", description = "Which model: e2b, e4b, 12b, 26b (26b-a4b), 31b.")
    String kind;

    @Option(names = "--name", paramLabel = "NAME", description = "Model name in the store (default: synth-gemma4:KIND-q4_K_M).")
    String name;

    @Option(names = "--models", paramLabel = "DIR", description = "Store to write into (default: rullama's own store, "
            + "$RULLAMA_CACHE/models, i.e. ~/.cache/rullama/models). Your Ollama store is written only if you name it here.")
    Path models;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--layers", paramLabel = "N", description = "Keep only the first N layers (the real widths; the last layer is made a full-attention one).")
    Integer layers;

    @Option(names = "--vocab", paramLabel = "N", description = "Vocabulary size (default: the real 262144; at least 512).")
    Integer vocab;

    @Option(names = "--plan", description = "Print the plan (shapes, tensor count, bytes per type) and write nothing.")
    boolean planOnly;

    @Option(names = "--tensors", description = "With --plan: list every tensor with its type and shape.")
    boolean tensors;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        RealShapes shapes = RealShapes.byName(kind).orElseThrow(() -> new IllegalArgumentException(
                "unknown model kind '" + kind + "'; synth knows " + RealShapes.names()));
        if (layers != null || vocab != null) {
            shapes = shapes.reduced(layers != null ? layers : shapes.layers(), vocab != null ? vocab : shapes.vocab());
        }
        SyntheticModel model = SyntheticModel.plan(shapes, seed);
        String target = name != null ? name : "synth-gemma4:" + shapes.kind() + "-q4_K_M";
        if (planOnly) {
            out.print(model.summary());
            if (tensors) {
                for (SyntheticModel.Tensor t : model.tensors())
                    out.printf("  %-40s %-5s %-22s %12s%n", t.name(), t.type(), Arrays.toString(t.shape()), GgufSummary.formatBytes(t.bytes()));
            }
            out.flush();
            return 0;
        }
        Path root = (models != null ? models : RullamaCache.dir().resolve("models")).toAbsolutePath().normalize();
        Files.createDirectories(root);
        long need = model.tensorBytes();
        long free = Files.getFileStore(root).getUsableSpace();
        if (free < need + (64L << 20)) {
            throw new IllegalArgumentException("not enough disk space in " + root + ": " + shapes.kind() + " needs " + Human.bytes(need)
                    + ", " + Human.bytes(free) + " is free");
        }
        err.println(shapes);
        ProgressBar bar = new ProgressBar(err, "writing " + target);
        SyntheticModel.Installed in;
        try {
            in = model.install(root, target, bar::update);
        } catch (Exception e) {
            bar.abort();
            throw e;
        }
        bar.done(Human.bytes(in.bytes()));
        String mix = model.typeMix().stream().map(s -> s.type() + " " + s.tensors()).collect(Collectors.joining(", "));
        out.printf("%s%n", in.name().displayShortest());
        out.printf("  %-9s %s%n", "blob", in.blob());
        out.printf("  %-9s %s (%,d bytes)%n", "size", Human.bytes(in.bytes()), in.bytes());
        out.printf("  %-9s %d (%s)%n", "tensors", in.tensors(), mix);
        out.printf(Locale.ROOT, "  %-9s %.1f s (%s/s)%n", "time", in.seconds(), Human.bytes((long) (in.bytes() / Math.max(in.seconds(), 1e-9))));
        out.printf("  %-9s %s%n", "manifest", in.manifest());
        out.printf("Run it with: rullama run %s%s   (llama.cpp: llama-bench -m %s)%n", in.name().displayShortest(),
                models != null ? " --models " + root : "", in.blob());
        out.flush();
        return 0;
    }
}
