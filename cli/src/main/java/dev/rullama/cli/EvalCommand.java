package dev.rullama.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.api.Backends;
import dev.rullama.gemma.runtime.InferenceSession;
import dev.rullama.gemma.sampling.Sampler;
import jakarta.inject.Inject;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code rullama eval}: the logits an engine computes, for comparing rullama with any other implementation (our own
 * tests do): for every position the top-K next-token ids with their final logits, and a greedy continuation.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Run a token sequence through the model and print, for every position, the K most likely next tokens with their",
                "final logits (after softcap), plus the greedy continuation of N tokens. --json prints the shape documented in README.md."})
final class EvalCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "A model name, or a path to a .gguf file.")
    String name;

    static final class Input {
        @Option(names = "--tokens", split = ",", paramLabel = "ID", description = "Token ids, comma-separated (include the BOS, id 2, yourself).")
        int[] tokens;

        @Option(names = "--text", paramLabel = "TEXT", description = "Text, tokenized with one BOS; special tokens such as <start_of_turn> are parsed.")
        String text;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(names = "--top-k", paramLabel = "K", description = "How many candidates per position (default 5).")
    int topK = 5;

    @Option(names = "--generate", paramLabel = "N", description = "Greedy continuation length (default 0).")
    int generate;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Mixin
    EngineOptions engine;

    @Spec
    CommandSpec spec;

    private final Backends backends;
    private final ObjectMapper mapper;

    @Inject
    EvalCommand(Backends backends, ObjectMapper mapper) {
        this.backends = backends;
        this.mapper = mapper;
    }

    @Override
    public Integer call() throws Exception {
        if (topK < 1) throw new IllegalArgumentException("--top-k must be at least 1");
        if (generate < 0) throw new IllegalArgumentException("--generate must not be negative");
        PrintWriter out = spec.commandLine().getOut();
        try (ModelLoader.Loaded m = ModelLoader.load(engine, name, backends)) {
            int[] tokens = input.tokens != null ? input.tokens : m.tokenizer().encodeWithBos(input.text, true);
            int vocab = m.config().vocabSize();
            for (int t : tokens)
                if (t < 0 || t >= vocab) throw new IllegalArgumentException("token id " + t + " is outside the vocabulary (0.." + (vocab - 1) + ")");
            if (tokens.length == 0) throw new IllegalArgumentException("no tokens to evaluate");
            int ctx = tokens.length + generate;
            try (InferenceSession s = m.model().newSession(ctx)) {
                float[][] logits = s.forwardAll(tokens);
                List<Map<String, Object>> positions = new ArrayList<>();
                for (int i = 0; i < tokens.length; i++) {
                    Map<String, Object> p = new LinkedHashMap<>();
                    p.put("position", i);
                    p.put("token", tokens[i]);
                    p.put("top", top(logits[i], topK));
                    positions.add(p);
                }
                List<Integer> continuation = new ArrayList<>();
                float[] last = logits[tokens.length - 1];
                for (int g = 0; g < generate; g++) {
                    int next = Sampler.argmax(last);
                    continuation.add(next);
                    if (g + 1 < generate) last = s.decode(next);
                }
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("model", m.name());
                result.put("engine", m.model().engine());
                result.put("tokens", tokens);
                result.put("positions", positions);
                result.put("generated", continuation);
                result.put("generated_text", m.tokenizer().decode(continuation.stream().mapToInt(Integer::intValue).toArray()));
                if (json) out.println(mapper.writeValueAsString(result));
                else print(out, m, tokens, positions, continuation);
            }
        }
        out.flush();
        return 0;
    }

    static List<Map<String, Object>> top(float[] logits, int k) {
        Integer[] idx = new Integer[logits.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        // partial selection is plenty: k is small
        List<Map<String, Object>> out = new ArrayList<>();
        boolean[] taken = new boolean[logits.length];
        for (int j = 0; j < Math.min(k, logits.length); j++) {
            int best = -1;
            for (int i = 0; i < logits.length; i++) if (!taken[i] && (best < 0 || logits[i] > logits[best])) best = i;
            taken[best] = true;
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("id", best);
            e.put("logit", logits[best]);
            out.add(e);
        }
        return out;
    }

    private static void print(PrintWriter out, ModelLoader.Loaded m, int[] tokens, List<Map<String, Object>> positions, List<Integer> cont) {
        out.printf("%s on %s: %d tokens%n", m.name(), m.model().engine(), tokens.length);
        for (Map<String, Object> p : positions) {
            int t = (int) p.get("token");
            StringBuilder sb = new StringBuilder();
            @SuppressWarnings("unchecked") List<Map<String, Object>> top = (List<Map<String, Object>>) p.get("top");
            for (Map<String, Object> e : top)
                sb.append(String.format("  %d %s %.3f", (int) e.get("id"), quoted(m, (int) e.get("id")), (float) e.get("logit")));
            out.printf("%4d %7d %-14s ->%s%n", (int) p.get("position"), t, quoted(m, t), sb);
        }
        if (!cont.isEmpty())
            out.println("greedy: " + cont + " " + quoted(m, cont.stream().mapToInt(Integer::intValue).toArray()));
    }

    private static String quoted(ModelLoader.Loaded m, int... ids) {
        String s = m.tokenizer().decode(ids);
        return "'" + s.replace("\n", "\\n") + "'";
    }
}
