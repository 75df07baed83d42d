package dev.rullama.api;

/** WGSL that the implementation's compiler (Tint or naga) rejected, with the first error's line and column (1-based; 0 if unknown). */
public class ShaderCompileException extends RullamaException {
    private final String kernel;
    private final int line;
    private final int column;

    public ShaderCompileException(String kernel, int line, int column, String compilerMessage) {
        super("WGSL kernel '" + kernel + "' does not compile" + (line > 0 ? " (line " + line + ", column " + column + ")" : "")
                + ": " + compilerMessage.strip());
        this.kernel = kernel;
        this.line = line;
        this.column = column;
    }

    public String kernel() { return kernel; }
    public int line() { return line; }
    public int column() { return column; }
}
