package dev.rullama.gemma.chat;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Gemma 4's tool syntax (spec ollama-gguf §6), written the way Ollama's {@code gemma4} renderer writes it: keys sorted,
 * types uppercased, strings between {@code <|"|>} delimiters, other values bare. Structure goes to template segments;
 * every string the caller supplied (names, descriptions, values) goes to content segments.
 */
final class Gemma4Syntax {
    static final String Q = "<|\"|>";

    private Gemma4Syntax() {}

    // ---- declarations ---------------------------------------------------------------------------------------------

    /** {@code <|tool>declaration:NAME{description:…,parameters:{properties:{…},required:[…],type:…}}<tool|>}. */
    static void declaration(ToolDefinition tool, RenderedPrompt.Builder b) {
        b.template("<|tool>declaration:").content(tool.name()).template("{description:" + Q).content(tool.description()).template(Q);
        Map<String, Object> params = tool.parameters();
        Object props = params.get("properties");
        String type = params.get("type") instanceof String s ? s : "";
        if (props != null || !type.isEmpty()) {
            b.template(",parameters:{");
            boolean comma = false;
            if (props instanceof Map<?, ?> m && !m.isEmpty()) {
                b.template("properties:{");
                schemaProperties(typedProperties(m), b);
                b.template("}");
                comma = true;
            }
            List<String> required = strings(params.get("required"));
            if (!required.isEmpty()) {
                if (comma) b.template(",");
                quotedList(required, b);
                comma = true;
            }
            if (!type.isEmpty()) {
                if (comma) b.template(",");
                b.template("type:" + Q).content(type.toUpperCase(Locale.ROOT)).template(Q);
            }
            b.template("}");
        }
        b.template("}<tool|>");
    }

    /**
     * Top-level properties as Ollama's typed {@code ToolProperty} sees them: only type (a union becomes the string
     * {@code ['A', 'B']}, as upstream's template stringifies it), description, enum, items, nested properties
     * (typed again) and required survive.
     */
    private static Map<String, Object> typedProperties(Map<?, ?> props) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : props.entrySet()) {
            if (!(e.getValue() instanceof Map<?, ?> p)) continue;
            Map<String, Object> t = new LinkedHashMap<>();
            List<String> types = p.get("type") instanceof String s ? List.of(s) : strings(p.get("type"));
            if (types.isEmpty()) types = anyOfTypes(p.get("anyOf"));
            if (types.size() == 1) t.put("type", types.getFirst());
            else if (types.size() > 1) {
                List<String> quoted = new ArrayList<>();
                for (String ty : types) quoted.add("'" + ty.toUpperCase(Locale.ROOT) + "'");
                t.put("type", "[" + String.join(", ", quoted) + "]");
            }
            if (p.get("description") instanceof String d && !d.isEmpty()) t.put("description", d);
            if (p.get("enum") instanceof List<?> en && !en.isEmpty()) t.put("enum", en);
            if (p.get("items") != null) t.put("items", p.get("items"));
            if (p.get("properties") instanceof Map<?, ?> nested) t.put("properties", typedProperties(nested));
            if (!strings(p.get("required")).isEmpty()) t.put("required", p.get("required"));
            out.put(String.valueOf(e.getKey()), t);
        }
        return out;
    }

    /** A union of bare {@code {type: …}} branches, deduplicated; empty when any branch is more than a type. */
    private static List<String> anyOfTypes(Object anyOf) {
        if (!(anyOf instanceof List<?> branches) || branches.isEmpty()) return List.of();
        List<String> out = new ArrayList<>();
        for (Object br : branches) {
            if (!(br instanceof Map<?, ?> m) || m.size() != 1 || !m.containsKey("type")) return List.of();
            List<String> ts = m.get("type") instanceof String s ? List.of(s) : strings(m.get("type"));
            if (ts.isEmpty()) return List.of();
            for (String t : ts) if (!out.contains(t)) out.add(t);
        }
        return out;
    }

    private static void schemaProperties(Map<?, ?> props, RenderedPrompt.Builder b) {
        boolean first = true;
        for (Map.Entry<String, Object> e : sorted(props).entrySet()) {
            if (!(e.getValue() instanceof Map<?, ?> prop)) continue;
            if (!first) b.template(",");
            first = false;
            b.content(e.getKey()).template(":{");
            boolean comma = false;
            if (prop.get("description") instanceof String d && !d.isEmpty()) {
                b.template("description:" + Q).content(d).template(Q);
                comma = true;
            }
            List<String> typeNames = typeNames(prop.get("type"));
            String typeName = typeNames.isEmpty() ? "" : typeNames.getFirst();
            switch (typeName) {
                case "STRING" -> {
                    if (prop.get("enum") instanceof List<?> values && !values.isEmpty()) {
                        if (comma) b.template(",");
                        comma = true;
                        b.template("enum:[");
                        for (int i = 0; i < values.size(); i++) {
                            if (i > 0) b.template(",");
                            b.template(Q).content(plain(values.get(i))).template(Q);
                        }
                        b.template("]");
                    }
                }
                case "ARRAY" -> {
                    if (prop.get("items") instanceof Map<?, ?> items && !items.isEmpty()) {
                        if (comma) b.template(",");
                        comma = true;
                        b.template("items:{");
                        itemsSpec(items, b);
                        b.template("}");
                    }
                }
                default -> { }
            }
            if (Boolean.TRUE.equals(prop.get("nullable"))) {
                if (comma) b.template(",");
                comma = true;
                b.template("nullable:true");
            }
            if (typeName.equals("OBJECT")) {
                if (comma) b.template(",");
                comma = true;
                b.template("properties:{");
                if (prop.get("properties") instanceof Map<?, ?> nested) {
                    schemaProperties(nested, b);
                } else {
                    Map<String, Object> filtered = new LinkedHashMap<>();
                    for (Map.Entry<?, ?> x : prop.entrySet()) {
                        String k = String.valueOf(x.getKey());
                        if (!List.of("description", "type", "properties", "required", "nullable").contains(k)) filtered.put(k, x.getValue());
                    }
                    schemaProperties(filtered, b);
                }
                b.template("}");
                List<String> required = strings(prop.get("required"));
                if (!required.isEmpty()) {
                    b.template(",");
                    quotedList(required, b);
                }
            }
            if (!typeNames.isEmpty()) {
                if (comma) b.template(",");
                typeValue(typeNames, b);
            }
            b.template("}");
        }
    }

    private static void itemsSpec(Map<?, ?> items, RenderedPrompt.Builder b) {
        boolean first = true;
        for (Map.Entry<String, Object> e : sorted(items).entrySet()) {
            Object value = e.getValue();
            if (value == null) continue;
            if (!first) b.template(",");
            first = false;
            switch (e.getKey()) {
                case "properties" -> {
                    b.template("properties:{");
                    if (value instanceof Map<?, ?> m) schemaProperties(m, b);
                    b.template("}");
                }
                case "required" -> quotedList(strings(value), b);
                case "type" -> {
                    List<String> names = typeNames(value);
                    if (!names.isEmpty()) typeValue(names, b);
                }
                default -> {
                    b.content(e.getKey()).template(":");
                    schemaValue(value, b);
                }
            }
        }
    }

    private static void typeValue(List<String> names, RenderedPrompt.Builder b) {
        if (names.size() == 1) {
            b.template("type:" + Q).content(names.getFirst()).template(Q);
            return;
        }
        b.template("type:[");
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) b.template(",");
            b.template(Q).content(names.get(i)).template(Q);
        }
        b.template("]");
    }

    private static void quotedList(List<String> values, RenderedPrompt.Builder b) {
        b.template("required:[");
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) b.template(",");
            b.template(Q).content(values.get(i)).template(Q);
        }
        b.template("]");
    }

    /** Schema values (inside items): map keys are quoted, unlike argument maps. */
    private static void schemaValue(Object v, RenderedPrompt.Builder b) {
        value(v, true, b);
    }

    /** A JSON-like value: strings delimited, numbers and booleans bare, map keys sorted and quoted or bare. */
    private static void value(Object v, boolean quotedKeys, RenderedPrompt.Builder b) {
        switch (v) {
            case null -> b.template("null");
            case String s -> b.template(Q).content(s).template(Q);
            case Map<?, ?> m -> {
                b.template("{");
                boolean first = true;
                for (Map.Entry<String, Object> e : sorted(m).entrySet()) {
                    if (!first) b.template(",");
                    first = false;
                    if (quotedKeys) b.template(Q).content(e.getKey()).template(Q + ":");
                    else b.content(e.getKey()).template(":");
                    value(e.getValue(), quotedKeys, b);
                }
                b.template("}");
            }
            case List<?> l -> {
                b.template("[");
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) b.template(",");
                    value(l.get(i), quotedKeys, b);
                }
                b.template("]");
            }
            default -> b.content(plain(v));
        }
    }

    // ---- calls and responses --------------------------------------------------------------------------------------

    /** {@code <|tool_call>call:NAME{k:v,…}<tool_call|>} with keys sorted. */
    static void call(ToolCall call, RenderedPrompt.Builder b) {
        b.template("<|tool_call>call:").content(call.name());
        argValue(call.arguments(), b);
        b.template("<tool_call|>");
    }

    /** {@code <|tool_response>response:NAME{value:<|"|>…<|"|>}<tool_response|>}. */
    static void response(String name, String content, RenderedPrompt.Builder b) {
        b.template("<|tool_response>response:").content(name).template("{value:" + Q).content(content).template(Q + "}<tool_response|>");
    }

    /** Argument values: strings delimited, numbers and booleans bare, maps with bare keys. */
    static void argValue(Object v, RenderedPrompt.Builder b) {
        value(v, false, b);
    }

    // ---- helpers --------------------------------------------------------------------------------------------------

    /** Go's {@code %v} for the JSON scalars: integral numbers without a fraction, others shortest, e-notation below 1e-4. */
    static String plain(Object v) {
        if (v instanceof Double || v instanceof Float || v instanceof BigDecimal) {
            double d = ((Number) v).doubleValue();
            if (d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 9.2e18) return Long.toString((long) d);
            if (Double.isNaN(d)) return "NaN";
            if (Double.isInfinite(d)) return d > 0 ? "+Inf" : "-Inf";
            BigDecimal bd = new BigDecimal(Double.toString(d)).stripTrailingZeros();
            int exp = bd.precision() - bd.scale() - 1;
            if (exp < -4 || exp >= 21) {
                String digits = bd.unscaledValue().abs().toString();
                String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
                return (d < 0 ? "-" : "") + mant + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
            }
            return bd.toPlainString();
        }
        return String.valueOf(v);
    }

    private static List<String> typeNames(Object type) {
        if (type instanceof String s) return List.of(s.toUpperCase(Locale.ROOT));
        List<String> out = new ArrayList<>();
        for (String s : strings(type)) out.add(s.toUpperCase(Locale.ROOT));
        return out;
    }

    private static List<String> strings(Object v) {
        if (!(v instanceof List<?> l)) return List.of();
        List<String> out = new ArrayList<>();
        for (Object o : l) if (o instanceof String s) out.add(s);
        return out;
    }

    /** Keys in Go's {@code sort.Strings} order (byte-wise UTF-8, which for these keys is Java's UTF-16 order). */
    private static Map<String, Object> sorted(Map<?, ?> m) {
        Map<String, Object> out = new TreeMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) out.put(String.valueOf(e.getKey()), e.getValue());
        return out;
    }
}
