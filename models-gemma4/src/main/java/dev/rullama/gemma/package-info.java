/**
 * The Gemma model family (GGUF {@code general.architecture} {@code gemma4} and {@code gemma3}): its
 * {@link dev.rullama.gemma.GemmaFamily ServiceLoader entry}, the {@link dev.rullama.gemma.GemmaConfig config} read
 * from the file's keys and tensor shapes alone, the {@link dev.rullama.gemma.GemmaTensorLayout tensor layout}
 * (current and older Ollama tensor names, every shape checked before anything is allocated) and the
 * {@link dev.rullama.gemma.GemmaWeights weights}, which stay in the memory-mapped file.
 *
 * <p>The math is {@code spec/gemma4.md}; the CPU reference forward pass is in {@code dev.rullama.gemma.reference}.
 */
package dev.rullama.gemma;
