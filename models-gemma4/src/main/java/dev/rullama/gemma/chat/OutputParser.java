package dev.rullama.gemma.chat;

/**
 * Splits streamed model output (decoded text, special tokens included as their text) into content, thinking and tool
 * calls. Feed every decoded piece to {@link #add}, then call {@link #finish} once; the concatenation of all results is
 * the whole parse. Not thread-safe: one per generation.
 */
public sealed interface OutputParser permits Gemma4OutputParser, OutputParser.Plain {
    ParsedOutput add(String text);

    ParsedOutput finish();

    /** Gemma 3: everything is content. */
    final class Plain implements OutputParser {
        @Override
        public ParsedOutput add(String text) { return new ParsedOutput(text, "", null); }

        @Override
        public ParsedOutput finish() { return ParsedOutput.EMPTY; }
    }
}
