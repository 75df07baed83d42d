package dev.rullama.cli.serve;

import dev.rullama.gemma.runtime.Generator;
import dev.rullama.gemma.tokenizer.GemmaTokenizer;

import java.util.Arrays;

/**
 * {@code format: "json"}: lets the sampler pick only tokens whose bytes keep the output a prefix of one JSON object
 * (RFC 8259; the top level must be an object, as Ollama's JSON grammar requires), and end-of-generation only once the
 * object is complete. It is a byte-level pushdown automaton over the tokens' exact bytes (what the stream emits):
 * structure is ASCII, and inside strings any byte from 0x80 up passes, so multi-byte characters split over
 * byte-fallback tokens are fine. Runs of whitespace are capped (the cap keeps a model from padding forever), and none may come before the object.
 *
 * <p>A JSON schema in {@code format} is treated as {@code "json"}: the output is a valid JSON object, not checked
 * against the schema. When {@code num_predict} or the context ends generation first, the output is a cut-off prefix
 * (done_reason {@code length}), as in Ollama.
 */
final class JsonConstraint implements Generator.TokenConstraint {
    /** The most consecutive whitespace bytes allowed between tokens of the JSON. */
    static final int MAX_WHITESPACE = 16;

    // automaton states
    private static final int VALUE = 0, OBJ_KEY_OR_END = 1, OBJ_KEY = 2, COLON = 3, AFTER_VALUE = 4, ARR_VALUE_OR_END = 5,
            STRING = 6, ESCAPE = 7, UNICODE = 8, NUM_MINUS = 9, NUM_ZERO = 10, NUM_INT = 11, NUM_DOT = 12, NUM_FRAC = 13,
            NUM_E = 14, NUM_E_SIGN = 15, NUM_EXP = 16, LITERAL = 17, DONE = 18;
    private static final byte OBJECT = 1, ARRAY = 2;

    /** The automaton's whole state: small enough to copy for every candidate token. */
    private static final class State {
        int state = VALUE;
        boolean inKey;      // the current string is an object key
        int aux;            // UNICODE: hex digits left; LITERAL: index into the literal
        byte[] literal;     // LITERAL: "true", "false" or "null"
        int whitespace;     // consecutive whitespace bytes
        byte[] stack = new byte[16];
        int depth;

        State copy(State into) {
            into.state = state;
            into.inKey = inKey;
            into.aux = aux;
            into.literal = literal;
            into.whitespace = whitespace;
            if (into.stack.length < stack.length) into.stack = new byte[stack.length];
            System.arraycopy(stack, 0, into.stack, 0, depth);
            into.depth = depth;
            return into;
        }
    }

    private static final byte[] TRUE = {'t', 'r', 'u', 'e'}, FALSE = {'f', 'a', 'l', 's', 'e'}, NULL = {'n', 'u', 'l', 'l'};

    private final byte[][] tokenBytes;
    private final int[] endIds;
    private final State state = new State();
    private final State scratch = new State();

    JsonConstraint(byte[][] tokenBytes, int[] endIds) {
        this.tokenBytes = tokenBytes;
        this.endIds = endIds.clone();
    }

    /** Every token's bytes, computed once per loaded model. */
    static byte[][] vocabularyBytes(GemmaTokenizer tokenizer) {
        byte[][] out = new byte[tokenizer.vocabularySize()][];
        for (int i = 0; i < out.length; i++) out[i] = tokenizer.decodeBytes(i);
        return out;
    }

    /** Whether the output so far is one complete JSON object. */
    boolean complete() { return state.state == DONE; }

    @Override
    public boolean allows(int token) {
        for (int e : endIds) if (e == token) return state.state == DONE;
        if (token < 0 || token >= tokenBytes.length) return false;
        byte[] b = tokenBytes[token];
        if (b.length == 0 || state.state == DONE) return false; // no progress, or nothing may follow the object
        State s = state.copy(scratch);
        for (byte x : b) if (!step(s, x & 0xFF)) return false;
        return true;
    }

    @Override
    public void accept(int token) {
        for (byte x : tokenBytes[token])
            if (!step(state, x & 0xFF)) throw new IllegalStateException("token " + token + " is not valid JSON here");
    }

    /** Feeds bytes directly (tests). Returns false, leaving the state unusable, when they are not a JSON prefix. */
    boolean feed(byte[] bytes) {
        for (byte x : bytes) if (!step(state, x & 0xFF)) return false;
        return true;
    }

    private static boolean isWhitespace(int c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

    private static boolean isDigit(int c) { return c >= '0' && c <= '9'; }

    private static boolean step(State s, int c) {
        switch (s.state) {
            case STRING -> {
                if (c == '"') { s.state = s.inKey ? COLON : AFTER_VALUE; s.whitespace = 0; return true; }
                if (c == '\\') { s.state = ESCAPE; return true; }
                return c >= 0x20;
            }
            case ESCAPE -> {
                if (c == 'u') { s.state = UNICODE; s.aux = 4; return true; }
                if ("\"\\/bfnrt".indexOf(c) < 0) return false;
                s.state = STRING;
                return true;
            }
            case UNICODE -> {
                if (!(isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
                if (--s.aux == 0) s.state = STRING;
                return true;
            }
            case LITERAL -> {
                if (c != s.literal[s.aux]) return false;
                if (++s.aux == s.literal.length) { s.state = AFTER_VALUE; s.whitespace = 0; }
                return true;
            }
            case NUM_MINUS -> {
                if (c == '0') { s.state = NUM_ZERO; return true; }
                if (isDigit(c)) { s.state = NUM_INT; return true; }
                return false;
            }
            case NUM_ZERO, NUM_INT -> {
                if (s.state == NUM_INT && isDigit(c)) return true;
                if (c == '.') { s.state = NUM_DOT; return true; }
                if (c == 'e' || c == 'E') { s.state = NUM_E; return true; }
                return endNumber(s, c);
            }
            case NUM_DOT -> {
                if (!isDigit(c)) return false;
                s.state = NUM_FRAC;
                return true;
            }
            case NUM_FRAC -> {
                if (isDigit(c)) return true;
                if (c == 'e' || c == 'E') { s.state = NUM_E; return true; }
                return endNumber(s, c);
            }
            case NUM_E -> {
                if (c == '+' || c == '-') { s.state = NUM_E_SIGN; return true; }
                if (!isDigit(c)) return false;
                s.state = NUM_EXP;
                return true;
            }
            case NUM_E_SIGN -> {
                if (!isDigit(c)) return false;
                s.state = NUM_EXP;
                return true;
            }
            case NUM_EXP -> {
                if (isDigit(c)) return true;
                return endNumber(s, c);
            }
            case DONE -> { return false; }
            default -> { }
        }
        // the structural states: whitespace may come between any two tokens
        if (isWhitespace(c)) return s.depth > 0 && ++s.whitespace <= MAX_WHITESPACE; // the object starts the output
        s.whitespace = 0;
        return switch (s.state) {
            case VALUE -> value(s, c, s.depth == 0);
            case ARR_VALUE_OR_END -> c == ']' ? close(s, ARRAY) : value(s, c, false);
            case OBJ_KEY_OR_END -> c == '}' ? close(s, OBJECT) : key(s, c);
            case OBJ_KEY -> key(s, c);
            case COLON -> {
                if (c != ':') yield false;
                s.state = VALUE;
                yield true;
            }
            case AFTER_VALUE -> {
                byte top = s.stack[s.depth - 1];
                if (c == ',') { s.state = top == OBJECT ? OBJ_KEY : VALUE; yield true; }
                if (c == '}') yield close(s, OBJECT);
                if (c == ']') yield close(s, ARRAY);
                yield false;
            }
            default -> false;
        };
    }

    private static boolean endNumber(State s, int c) {
        s.state = AFTER_VALUE; // a number is never the top level, so something closes it
        return step(s, c);
    }

    private static boolean key(State s, int c) {
        if (c != '"') return false;
        s.state = STRING;
        s.inKey = true;
        return true;
    }

    private static boolean value(State s, int c, boolean topLevel) {
        if (topLevel && c != '{') return false;
        s.inKey = false;
        switch (c) {
            case '{' -> { push(s, OBJECT); s.state = OBJ_KEY_OR_END; }
            case '[' -> { push(s, ARRAY); s.state = ARR_VALUE_OR_END; }
            case '"' -> s.state = STRING;
            case '-' -> s.state = NUM_MINUS;
            case '0' -> s.state = NUM_ZERO;
            case 't' -> literal(s, TRUE);
            case 'f' -> literal(s, FALSE);
            case 'n' -> literal(s, NULL);
            default -> {
                if (!isDigit(c)) return false;
                s.state = NUM_INT;
            }
        }
        return true;
    }

    private static void literal(State s, byte[] lit) {
        s.state = LITERAL;
        s.literal = lit;
        s.aux = 1;
    }

    private static void push(State s, byte kind) {
        if (s.depth == s.stack.length) s.stack = Arrays.copyOf(s.stack, s.depth * 2);
        s.stack[s.depth++] = kind;
    }

    private static boolean close(State s, byte kind) {
        if (s.depth == 0 || s.stack[s.depth - 1] != kind) return false;
        s.depth--;
        s.state = s.depth == 0 ? DONE : AFTER_VALUE;
        return true;
    }
}
