package dev.rullama.gemma.tokenizer;

import dev.rullama.api.ModelFormatException;
import dev.rullama.gguf.GgufFile;
import dev.rullama.gguf.GgufMetadata;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What a GGUF file says about its tokenizer (spec ollama-gguf §5.1), before any lookup table is built. Tests build
 * one by hand; {@link #fromGguf} reads the {@code tokenizer.ggml.*} keys.
 *
 * @param algorithm   from {@code tokenizer.ggml.model} / {@code tokenizer.ggml.pre}
 * @param tokens      token strings, index = id
 * @param scores      SentencePiece scores (used by {@link TokenizerAlgorithm#SENTENCEPIECE_SCORES} only); may be
 *                    {@code null} for BPE
 * @param types       GGUF token type codes ({@link TokenType}); {@code null} means all NORMAL
 * @param merges      ranked merges "left right" (BPE only; empty otherwise)
 * @param bos         {@code tokenizer.ggml.bos_token_id}
 * @param eos         {@code tokenizer.ggml.eos_token_id}
 * @param unk         {@code tokenizer.ggml.unknown_token_id}, -1 when absent
 * @param pad         {@code tokenizer.ggml.padding_token_id}, -1 when absent
 * @param addBos      {@code tokenizer.ggml.add_bos_token}; informational, {@link GemmaTokenizer#encodeWithBos} always
 *                    yields exactly one BOS
 * @param extraEos    {@code tokenizer.ggml.eos_token_ids} and {@code tokenizer.ggml.eot_token_id}, when present
 */
public record TokenizerSpec(TokenizerAlgorithm algorithm, List<String> tokens, float[] scores, int[] types,
                            List<String> merges, int bos, int eos, int unk, int pad, boolean addBos, int[] extraEos) {

    public static final String MODEL = "tokenizer.ggml.model";
    public static final String PRE = "tokenizer.ggml.pre";
    public static final String TOKENS = "tokenizer.ggml.tokens";
    public static final String SCORES = "tokenizer.ggml.scores";
    public static final String TOKEN_TYPE = "tokenizer.ggml.token_type";
    public static final String MERGES = "tokenizer.ggml.merges";
    public static final String BOS = "tokenizer.ggml.bos_token_id";
    public static final String EOS = "tokenizer.ggml.eos_token_id";
    public static final String EOS_IDS = "tokenizer.ggml.eos_token_ids";
    public static final String EOT = "tokenizer.ggml.eot_token_id";
    public static final String UNK = "tokenizer.ggml.unknown_token_id";
    public static final String PAD = "tokenizer.ggml.padding_token_id";
    public static final String ADD_BOS = "tokenizer.ggml.add_bos_token";

    public TokenizerSpec {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(tokens, "tokens");
        merges = merges == null ? List.of() : merges;
        extraEos = extraEos == null ? new int[0] : extraEos.clone();
        if (scores != null && scores.length != tokens.size()) {
            throw new IllegalArgumentException(scores.length + " scores for " + tokens.size() + " tokens");
        }
        if (types != null && types.length != tokens.size()) {
            throw new IllegalArgumentException(types.length + " token types for " + tokens.size() + " tokens");
        }
        if (algorithm == TokenizerAlgorithm.SENTENCEPIECE_SCORES && scores == null) {
            throw new IllegalArgumentException("SentencePiece merging needs scores");
        }
    }

    /** Reads the tokenizer keys of an opened GGUF file. */
    public static TokenizerSpec fromGguf(GgufFile file) throws ModelFormatException {
        return fromGguf(file.metadata(), file.path());
    }

    /**
     * Reads the tokenizer keys. Missing ids fall back to Gemma's (bos 2, eos 1) as Ollama assumes for its gemma4 blobs;
     * a missing token list, an unknown model/pre pair, a BPE file without merges, or ids outside the vocabulary are
     * errors naming the file.
     */
    public static TokenizerSpec fromGguf(GgufMetadata md, Path file) throws ModelFormatException {
        String model = md.findString(MODEL).orElseThrow(() -> new ModelFormatException(file, "missing metadata key '" + MODEL + "'"));
        String pre = md.findString(PRE).orElse("default");
        TokenizerAlgorithm algorithm = TokenizerAlgorithm.select(model, pre);
        if (algorithm == null) {
            throw new ModelFormatException(file, "tokenizer.ggml.model '" + model + "' (pre '" + pre
                    + "') is not a Gemma tokenizer: expected 'llama' (SentencePiece) or 'gemma4' (BPE)");
        }
        // Copied out of the mapping: the spec stays valid after the file is closed.
        List<String> tokens = List.copyOf(md.getStrings(TOKENS));
        int n = tokens.size();
        float[] scores = md.contains(SCORES) ? md.getFloats(SCORES) : null;
        int[] types = md.contains(TOKEN_TYPE) ? md.getInts(TOKEN_TYPE) : null;
        if (scores != null && scores.length != n) throw new ModelFormatException(file, SCORES + " has " + scores.length + " entries for " + n + " tokens");
        if (types != null && types.length != n) throw new ModelFormatException(file, TOKEN_TYPE + " has " + types.length + " entries for " + n + " tokens");
        if (algorithm == TokenizerAlgorithm.SENTENCEPIECE_SCORES && scores == null) {
            throw new ModelFormatException(file, "SentencePiece vocabulary without '" + SCORES + "'");
        }
        List<String> merges = List.of();
        if (algorithm == TokenizerAlgorithm.RANKED_BPE) {
            if (!md.contains(MERGES)) throw new ModelFormatException(file, "gemma4 BPE vocabulary without '" + MERGES + "'");
            merges = List.copyOf(md.getStrings(MERGES));
        }
        int bos = id(md, file, BOS, 2, n);
        int eos = id(md, file, EOS, 1, n);
        int unk = id(md, file, UNK, -1, n);
        int pad = id(md, file, PAD, -1, n);
        boolean addBos = md.findBoolean(ADD_BOS).orElse(true);
        int[] eosIds = md.contains(EOS_IDS) ? md.getInts(EOS_IDS) : new int[0];
        int[] extra = eosIds;
        if (md.contains(EOT)) {
            extra = Arrays.copyOf(eosIds, eosIds.length + 1);
            extra[eosIds.length] = id(md, file, EOT, -1, n);
        }
        for (int e : extra) {
            if (e < 0 || e >= n) throw new ModelFormatException(file, "end-of-generation id " + e + " is outside the " + n + "-token vocabulary");
        }
        return new TokenizerSpec(algorithm, tokens, scores, types, merges, bos, eos, unk, pad, addBos, extra);
    }

    private static int id(GgufMetadata md, Path file, String key, int fallback, int n) throws ModelFormatException {
        var v = md.findLong(key);
        if (v.isEmpty()) return fallback;
        long id = v.getAsLong();
        if (id < 0 || id >= n) throw new ModelFormatException(file, "'" + key + "' = " + id + " is outside the " + n + "-token vocabulary");
        return (int) id;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenizerSpec s && algorithm == s.algorithm && tokens.equals(s.tokens)
                && Arrays.equals(scores, s.scores) && Arrays.equals(types, s.types) && merges.equals(s.merges)
                && bos == s.bos && eos == s.eos && unk == s.unk && pad == s.pad && addBos == s.addBos
                && Arrays.equals(extraEos, s.extraEos);
    }

    @Override
    public int hashCode() { return Objects.hash(algorithm, tokens.size(), merges.size(), bos, eos); }

    @Override
    public String toString() {
        return "TokenizerSpec[" + algorithm + ", " + tokens.size() + " tokens, " + merges.size() + " merges, bos=" + bos + ", eos=" + eos + "]";
    }
}
