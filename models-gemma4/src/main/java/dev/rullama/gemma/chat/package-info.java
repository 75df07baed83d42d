/**
 * Chat formats (spec ollama-gguf §6): {@link dev.rullama.gemma.chat.Gemma4ChatFormat} renders a conversation the way
 * Ollama's {@code gemma4} renderer does (system turn, thinking switch, tool declarations, calls and results),
 * {@link dev.rullama.gemma.chat.Gemma3ChatFormat} the Gemma 3 template. A {@link dev.rullama.gemma.chat.RenderedPrompt}
 * keeps template and content apart so the tokenizer never turns user text into a marker.
 * {@link dev.rullama.gemma.chat.Gemma4OutputParser} splits streamed output into thinking, answer and tool calls;
 * {@link dev.rullama.gemma.chat.GenerationDefaults} reads an Ollama params layer.
 */
package dev.rullama.gemma.chat;
