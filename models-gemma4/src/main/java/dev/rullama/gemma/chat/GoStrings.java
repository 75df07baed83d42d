package dev.rullama.gemma.chat;

/**
 * Go's {@code strings.TrimSpace} and {@code unicode.IsSpace}, which Ollama's renderer and parser use. Java's
 * {@code String.strip()} differs at the edges (it keeps U+00A0 and U+202F, and strips U+001C–U+001F).
 */
final class GoStrings {
    private GoStrings() {}

    static boolean isSpace(int c) {
        return switch (c) {
            case '\t', '\n', 0x0B, '\f', '\r', ' ', 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true;
            default -> c >= 0x2000 && c <= 0x200A;
        };
    }

    static String trimSpace(String s) { return trimLeft(trimRight(s)); }

    static String trimRight(String s) {
        int end = s.length();
        while (end > 0) {
            int c = s.codePointBefore(end);
            if (!isSpace(c)) break;
            end -= Character.charCount(c);
        }
        return s.substring(0, end);
    }

    static String trimLeft(String s) {
        int start = 0;
        while (start < s.length()) {
            int c = s.codePointAt(start);
            if (!isSpace(c)) break;
            start += Character.charCount(c);
        }
        return s.substring(start);
    }

    /** Length of the whitespace run at the end of {@code s}, in chars. */
    static int trailingSpaceLength(String s) { return s.length() - trimRight(s).length(); }
}
