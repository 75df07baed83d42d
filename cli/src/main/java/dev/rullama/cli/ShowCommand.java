package dev.rullama.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.gguf.GgufSummary;
import dev.rullama.ollama.Layer;
import dev.rullama.ollama.LayerKind;
import dev.rullama.ollama.ModelShow;
import dev.rullama.ollama.OllamaStore;
import jakarta.inject.Inject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code rullama show MODEL}: what a model is, from its manifest and GGUF header, like {@code ollama show}. */
@Command(name = "show", mixinStandardHelpOptions = true,
        description = {"Show a model: architecture, parameters, context and embedding length, quantization mix by tensor count and bytes,",
                "and the manifest's layers (template, params, license, projector, adapter...). Reads headers only: fast even for 20 GB blobs."})
final class ShowCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "A model name as Ollama spells it: gemma4, gemma4:e2b, user/model:tag, host/ns/model:tag.")
    String name;

    @Option(names = "--models", paramLabel = "DIR", description = "Read this store only (default: the Ollama store, then rullama's own).")
    Path models;

    @Option(names = "--tensors", description = "List every tensor: name, type, shape, bytes, modality.")
    boolean tensors;

    @Option(names = "--metadata", description = "List the GGUF metadata (long arrays abbreviated).")
    boolean metadata;

    @Option(names = "--json", description = "Print JSON (with --tensors/--metadata as asked).")
    boolean json;

    @Option(names = "--verify", description = "Check every layer's sha256 against its digest (reads every byte; shows progress).")
    boolean verify;

    @Option(names = "--template", description = "Print the template layer only.")
    boolean template;

    @Option(names = "--parameters", description = "Print the params layer only.")
    boolean parameters;

    @Option(names = "--license", description = "Print the license layer(s) only.")
    boolean license;

    @Spec
    CommandSpec spec;

    private final ObjectMapper mapper;

    @Inject
    ShowCommand(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        List<OllamaStore> stores = ModelStores.resolve(models);
        ModelShow show = ModelStores.show(stores, name);
        if (verify) verify(stores, show, err);
        if (template) { out.println(show.template().orElse("")); out.flush(); return 0; }
        if (parameters) { out.println(mapper.writeValueAsString(show.params())); out.flush(); return 0; }
        if (license) { out.println(String.join("\n\n", show.licenses())); out.flush(); return 0; }
        if (json) out.println(mapper.writeValueAsString(toJson(show)));
        else print(out, show);
        out.flush();
        return 0;
    }

    private void verify(List<OllamaStore> stores, ModelShow show, PrintWriter err) throws Exception {
        OllamaStore store = stores.stream().filter(s -> show.entry().manifestPath().startsWith(s.root())).findFirst().orElseThrow();
        ProgressBar bar = new ProgressBar(err, "verifying " + show.entry().displayName());
        try {
            store.verify(show.manifest(), bar::update);
        } catch (Exception e) {
            bar.abort();
            throw e;
        }
        bar.done("sha256 ok for " + show.manifest().layers().size() + " layers");
    }

    private Map<String, Object> toJson(ModelShow s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", s.entry().displayName());
        m.put("id", s.entry().id());
        m.put("size", s.entry().size());
        m.put("manifest", s.entry().manifestPath().toString());
        m.put("layers", s.manifest().layers().stream().map(l -> Map.of("kind", l.kind().label(), "digest", l.digest(), "size", l.size())).toList());
        s.config().ifPresent(c -> m.put("config", c));
        m.put("params", s.params());
        s.model().ifPresent(g -> {
            Map<String, Object> model = new LinkedHashMap<>();
            model.put("architecture", g.architecture().orElse(null));
            model.put("parameters", g.parameterCount());
            model.put("text_parameters", g.textParameterCount());
            model.put("context_length", g.contextLength().isPresent() ? g.contextLength().getAsLong() : null);
            model.put("embedding_length", g.embeddingLength().isPresent() ? g.embeddingLength().getAsLong() : null);
            model.put("block_count", g.blockCount().isPresent() ? g.blockCount().getAsLong() : null);
            model.put("file_type", g.fileType().orElse(null));
            model.put("quantization", g.quantization().stream().map(q -> Map.of("type", q.type().name(), "tensors", q.tensors(), "bytes", q.bytes())).toList());
            model.put("tensors_by_modality", g.tensorsByModality());
            if (tensors) model.put("tensors", g.tensors());
            if (metadata) model.put("metadata", g.metadata());
            m.put("model", model);
        });
        s.modelProblem().ifPresent(p -> m.put("model_problem", p));
        return m;
    }

    private void print(PrintWriter out, ModelShow s) {
        out.println("  Model");
        out.printf("    %-20s %s%n", "name", s.entry().displayName());
        if (s.model().isPresent()) {
            GgufSummary g = s.model().get();
            out.printf("    %-20s %s%n", "architecture", g.architecture().orElse("?"));
            out.printf("    %-20s %s%s%n", "parameters", GgufSummary.formatCount(g.parameterCount()),
                    g.textParameterCount() != g.parameterCount() ? " (text " + GgufSummary.formatCount(g.textParameterCount()) + ")" : "");
            g.contextLength().ifPresent(v -> out.printf("    %-20s %d%n", "context length", v));
            g.embeddingLength().ifPresent(v -> out.printf("    %-20s %d%n", "embedding length", v));
            g.blockCount().ifPresent(v -> out.printf("    %-20s %d%n", "layers", v));
            g.fileType().ifPresent(v -> out.printf("    %-20s %s%n", "quantization", v));
            out.println();
            out.println("  Quantization mix");
            for (GgufSummary.TypeShare q : g.quantization())
                out.printf("    %-8s %6d tensors  %10s%n", q.type().name(), q.tensors(), GgufSummary.formatBytes(q.bytes()));
            if (g.tensorsByModality().size() > 1) out.printf("    by modality: %s (only text tensors are run)%n", g.tensorsByModality());
            if (tensors) {
                out.println();
                out.println("  Tensors");
                for (GgufSummary.TensorLine t : g.tensors())
                    out.printf("    %-48s %-6s %-24s %10s  %s%n", t.name(), t.type().name(), t.shape(), GgufSummary.formatBytes(t.bytes()),
                            t.modality().name().toLowerCase(java.util.Locale.ROOT));
            }
            if (metadata) {
                out.println();
                out.println("  Metadata");
                for (GgufSummary.MetadataLine l : g.metadata()) out.printf("    %-48s %-18s %s%n", l.key(), l.type(), l.value());
            }
        } else {
            out.printf("    %-20s %s%n", "model layer", s.modelProblem().orElse("none"));
        }
        out.println();
        out.println("  Layers");
        for (Layer l : s.manifest().layers())
            out.printf("    %-10s %-12s %10s%n", l.kind().label(), l.shortDigest(), Human.bytes(l.size()));
        if (!s.params().isEmpty()) {
            out.println();
            out.println("  Parameters");
            s.params().forEach((k, v) -> out.printf("    %-20s %s%n", k, v));
        }
        if (!s.layers(LayerKind.LICENSE).isEmpty()) {
            out.println();
            out.println("  License");
            out.printf("    %s%n", s.licenses().isEmpty() ? "" : s.licenses().getFirst().lines().findFirst().orElse("").strip());
        }
    }
}
