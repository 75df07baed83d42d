package dev.rullama.cli.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rullama.gemma.chat.ChatJson;
import dev.rullama.gemma.chat.ChatMessage;
import dev.rullama.gemma.chat.OutputParser;
import dev.rullama.gemma.chat.ParsedOutput;
import dev.rullama.gemma.chat.ToolCall;
import dev.rullama.gemma.chat.ToolDefinition;
import dev.rullama.gemma.runtime.Generator;
import dev.rullama.ollama.ModelEntry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The OpenAI-compatible endpoints Ollama offers: {@code POST /v1/chat/completions} (one {@code chat.completion}, or
 * SSE {@code chat.completion.chunk} events ending with {@code data: [DONE]}) and {@code GET /v1/models}. Errors use
 * OpenAI's shape, {@code {"error": {"message", "type", "param", "code"}}}.
 */
final class OpenAiApi {
    private final ModelManager manager;

    OpenAiApi(ModelManager manager) {
        this.manager = manager;
    }

    /** OpenAI's error body. */
    static Map<String, Object> error(int status, String message) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("message", message);
        e.put("type", status >= 500 ? "api_error" : "invalid_request_error");
        e.put("param", null);
        e.put("code", null);
        return Map.of("error", e);
    }

    void chatCompletions(Exchange ex) throws Exception {
        long created = System.currentTimeMillis() / 1000;
        JsonNode req = ex.readObject();
        Requests.Model model = Requests.model(req, manager.source());
        boolean stream = Requests.bool(req, "stream", false);
        boolean usageInStream = req.path("stream_options").path("include_usage").asBoolean(false);
        RequestOptions options = new RequestOptions();
        for (String k : List.of("temperature", "top_p", "seed", "stop", "frequency_penalty", "presence_penalty")) options.set(k, req.get(k));
        JsonNode max = req.hasNonNull("max_completion_tokens") ? req.get("max_completion_tokens") : req.get("max_tokens");
        options.set("num_predict", max);
        String format = req.path("response_format").path("type").asText("text");
        boolean json = switch (format) {
            case "text" -> false;
            case "json_object", "json_schema" -> true;
            default -> throw ApiException.badRequest("response_format.type must be text, json_object or json_schema, not " + format);
        };
        List<ChatMessage> messages;
        List<ToolDefinition> tools;
        try {
            messages = ChatJson.messages(flattenContent(req.get("messages")));
            tools = ChatJson.tools(req.get("tools"));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        if (messages.isEmpty()) throw ApiException.badRequest("messages must not be empty");
        String id = "chatcmpl-" + (100 + ThreadLocalRandom.current().nextInt(900));
        try (AutoCloseable slot = manager.admit(); ModelManager.Use use = manager.use(model.key(), model.loadName())) {
            ModelSource.LoadedModel m = use.model();
            RequestOptions.Resolved o = options.resolve(m.defaults(), m.maxContext(), m.maxContext());
            if (!tools.isEmpty() && !m.chat().supportsTools()) throw ApiException.badRequest("\"" + model.requested() + "\" does not support tools");
            OutputParser parser = m.chat().outputParser(messages, false);
            Generation.Prompt prompt = Generation.prompt(m, new Generation.Chat(messages, tools, false), o, true);
            Generation g = Generation.start(use, prompt.tokens(), o, json);
            if (!stream) {
                Generation.Collector all = new Generation.Collector();
                Generation.Outcome out = g.drive(parser, all);
                all.piece(out.tail());
                Map<String, Object> msg = message(all.content.toString(), all.toolCalls);
                Map<String, Object> choice = new LinkedHashMap<>();
                choice.put("index", 0);
                choice.put("message", msg);
                choice.put("finish_reason", finishReason(out.result(), !all.toolCalls.isEmpty()));
                Map<String, Object> body = envelope(id, "chat.completion", created, model.requested());
                body.put("choices", List.of(choice));
                body.put("usage", usage(out.result()));
                ex.send(200, body);
                return;
            }
            ex.startStream("text/event-stream");
            boolean[] calls = {false};
            try {
                Generation.Outcome out = g.drive(parser, p -> {
                    calls[0] |= !p.toolCalls().isEmpty();
                    event(ex, chunk(id, created, model.requested(), p, null));
                });
                if (!out.tail().isEmpty()) event(ex, chunk(id, created, model.requested(), out.tail(), null));
                calls[0] |= !out.tail().toolCalls().isEmpty();
                event(ex, chunk(id, created, model.requested(), ParsedOutput.EMPTY, finishReason(out.result(), calls[0])));
                if (usageInStream) {
                    Map<String, Object> u = envelope(id, "chat.completion.chunk", created, model.requested());
                    u.put("choices", List.of());
                    u.put("usage", usage(out.result()));
                    event(ex, u);
                }
                ex.write("data: [DONE]\n\n");
            } catch (Exchange.ClientGone gone) {
                // the client left: the generation is cancelled
            } catch (ApiException e) {
                ex.write("data: " + ex.json().writeValueAsString(error(e.status(), e.getMessage())) + "\n\n");
            }
            ex.endStream();
        }
    }

    /** OpenAI content may be an array of parts: the text parts are joined; other parts are refused. */
    private static JsonNode flattenContent(JsonNode messages) {
        if (messages == null || !messages.isArray()) throw ApiException.badRequest("messages must be a JSON array");
        ArrayNode out = messages.deepCopy();
        for (JsonNode m : out) {
            JsonNode c = m.get("content");
            if (c == null || !c.isArray()) continue;
            StringBuilder text = new StringBuilder();
            for (JsonNode part : c) {
                String type = part.path("type").asText("");
                if (!type.equals("text")) throw ApiException.badRequest("content part type '" + type + "' is not supported (rullama runs text only)");
                text.append(part.path("text").asText(""));
            }
            ((ObjectNode) m).put("content", text.toString());
        }
        return out;
    }

    private static void event(Exchange ex, Object value) throws java.io.IOException {
        ex.write("data: " + ex.json().writeValueAsString(value) + "\n\n");
    }

    private static Map<String, Object> envelope(String id, String object, long created, String model) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("id", id);
        b.put("object", object);
        b.put("created", created);
        b.put("model", model);
        b.put("system_fingerprint", "fp_ollama");
        return b;
    }

    private static Map<String, Object> chunk(String id, long created, String model, ParsedOutput p, String finish) {
        Map<String, Object> delta = message(p.content(), p.toolCalls());
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        choice.put("delta", delta);
        choice.put("finish_reason", finish);
        Map<String, Object> b = envelope(id, "chat.completion.chunk", created, model);
        b.put("choices", List.of(choice));
        return b;
    }

    private static Map<String, Object> message(String content, List<ToolCall> calls) {
        Map<String, Object> msg = new LinkedHashMap<>();
        msg.put("role", "assistant");
        msg.put("content", content);
        if (!calls.isEmpty()) {
            List<Map<String, Object>> out = new ArrayList<>();
            for (int i = 0; i < calls.size(); i++) {
                ToolCall c = calls.get(i);
                Map<String, Object> fn = new LinkedHashMap<>();
                fn.put("name", c.name());
                try {
                    fn.put("arguments", new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(c.arguments()));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalStateException(e);
                }
                Map<String, Object> call = new LinkedHashMap<>();
                call.put("id", c.id() != null ? c.id() : "call_" + Integer.toHexString(ThreadLocalRandom.current().nextInt()));
                call.put("index", i);
                call.put("type", "function");
                call.put("function", fn);
                out.add(call);
            }
            msg.put("tool_calls", out);
        }
        return msg;
    }

    private static String finishReason(Generator.Result r, boolean toolCalls) {
        if (toolCalls) return "tool_calls";
        return r.doneReason() == Generator.DoneReason.LENGTH ? "length" : "stop";
    }

    private static Map<String, Object> usage(Generator.Result r) {
        Map<String, Object> u = new LinkedHashMap<>();
        u.put("prompt_tokens", r.promptTokens());
        u.put("completion_tokens", r.evalTokens());
        u.put("total_tokens", r.promptTokens() + r.evalTokens());
        return u;
    }

    void models(Exchange ex) throws Exception {
        List<Map<String, Object>> data = new ArrayList<>();
        for (ModelEntry e : Requests.distinctModels(manager.source())) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", e.displayName());
            m.put("object", "model");
            m.put("created", e.modified().getEpochSecond());
            m.put("owned_by", e.name().namespace());
            data.add(m);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("object", "list");
        body.put("data", data);
        ex.send(200, body);
    }
}
