package dev.rullama.api;

import java.nio.file.Path;

/**
 * A model file or store entry is malformed. Always names the file and, where known, the byte offset or the field,
 * so the message alone tells the user what is wrong and where.
 */
public class ModelFormatException extends RullamaException {
    private final Path file;
    private final long offset;

    public ModelFormatException(Path file, long offset, String what) {
        super(file + (offset >= 0 ? " at byte " + offset : "") + ": " + what);
        this.file = file;
        this.offset = offset;
    }

    public ModelFormatException(Path file, String what) { this(file, -1, what); }

    /** The offending file. */
    public Path file() { return file; }

    /** Byte offset of the problem, or -1 when it is not about one place in the file. */
    public long offset() { return offset; }
}
