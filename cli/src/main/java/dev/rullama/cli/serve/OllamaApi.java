package dev.rullama.cli.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rullama.gemma.chat.ChatFormat;
import dev.rullama.gemma.chat.ChatJson;
import dev.rullama.gemma.chat.ChatMessage;
import dev.rullama.gemma.chat.OutputParser;
import dev.rullama.gemma.chat.ParsedOutput;
import dev.rullama.gemma.chat.ToolCall;
import dev.rullama.gemma.chat.ToolDefinition;
import dev.rullama.gemma.runtime.Generator;
import dev.rullama.gemma.tokenizer.PromptSegment;
import dev.rullama.gguf.GgufArray;
import dev.rullama.gguf.GgufFile;
import dev.rullama.gguf.GgufSummary;
import dev.rullama.gguf.GgufValue;
import dev.rullama.ollama.ModelConfig;
import dev.rullama.ollama.ModelEntry;
import dev.rullama.ollama.ModelShow;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Ollama's native API: {@code /api/generate}, {@code /api/chat}, {@code /api/tags}, {@code /api/show},
 * {@code /api/ps}, {@code /api/version}, in Ollama's request and response shapes (docs/api.md): NDJSON streams by
 * default, one object with {@code "stream": false}, durations in nanoseconds, {@code done_reason}, token counts.
 */
final class OllamaApi {
    /** The Ollama API version reported by {@code /api/version}: the release whose API this server follows. */
    static final String API_VERSION = "0.12.0";

    private final ModelManager manager;

    OllamaApi(ModelManager manager) {
        this.manager = manager;
    }

    private ModelSource source() { return manager.source(); }

    // ---- /api/generate and /api/chat -------------------------------------------------------------------------------

    void generate(Exchange ex) throws Exception {
        long start = System.nanoTime();
        JsonNode req = ex.readObject();
        Requests.Model model = Requests.model(req, source());
        String prompt = Requests.string(req, "prompt", "");
        String system = Requests.string(req, "system", null);
        String template = Requests.string(req, "template", null);
        boolean raw = Requests.bool(req, "raw", false);
        boolean stream = Requests.bool(req, "stream", true);
        boolean truncate = Requests.bool(req, "truncate", true);
        boolean json = Requests.jsonFormat(req.get("format"));
        Duration keepAlive = req.hasNonNull("keep_alive") ? Durations.keepAlive(req.get("keep_alive")) : null;
        RequestOptions options = RequestOptions.fromOllama(req.get("options"));
        if (!Requests.string(req, "suffix", "").isEmpty()) throw ApiException.badRequest("\"" + model.requested() + "\" does not support insert (suffix)");
        if (req.has("images") && req.get("images").size() > 0) throw ApiException.badRequest("\"" + model.requested() + "\" does not support images (rullama runs text only)");
        boolean empty = prompt.isEmpty() && (system == null || system.isEmpty()) && (template == null || template.isEmpty());
        if (empty && Duration.ZERO.equals(keepAlive)) {
            manager.unload(model.key());
            ex.send(200, finalOnly(model.requested(), "response", "", "unload"));
            return;
        }
        try (AutoCloseable slot = manager.admit(); ModelManager.Use use = manager.use(model.key(), model.loadName())) {
            use.keepAlive(keepAlive);
            ModelSource.LoadedModel m = use.model();
            if (empty) {
                ex.send(200, finalOnly(model.requested(), "response", "", "load"));
                return;
            }
            RequestOptions.Resolved o = options.resolve(m.defaults(), m.maxContext(), m.maxContext());
            boolean think = Requests.think(req.get("think"), m, model.requested());
            List<ChatMessage> messages = new ArrayList<>();
            if (system != null && !system.isEmpty()) messages.add(ChatMessage.system(system));
            messages.add(ChatMessage.user(prompt));
            Generation.PromptSpec spec;
            if (raw) spec = new Generation.Segments(List.of(PromptSegment.template(prompt)));
            else if (template != null && !template.isEmpty()) spec = new Generation.Segments(SimpleTemplate.render(template, system == null ? "" : system, prompt));
            else spec = new Generation.Chat(messages, List.of(), think);
            OutputParser parser = raw ? new OutputParser.Plain() : m.chat().outputParser(messages, think);
            run(ex, use, spec, o, truncate, json, stream, parser, start, model.requested(), false);
        }
    }

    void chat(Exchange ex) throws Exception {
        long start = System.nanoTime();
        JsonNode req = ex.readObject();
        Requests.Model model = Requests.model(req, source());
        boolean stream = Requests.bool(req, "stream", true);
        boolean truncate = Requests.bool(req, "truncate", true);
        boolean json = Requests.jsonFormat(req.get("format"));
        Duration keepAlive = req.hasNonNull("keep_alive") ? Durations.keepAlive(req.get("keep_alive")) : null;
        RequestOptions options = RequestOptions.fromOllama(req.get("options"));
        List<ChatMessage> messages;
        List<ToolDefinition> tools;
        try {
            messages = req.hasNonNull("messages") ? ChatJson.messages(req.get("messages")) : List.of();
            tools = ChatJson.tools(req.get("tools"));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        for (JsonNode msg : req.path("messages"))
            if (msg.has("images") && msg.get("images").size() > 0) throw ApiException.badRequest("\"" + model.requested() + "\" does not support images (rullama runs text only)");
        if (messages.isEmpty() && Duration.ZERO.equals(keepAlive)) {
            manager.unload(model.key());
            ex.send(200, finalOnly(model.requested(), "message", assistant("", "", List.of()), "unload"));
            return;
        }
        try (AutoCloseable slot = manager.admit(); ModelManager.Use use = manager.use(model.key(), model.loadName())) {
            use.keepAlive(keepAlive);
            ModelSource.LoadedModel m = use.model();
            if (messages.isEmpty()) {
                ex.send(200, finalOnly(model.requested(), "message", assistant("", "", List.of()), "load"));
                return;
            }
            RequestOptions.Resolved o = options.resolve(m.defaults(), m.maxContext(), m.maxContext());
            boolean think = Requests.think(req.get("think"), m, model.requested());
            if (!tools.isEmpty() && !m.chat().supportsTools()) throw ApiException.badRequest("\"" + model.requested() + "\" does not support tools");
            OutputParser parser = m.chat().outputParser(messages, think);
            run(ex, use, new Generation.Chat(messages, tools, think), o, truncate, json, stream, parser, start, model.requested(), true);
        }
    }

    /** Runs a generation and answers in Ollama's shape: NDJSON chunks then a final object, or one object. */
    private void run(Exchange ex, ModelManager.Use use, Generation.PromptSpec spec, RequestOptions.Resolved o, boolean truncate,
                     boolean json, boolean stream, OutputParser parser, long start, String name, boolean chat) throws Exception {
        Generation.Prompt prompt = Generation.prompt(use.model(), spec, o, truncate);
        Generation g = Generation.start(use, prompt.tokens(), o, json);
        String field = chat ? "message" : "response";
        if (!stream) {
            Generation.Collector all = new Generation.Collector();
            Generation.Outcome out = g.drive(parser, all);
            all.piece(out.tail());
            Object body = chat ? assistant(all.content.toString(), all.thinking.toString(), all.toolCalls) : all.content.toString();
            Map<String, Object> last = done(name, field, body, out.result(), use.loadNanos(), start);
            if (!chat && !all.thinking.isEmpty()) last.put("thinking", all.thinking.toString());
            ex.send(200, last);
            return;
        }
        ex.startStream("application/x-ndjson");
        try {
            Generation.Outcome out = g.drive(parser, p -> ex.writeLine(chunk(name, chat, p)));
            if (!out.tail().isEmpty()) ex.writeLine(chunk(name, chat, out.tail()));
            ex.writeLine(done(name, field, chat ? assistant("", "", List.of()) : "", out.result(), use.loadNanos(), start));
        } catch (Exchange.ClientGone gone) {
            // the client left: the generation is cancelled; nobody to answer
        } catch (ApiException e) {
            ex.write(ex.json().writeValueAsString(Map.of("error", e.getMessage())) + "\n");
        }
        ex.endStream();
    }

    private static Map<String, Object> chunk(String name, boolean chat, ParsedOutput p) {
        Map<String, Object> c = head(name);
        if (chat) {
            c.put("message", assistant(p.content(), p.thinking(), p.toolCalls()));
        } else {
            c.put("response", p.content());
            if (!p.thinking().isEmpty()) c.put("thinking", p.thinking());
        }
        c.put("done", false);
        return c;
    }

    private static Map<String, Object> head(String name) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model", name);
        c.put("created_at", Instant.now().toString());
        return c;
    }

    static Map<String, Object> assistant(String content, String thinking, List<ToolCall> calls) {
        Map<String, Object> msg = new LinkedHashMap<>();
        msg.put("role", "assistant");
        msg.put("content", content);
        if (!thinking.isEmpty()) msg.put("thinking", thinking);
        if (!calls.isEmpty()) msg.put("tool_calls", toolCalls(calls));
        return msg;
    }

    static List<Map<String, Object>> toolCalls(List<ToolCall> calls) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            ToolCall c = calls.get(i);
            Map<String, Object> fn = new LinkedHashMap<>();
            fn.put("index", i);
            fn.put("name", c.name());
            fn.put("arguments", c.arguments());
            out.add(Map.of("function", fn));
        }
        return out;
    }

    private static Map<String, Object> done(String name, String field, Object body, Generator.Result r, long loadNanos, long start) {
        Map<String, Object> c = head(name);
        c.put(field, body);
        c.put("done", true);
        c.put("done_reason", r.doneReason() == Generator.DoneReason.CANCELLED ? "stop" : r.doneReason().ollama());
        c.put("total_duration", System.nanoTime() - start);
        c.put("load_duration", loadNanos);
        c.put("prompt_eval_count", r.promptTokens());
        c.put("prompt_eval_duration", r.promptNanos());
        c.put("eval_count", r.evalTokens());
        c.put("eval_duration", r.evalNanos());
        return c;
    }

    private static Map<String, Object> finalOnly(String name, String field, Object body, String reason) {
        Map<String, Object> c = head(name);
        c.put(field, body);
        c.put("done", true);
        c.put("done_reason", reason);
        return c;
    }

    // ---- model information ---------------------------------------------------------------------------------------

    void tags(Exchange ex) throws Exception {
        List<Map<String, Object>> models = new ArrayList<>();
        for (ModelEntry e : Requests.distinctModels(source())) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", e.displayName());
            m.put("model", e.displayName());
            m.put("modified_at", e.modified().toString());
            m.put("size", e.size());
            m.put("digest", e.digest().substring("sha256:".length()));
            m.put("details", details(e.name().toString(), null));
            models.add(m);
        }
        ex.send(200, Map.of("models", models));
    }

    /** Ollama's {@code details}: from the config blob, completed from the GGUF summary when given. */
    private Map<String, Object> details(String name, GgufSummary summary) {
        ModelConfig c;
        try {
            c = source().config(name);
        } catch (Exception e) {
            c = null;
        }
        Map<String, Object> d = new LinkedHashMap<>();
        String family = c != null && c.modelFamily().isPresent() ? c.modelFamily().get()
                : summary != null ? summary.architecture().orElse("") : "";
        d.put("parent_model", "");
        d.put("format", c != null ? c.modelFormat().orElse("gguf") : "gguf");
        d.put("family", family);
        d.put("families", c != null && !c.modelFamilies().isEmpty() ? c.modelFamilies() : family.isEmpty() ? null : List.of(family));
        d.put("parameter_size", c != null && c.modelType().isPresent() ? c.modelType().get()
                : summary != null ? GgufSummary.formatCount(summary.parameterCount()) : "");
        d.put("quantization_level", c != null && c.fileType().isPresent() ? c.fileType().get()
                : summary != null ? summary.fileType().orElse("") : "");
        return d;
    }

    void show(Exchange ex) throws Exception {
        JsonNode req = ex.readObject();
        Requests.Model model = Requests.model(req, source());
        boolean verbose = Requests.bool(req, "verbose", false);
        ModelShow s = source().show(model.loadName());
        Map<String, Object> out = new LinkedHashMap<>();
        if (!s.licenses().isEmpty()) out.put("license", String.join("\n\n", s.licenses()));
        out.put("modelfile", modelfile(s));
        out.put("parameters", parameters(s.params()));
        out.put("template", s.template().orElse(""));
        s.system().ifPresent(v -> out.put("system", v));
        out.put("details", details(model.loadName(), s.model().orElse(null)));
        Map<String, Object> info = new LinkedHashMap<>();
        String arch = "";
        if (s.model().isPresent()) {
            try (GgufFile f = source().openGguf(model.loadName())) {
                for (GgufValue v : f.metadata().values()) info.put(v.key(), value(v, verbose));
                arch = f.metadata().findString("general.architecture").orElse("");
            }
        }
        out.put("model_info", info);
        out.put("capabilities", capabilities(arch));
        out.put("modified_at", s.entry().modified().toString());
        ex.send(200, out);
    }

    private static String modelfile(ModelShow s) {
        StringBuilder b = new StringBuilder("# Modelfile generated by rullama\n");
        b.append("FROM ").append(s.entry().displayName()).append('\n');
        s.template().ifPresent(t -> b.append("TEMPLATE \"\"\"").append(t).append("\"\"\"\n"));
        s.system().ifPresent(t -> b.append("SYSTEM \"\"\"").append(t).append("\"\"\"\n"));
        for (String line : parameters(s.params()).lines().toList()) b.append("PARAMETER ").append(line).append('\n');
        return b.toString();
    }

    /** The params layer as Ollama prints it: one {@code name value} per line, a list as one line per element. */
    private static String parameters(Map<String, Object> params) {
        StringBuilder b = new StringBuilder();
        params.forEach((k, v) -> {
            List<?> values = v instanceof List<?> l ? l : List.of(v);
            for (Object e : values) {
                String text = e instanceof String str ? "\"" + str + "\"" : String.valueOf(e);
                b.append(String.format("%-30s %s%n", k, text));
            }
        });
        return b.toString();
    }

    /** A metadata value as JSON: scalars as they are; arrays in full only when short or with {@code verbose}. */
    private static Object value(GgufValue v, boolean verbose) throws Exception {
        if (v.isString()) return v.asString();
        if (v.isBool()) return v.asBoolean();
        if (v.isInteger()) return v.asLong();
        if (v.isFloat()) return v.asDouble();
        GgufArray a = v.asArray();
        if (a.size() > 64 && !verbose) return null;
        List<Object> out = new ArrayList<>();
        for (long i = 0; i < a.size(); i++) {
            out.add(switch (a.elementType()) {
                case STRING -> a.getString(i);
                case BOOL -> a.getBoolean(i);
                case FLOAT32, FLOAT64 -> a.getDouble(i);
                case ARRAY -> null;
                default -> a.getLong(i);
            });
        }
        return out;
    }

    private static List<String> capabilities(String arch) {
        List<String> caps = new ArrayList<>(List.of("completion"));
        try {
            ChatFormat f = ChatFormat.forArchitecture(arch);
            if (f.supportsTools()) caps.add("tools");
            if (f.supportsThinking()) caps.add("thinking");
        } catch (IllegalArgumentException unknown) {
            // no chat format for it: completion only
        }
        return caps;
    }

    void ps(Exchange ex) throws Exception {
        List<Map<String, Object>> models = new ArrayList<>();
        for (ModelManager.Running r : manager.running()) {
            ModelEntry e = source().find(r.name()).orElse(null);
            Map<String, Object> m = new LinkedHashMap<>();
            String shown = e != null ? e.displayName() : r.name();
            m.put("name", shown);
            m.put("model", shown);
            m.put("size", e != null ? e.size() : 0);
            m.put("digest", e != null ? e.digest().substring("sha256:".length()) : "");
            m.put("details", details(r.name(), null));
            m.put("expires_at", r.expiresAt().toString());
            m.put("size_vram", r.model().model().engine().startsWith("cpu") || e == null ? 0 : e.size());
            m.put("context_length", r.model().maxContext());
            m.put("engine", r.model().model().engine());
            models.add(m);
        }
        ex.send(200, Map.of("models", models));
    }

    void version(Exchange ex) throws IOException {
        ex.send(200, Map.of("version", API_VERSION));
    }
}
