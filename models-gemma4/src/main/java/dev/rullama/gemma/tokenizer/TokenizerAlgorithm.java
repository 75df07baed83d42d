package dev.rullama.gemma.tokenizer;

/**
 * How text fragments between special tokens become ids. Chosen from {@code tokenizer.ggml.model} and
 * {@code tokenizer.ggml.pre}, never from the model's name.
 */
public enum TokenizerAlgorithm {
    /**
     * Gemma 3: SentencePiece-style merging. Start from one symbol per code point and repeatedly merge the adjacent
     * pair whose concatenation is a token with the highest score (ties: leftmost); leftover symbols fall back to
     * {@code <0xHH>} byte tokens. No merge list is needed, only scores.
     */
    SENTENCEPIECE_SCORES,
    /**
     * Gemma 4: BPE over the ▁-escaped text with a ranked merge list ({@code merges[i]} = "left right", rank i, lowest
     * rank first), after splitting the text into runs of newlines and runs of everything else. Raw UTF-8 code points
     * are the base symbols (no GPT-2 byte map); leftover symbols fall back to byte tokens.
     */
    RANKED_BPE;

    /**
     * Gemma 4 BPE when either key says {@code gemma4} (llama.cpp files say model=gemma4; Ollama's own blobs say
     * model=llama, pre=gemma4, and Ollama rewrites the model at load for exactly this case), SentencePiece for
     * {@code llama}. Anything else is not a Gemma tokenizer.
     *
     * @return the algorithm, or {@code null} when the pair names neither
     */
    public static TokenizerAlgorithm select(String model, String pre) {
        if ("gemma4".equals(model) || "gemma4".equals(pre)) return RANKED_BPE;
        if ("llama".equals(model)) return SENTENCEPIECE_SCORES;
        return null;
    }
}
