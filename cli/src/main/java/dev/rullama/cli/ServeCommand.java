package dev.rullama.cli;

import com.google.inject.Guice;
import dev.rullama.api.Backends;
import dev.rullama.api.RullamaException;
import dev.rullama.cli.serve.Durations;
import dev.rullama.cli.serve.HostPort;
import dev.rullama.cli.serve.ModelManager;
import dev.rullama.cli.serve.ModelSource;
import dev.rullama.cli.serve.RullamaServer;
import dev.rullama.gguf.GgufFile;
import dev.rullama.ollama.Manifest;
import dev.rullama.ollama.ModelConfig;
import dev.rullama.ollama.ModelEntry;
import dev.rullama.ollama.ModelNotFoundException;
import dev.rullama.ollama.ModelShow;
import dev.rullama.ollama.OllamaStore;
import dev.rullama.ollama.StoreListing;
import jakarta.inject.Inject;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code rullama serve}: Ollama's HTTP API, so existing Ollama clients work unchanged. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve Ollama's HTTP API (/api/generate, /api/chat, /api/tags, /api/show, /api/ps, /api/version) and its",
                "OpenAI-compatible /v1/chat/completions and /v1/models, so Ollama clients work unchanged. Models load on first",
                "use, stay loaded for the keep-alive, and run one request at a time each, in arrival order. The stores are only read.",
                "Example:  rullama serve   then   curl http://127.0.0.1:11434/api/chat -d '{\"model\":\"gemma3:270m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'"},
        footer = {"", "Environment:",
                "  OLLAMA_HOST        default for --host (host:port, as Ollama reads it); the default is 127.0.0.1:11434",
                "  OLLAMA_KEEP_ALIVE  default for --keep-alive",
                "  OLLAMA_MAX_QUEUE   default for --max-queue",
                "  RULLAMA_BACKEND    default for --backend"})
public final class ServeCommand implements Callable<Integer> {
    @Option(names = "--host", paramLabel = "HOST:PORT", description = "Where to listen (default: $OLLAMA_HOST, else 127.0.0.1:11434). "
            + "Only loopback unless you give another address, e.g. 0.0.0.0:11434 (there is no authentication).")
    String host;

    @Option(names = "--keep-alive", paramLabel = "DURATION", description = "How long a model stays loaded after its last request: "
            + "5m, 1h, 30s, 0 (unload at once), -1 (forever); requests may set keep_alive (default: $OLLAMA_KEEP_ALIVE, else 5m).")
    String keepAlive;

    @Option(names = "--max-queue", paramLabel = "N", description = "Most generation requests waiting or running; more get 503 "
            + "(default: $OLLAMA_MAX_QUEUE, else 512).")
    Integer maxQueue;

    @Option(names = "--read-timeout", paramLabel = "SECONDS", description = "Most time a request's headers and body may take to "
            + "arrive; slower clients are cut off (default: 30).")
    int readTimeout = 30;

    @Mixin
    EngineOptions engine;

    @Spec
    CommandSpec spec;

    private final Backends backends;

    @Inject
    ServeCommand(Backends backends) {
        this.backends = backends;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        RullamaServer server = open();
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "rullama-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        var a = server.address();
        out.printf("rullama serve: listening on http://%s:%d (Ollama API and /v1), backend %s, keep-alive %s; Ctrl-C stops%n",
                a.getHostString(), a.getPort(), engine.backendOrDefault(), Durations.format(server.manager().defaultKeepAlive()));
        out.flush();
        stopped.await();
        return 0;
    }

    /** Binds and starts the server from the parsed options, without blocking. */
    RullamaServer open() throws RullamaException {
        HostPort where;
        String spec = host != null ? host : System.getenv("OLLAMA_HOST");
        try {
            where = HostPort.parse(spec);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((host != null ? "--host " : "OLLAMA_HOST ") + e.getMessage());
        }
        Duration keep = Durations.parse(keepAlive != null ? keepAlive : Optional.ofNullable(System.getenv("OLLAMA_KEEP_ALIVE")).orElse("5m"));
        int queue = maxQueue != null ? maxQueue : Integer.parseInt(Optional.ofNullable(System.getenv("OLLAMA_MAX_QUEUE")).orElse("512").strip());
        if (readTimeout < 1) throw new IllegalArgumentException("--read-timeout must be at least 1 second, not " + readTimeout);
        engine.contextLength(Integer.MAX_VALUE); // checks --ctx now rather than at the first request
        RullamaServer.configureTimeouts(readTimeout, Math.max(256, queue + 64));
        ModelManager manager = new ModelManager(new StoreModels(engine, backends), keep, queue);
        try {
            return RullamaServer.start(where, manager);
        } catch (RullamaException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Starts a server from {@code serve}'s command-line arguments and returns it running (tests and embedding); close
     * it to stop.
     */
    public static RullamaServer start(String... args) throws RullamaException {
        CommandLine cl = new CommandLine(ServeCommand.class, new GuiceFactory(Guice.createInjector(new CliModule())));
        cl.parseArgs(args);
        return ((ServeCommand) cl.getCommand()).open();
    }

    /** The CLI's stores and loader, as the server sees them. */
    private static final class StoreModels implements ModelSource {
        private final EngineOptions engine;
        private final Backends backends;

        StoreModels(EngineOptions engine, Backends backends) {
            this.engine = engine;
            this.backends = backends;
        }

        private record Located(OllamaStore store, Manifest manifest) {}

        private Optional<Located> locate(String name) throws Exception {
            for (OllamaStore s : ModelStores.resolve(engine.models)) {
                try {
                    return Optional.of(new Located(s, s.manifest(name)));
                } catch (ModelNotFoundException e) {
                    // try the next store
                }
            }
            return Optional.empty();
        }

        private Located require(String name) throws Exception {
            return locate(name).orElseThrow(() -> new RullamaException("model '" + name + "' not found"));
        }

        @Override
        public Optional<ModelEntry> find(String name) throws Exception {
            return locate(name).map(l -> l.manifest().entry());
        }

        @Override
        public List<ModelEntry> list() throws Exception {
            List<ModelEntry> out = new ArrayList<>();
            for (StoreListing l : ModelStores.list(ModelStores.resolve(engine.models))) out.addAll(l.models());
            return out;
        }

        @Override
        public ModelShow show(String name) throws Exception {
            return ModelStores.show(ModelStores.resolve(engine.models), name);
        }

        @Override
        public ModelConfig config(String name) throws Exception {
            Located l = require(name);
            return l.store().config(l.manifest());
        }

        @Override
        public GgufFile openGguf(String name) throws Exception {
            Located l = require(name);
            return l.store().openModel(l.manifest());
        }

        @Override
        public LoadedModel load(String name) throws Exception {
            ModelLoader.Loaded m = ModelLoader.load(engine, name, backends);
            int ctx = engine.contextLength(m.config().contextLength() > 0 ? m.config().contextLength() : Integer.MAX_VALUE);
            return new LoadedModel(m.name(), m.config(), m.tokenizer(), m.chat(), m.defaults(), m.model(), ctx, m);
        }
    }
}
