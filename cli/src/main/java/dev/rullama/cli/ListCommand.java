package dev.rullama.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.api.RullamaException;
import dev.rullama.ollama.ModelEntry;
import dev.rullama.ollama.OllamaStore;
import dev.rullama.ollama.StoreListing;
import jakarta.inject.Inject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code rullama list}: the models in the stores, like {@code ollama list}. */
@Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true,
        description = {"List the models in your Ollama store (and in rullama's own store), like `ollama list`.",
                "The stores are only read: nothing in them is written, moved or locked."})
final class ListCommand implements Callable<Integer> {
    @Option(names = "--models", paramLabel = "DIR", description = "Read this store only (default: $OLLAMA_MODELS, ~/.ollama/models, "
            + "/usr/share/ollama/.ollama/models, then rullama's own store).")
    Path models;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Spec
    CommandSpec spec;

    private final ObjectMapper mapper;

    @Inject
    ListCommand(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        List<OllamaStore> stores = ModelStores.resolve(models);
        List<StoreListing> listings = ModelStores.list(stores);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < stores.size(); i++) {
            for (ModelEntry e : listings.get(i).models()) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("name", e.displayName());
                r.put("id", e.id());
                r.put("size", e.size());
                r.put("modified", e.modified().toString());
                r.put("store", stores.get(i).root().toString());
                rows.add(r);
            }
            for (RullamaException p : listings.get(i).problems()) err.println("rullama: warning: " + Errors.oneLine(p));
        }
        if (json) {
            out.println(mapper.writeValueAsString(Map.of("models", rows)));
        } else {
            Instant now = Instant.now();
            int w = Math.max(4, rows.stream().mapToInt(r -> r.get("name").toString().length()).max().orElse(4));
            out.printf("%-" + w + "s    %-12s    %-8s    %s%n", "NAME", "ID", "SIZE", "MODIFIED");
            for (Map<String, Object> r : rows)
                out.printf("%-" + w + "s    %-12s    %-8s    %s%n", r.get("name"), r.get("id"), Human.bytes((Long) r.get("size")),
                        Human.ago(Instant.parse((String) r.get("modified")), now));
        }
        out.flush();
        return 0;
    }
}
