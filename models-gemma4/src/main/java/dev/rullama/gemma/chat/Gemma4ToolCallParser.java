package dev.rullama.gemma.chat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Parses the inside of a Gemma 4 tool call, {@code call:NAME{key:value,…}} (spec ollama-gguf §6). Values are
 * {@code <|"|>…<|"|>} strings, JSON strings, numbers, {@code true}/{@code false}/{@code null}, {@code {…}} maps with bare
 * or quoted keys and {@code […]} lists. Leniency, for what models actually emit: a string whose closing delimiter never
 * came runs to the end, missing closing braces are supplied, and a bare word is taken as a string.
 */
public final class Gemma4ToolCallParser {
    private static final String Q = Gemma4Syntax.Q;

    private final String s;
    private int i;

    private Gemma4ToolCallParser(String s) { this.s = s; }

    /** The call in {@code text} (what stood between {@code <|tool_call>} and {@code <tool_call|>}), if it parses. */
    public static Optional<ToolCall> parse(String text) {
        String t = GoStrings.trimSpace(text);
        if (!t.startsWith("call:")) return Optional.empty();
        int brace = t.indexOf('{');
        if (brace < 0) return Optional.empty();
        String name = GoStrings.trimSpace(t.substring("call:".length(), brace));
        if (name.isEmpty()) return Optional.empty();
        Gemma4ToolCallParser p = new Gemma4ToolCallParser(t);
        p.i = brace;
        try {
            Object args = p.value();
            p.skipSpace();
            if (!(args instanceof Map<?, ?>)) return Optional.empty();
            @SuppressWarnings("unchecked") Map<String, Object> map = (Map<String, Object>) args;
            return Optional.of(new ToolCall(name, map));
        } catch (IllegalStateException e) {
            return Optional.empty();
        }
    }

    private Object value() {
        skipSpace();
        if (i >= s.length()) return "";
        if (s.startsWith(Q, i)) {
            int start = i + Q.length();
            int end = s.indexOf(Q, start);
            if (end < 0) end = s.length(); // unclosed: the string runs to the end
            i = Math.min(s.length(), end + Q.length());
            return s.substring(start, end);
        }
        char c = s.charAt(i);
        if (c == '{') return map();
        if (c == '[') return list();
        if (c == '"') return jsonString();
        return scalar();
    }

    private Map<String, Object> map() {
        i++; // {
        Map<String, Object> out = new LinkedHashMap<>();
        while (true) {
            skipSpace();
            if (i >= s.length()) return out; // missing '}'
            if (s.charAt(i) == '}') { i++; return out; }
            if (s.charAt(i) == ',') { i++; continue; }
            String key = key();
            skipSpace();
            if (i >= s.length() || s.charAt(i) != ':') throw new IllegalStateException("expected ':' after key '" + key + "'");
            i++;
            out.put(key, value());
        }
    }

    private List<Object> list() {
        i++; // [
        List<Object> out = new ArrayList<>();
        while (true) {
            skipSpace();
            if (i >= s.length()) return out;
            if (s.charAt(i) == ']') { i++; return out; }
            if (s.charAt(i) == ',') { i++; continue; }
            out.add(value());
        }
    }

    private String key() {
        if (s.startsWith(Q, i)) return (String) value();
        if (s.charAt(i) == '"') return jsonString();
        int start = i;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            if (!(cp == '_' || cp == '-' || cp == '.' || Character.isLetterOrDigit(cp))) break;
            i += Character.charCount(cp);
        }
        if (i == start) throw new IllegalStateException("expected a key at " + i);
        return s.substring(start, i);
    }

    private String jsonString() {
        StringBuilder sb = new StringBuilder();
        i++; // opening quote
        while (i < s.length()) {
            char c = s.charAt(i++);
            if (c == '"') return sb.toString();
            if (c != '\\' || i >= s.length()) { sb.append(c); continue; }
            char e = s.charAt(i++);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'u' -> {
                    if (i + 4 > s.length()) throw new IllegalStateException("bad \\u escape");
                    sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    i += 4;
                }
                default -> sb.append(e);
            }
        }
        return sb.toString();
    }

    private Object scalar() {
        int start = i;
        while (i < s.length() && ",}]".indexOf(s.charAt(i)) < 0) i++;
        String word = GoStrings.trimSpace(s.substring(start, i));
        switch (word) {
            case "true": return Boolean.TRUE;
            case "false": return Boolean.FALSE;
            case "null": return null;
            default: break;
        }
        if (word.matches("-?\\d+")) {
            try {
                return Long.parseLong(word);
            } catch (NumberFormatException e) {
                return Double.parseDouble(word);
            }
        }
        if (word.matches("-?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?")) return Double.parseDouble(word);
        return word; // a bare word: most likely an undelimited string
    }

    private void skipSpace() {
        while (i < s.length() && GoStrings.isSpace(s.codePointAt(i))) i += Character.charCount(s.codePointAt(i));
    }
}
