package dev.rullama.cli;

import dev.rullama.api.Backends;
import dev.rullama.gemma.gpu.GpuLanguageModel;
import dev.rullama.gemma.chat.ChatMessage;
import dev.rullama.gemma.chat.OutputParser;
import dev.rullama.gemma.chat.ParsedOutput;
import dev.rullama.gemma.runtime.Generator;
import dev.rullama.gemma.runtime.InferenceSession;
import jakarta.inject.Inject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

/** {@code rullama run MODEL [PROMPT]}: one-shot or interactive chat, streamed, like {@code ollama run}. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Chat with a model. With PROMPT: answer it and exit (PROMPT '-' reads standard input). Without: an interactive chat",
                "(multi-turn; /bye quits, /clear forgets, /set parameter NAME VALUE, /set system TEXT, /?). Ctrl-C stops the current answer."})
final class RunCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "gemma4, gemma4:e2b, gemma3:270m, ... or a path to a .gguf file.")
    String name;

    @Parameters(index = "1..*", paramLabel = "PROMPT", arity = "0..*", description = "The prompt (words are joined with spaces).")
    List<String> prompt = new ArrayList<>();

    @Mixin
    GenerationOptions gen;

    @Option(names = "--system", description = "System prompt.")
    String system;

    @Option(names = "--think", paramLabel = "on|off", description = "Ask Gemma 4 to reason before answering (default off).")
    String think = "off";

    @Option(names = "--hide-thinking", description = "Do not print the reasoning.")
    boolean hideThinking;

    @Option(names = "--raw", description = "Send PROMPT as is, without the chat template.")
    boolean raw;

    @ParentCommand
    RullamaCommand parent;

    @Spec
    CommandSpec spec;

    private final Backends backends;
    private final AtomicBoolean cancel = new AtomicBoolean();
    private volatile boolean generating;

    @Inject
    RunCommand(Backends backends) {
        this.backends = backends;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        boolean thinking = switch (think.toLowerCase(java.util.Locale.ROOT)) {
            case "on", "true", "yes" -> true;
            case "off", "false", "no" -> false;
            default -> throw new IllegalArgumentException("--think takes on or off, not '" + think + "'");
        };
        long t0 = System.nanoTime();
        // the weight upload's progress, on a terminal only (a bar redrawn with \r would litter a log or a pipe)
        java.io.Console console = System.console();
        ProgressBar bar = console != null && console.isTerminal() ? new ProgressBar(err, "loading " + name) : null;
        ModelLoader.Loaded loaded;
        try {
            loaded = ModelLoader.load(gen.engine, name, backends, bar == null ? GpuLanguageModel.LoadProgress.NONE : bar::update);
        } catch (Exception e) {
            if (bar != null) bar.abort();
            throw e;
        }
        if (bar != null) bar.done("uploaded");
        try (ModelLoader.Loaded m = loaded) {
            long loadNanos = System.nanoTime() - t0;
            if (parent != null && parent.verbose) err.printf("loaded %s on %s in %.2f s%n", m.name(), m.model().engine(), loadNanos / 1e9);
            int ctx = gen.engine.contextLength(m.config().contextLength() > 0 ? m.config().contextLength() : Integer.MAX_VALUE);
            if (thinking && !m.chat().supportsThinking()) throw new IllegalArgumentException(m.name() + " has no thinking mode");
            installInterrupt();
            try (InferenceSession session = m.model().newSession(ctx)) {
                Chat chat = new Chat(m, session, thinking, out, err, loadNanos);
                if (prompt.size() == 1 && prompt.getFirst().equals("-")) {
                    chat.turn(new String(System.in.readAllBytes(), StandardCharsets.UTF_8));
                } else if (!prompt.isEmpty()) {
                    chat.turn(String.join(" ", prompt));
                } else {
                    interactive(chat, out);
                }
            }
        }
        return 0;
    }

    private void installInterrupt() {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), s -> {
                if (generating) cancel.set(true);
                else System.exit(130);
            });
        } catch (IllegalArgumentException | UnsupportedOperationException ignored) {
            // no SIGINT handling on this platform: Ctrl-C then ends the program, as usual
        }
    }

    private void interactive(Chat chat, PrintWriter out) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        out.println("Chatting with " + chat.m.name() + " on " + chat.m.model().engine() + ". /? for help, /bye to quit.");
        while (true) {
            out.print(">>> ");
            out.flush();
            String line = in.readLine();
            if (line == null || line.strip().equals("/bye")) break;
            String cmd = line.strip();
            if (cmd.isEmpty()) continue;
            if (cmd.equals("/?") || cmd.equals("/help")) {
                out.println("/bye  quit    /clear  forget the conversation    /set parameter NAME VALUE  (temperature, top_k, top_p, min_p, seed, num_predict, repeat_penalty)    /set system TEXT");
            } else if (cmd.equals("/clear")) {
                chat.clear();
                out.println("Cleared the conversation.");
            } else if (cmd.startsWith("/set system ")) {
                system = cmd.substring("/set system ".length());
                chat.clear();
                out.println("Set the system prompt (and cleared the conversation).");
            } else if (cmd.startsWith("/set parameter ")) {
                String[] p = cmd.substring("/set parameter ".length()).strip().split("\\s+", 2);
                if (p.length < 2) { out.println("usage: /set parameter NAME VALUE"); continue; }
                try {
                    setParameter(p[0], p[1]);
                    out.println("Set parameter '" + p[0] + "' to '" + p[1] + "'");
                } catch (IllegalArgumentException e) {
                    out.println("error: " + e.getMessage());
                }
            } else if (cmd.startsWith("/")) {
                out.println("Unknown command '" + cmd.split("\\s")[0] + "'. Type /? for help.");
            } else {
                chat.turn(line);
            }
        }
    }

    private void setParameter(String key, String value) {
        try {
            switch (key) {
                case "temperature" -> gen.temperature = Float.parseFloat(value);
                case "top_k" -> gen.topK = Integer.parseInt(value);
                case "top_p" -> gen.topP = Float.parseFloat(value);
                case "min_p" -> gen.minP = Float.parseFloat(value);
                case "seed" -> gen.seed = Long.parseLong(value);
                case "num_predict" -> gen.numPredict = Integer.parseInt(value);
                case "repeat_penalty" -> gen.repeatPenalty = Float.parseFloat(value);
                default -> throw new IllegalArgumentException("unknown parameter '" + key + "'");
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' is not a number for " + key);
        }
    }

    /** One conversation: history, and the tokens already in the session so that a new turn only prefills what is new. */
    private final class Chat {
        final ModelLoader.Loaded m;
        InferenceSession session;
        final boolean thinking;
        final PrintWriter out, err;
        final long loadNanos;
        final List<ChatMessage> history = new ArrayList<>();
        int[] inCache = new int[0];

        Chat(ModelLoader.Loaded m, InferenceSession session, boolean thinking, PrintWriter out, PrintWriter err, long loadNanos) {
            this.m = m;
            this.session = session;
            this.thinking = thinking;
            this.out = out;
            this.err = err;
            this.loadNanos = loadNanos;
        }

        void clear() {
            history.clear();
            int ctx = session.contextLength();
            session.close();
            session = m.model().newSession(ctx);
            inCache = new int[0];
        }

        void turn(String text) {
            List<ChatMessage> messages = new ArrayList<>();
            if (system != null && !system.isBlank()) messages.add(ChatMessage.system(system));
            messages.addAll(history);
            messages.add(ChatMessage.user(text));
            int[] all = raw ? m.tokenizer().encodeWithBos(text, false)
                    : m.chat().render(messages, List.of(), thinking).tokenize(m.tokenizer());
            // reuse the cache when the new prompt extends what it holds; otherwise start over
            int common = 0;
            while (common < inCache.length && common < all.length && inCache[common] == all[common]) common++;
            if (common < inCache.length || common == all.length) {
                clear();
                common = 0;
            }
            int[] fresh = Arrays.copyOfRange(all, common, all.length);
            OutputParser parser = m.chat().outputParser(messages, thinking);
            Generator.Options opts = new Generator.Options(gen.sampling(m.defaults()), gen.numPredict != null ? gen.numPredict : m.defaults().numPredict(),
                    m.defaults().stop(), m.chat().endOfGenerationIds(m.tokenizer()));
            cancel.set(false);
            generating = true;
            Generator.Result r;
            boolean[] inThinking = {false};
            try {
                r = new Generator(m.tokenizer()).generate(session, fresh, opts, piece -> {
                    if (raw) { out.print(piece); out.flush(); return; }
                    ParsedOutput p = parser.add(piece);
                    if (!p.thinking().isEmpty() && !hideThinking) {
                        if (!inThinking[0]) { out.print("Thinking...\n"); inThinking[0] = true; }
                        out.print(p.thinking());
                    }
                    if (!p.content().isEmpty()) {
                        if (inThinking[0]) { out.print("\n...done thinking.\n\n"); inThinking[0] = false; }
                        out.print(p.content());
                    }
                    out.flush();
                }, cancel::get);
            } finally {
                generating = false;
            }
            if (!raw) {
                ParsedOutput tail = parser.finish();
                if (!tail.content().isEmpty()) out.print(tail.content());
            }
            out.println();
            out.flush();
            if (r.doneReason() == Generator.DoneReason.CANCELLED) err.println("(stopped)");
            int[] now = Arrays.copyOf(all, all.length + r.tokens().length);
            System.arraycopy(r.tokens(), 0, now, all.length, r.tokens().length);
            inCache = now;
            history.add(ChatMessage.user(text));
            history.add(ChatMessage.assistant(r.text()));
            if (parent != null && parent.verbose) stats(r);
        }

        void stats(Generator.Result r) {
            err.printf("total duration:       %.3fs%n", (loadNanos + r.promptNanos() + r.evalNanos()) / 1e9);
            err.printf("load duration:        %.3fs%n", loadNanos / 1e9);
            err.printf("prompt eval count:    %d token(s)%n", r.promptTokens());
            err.printf("prompt eval duration: %.3fs%n", r.promptNanos() / 1e9);
            err.printf("prompt eval rate:     %.2f tokens/s%n", r.promptTokensPerSecond());
            err.printf("eval count:           %d token(s)%n", r.evalTokens());
            err.printf("eval duration:        %.3fs%n", r.evalNanos() / 1e9);
            err.printf("eval rate:            %.2f tokens/s%n", r.evalTokensPerSecond());
            err.flush();
        }
    }
}
