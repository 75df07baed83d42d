package dev.rullama.gemma.tokenizer;

import dev.rullama.api.ModelFormatException;
import dev.rullama.gguf.GgufFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.stream.IntStream;

/**
 * The Gemma 3 / Gemma 4 tokenizer, built from a GGUF file's {@code tokenizer.ggml.*} keys (spec ollama-gguf §5).
 * {@link TokenizerAlgorithm} says how ordinary text is merged; everything else is shared:
 *
 * <ul>
 *   <li><b>Special tokens.</b> Control tokens and protocol markers ({@code <|turn>}, {@code <turn|>},
 *       {@code <|channel>}, {@code <|"|>}, {@code <start_of_turn>}, {@code <bos>}, …) are recognised only in template
 *       text: {@code encode(text, true)} or a {@link PromptSegment#template} segment. Content never produces them, even
 *       when it spells one, so a user typing {@code <turn|>} cannot end a turn. User-defined tokens that are ordinary
 *       text pieces (Gemma 3's runs of spaces, newlines and tabs, HTML tags) are matched everywhere, as SentencePiece
 *       and llama.cpp do; without that a newline in user text would become byte fallback.</li>
 *   <li><b>BOS.</b> {@link #encodeWithBos} yields exactly one BOS at the start, whether or not the template wrote
 *       {@code <bos>} (Ollama's Gemma 4 renderer does, with add_bos false; llama.cpp forces add_bos for gemma4).</li>
 *   <li><b>Decoding.</b> {@code <0xHH>} is a raw byte, ▁ a space, specials their own text.
 *       {@link #streamingDecoder()} holds partial UTF-8 across tokens.</li>
 * </ul>
 *
 * <p>Immutable and thread-safe. Building it for a 262144-token vocabulary with 514906 merges takes about a second
 * (hash tables built once); encoding a few KB of text takes milliseconds.
 */
public final class GemmaTokenizer {
    private static final Logger LOG = LoggerFactory.getLogger(GemmaTokenizer.class);
    private final TokenizerAlgorithm algorithm;
    private final int bos;
    private final int eos;
    private final boolean addBos;
    private final int mergeCount;
    private final Vocabulary vocab;
    private final SpecialTokenSplitter splitter;
    private final FragmentEncoder encoder;
    private final int[] endOfGeneration;

    private GemmaTokenizer(TokenizerSpec spec) {
        // Only derived tables are kept, not the spec's lists (half a million merge strings for Gemma 4).
        this.algorithm = spec.algorithm();
        this.bos = spec.bos();
        this.eos = spec.eos();
        this.addBos = spec.addBos();
        this.mergeCount = spec.merges().size();
        this.vocab = new Vocabulary(spec);
        this.splitter = new SpecialTokenSplitter(vocab);
        this.encoder = switch (spec.algorithm()) {
            case SENTENCEPIECE_SCORES -> new ScoreMergeEncoder(vocab);
            case RANKED_BPE -> {
                MergeTable merges = new MergeTable(spec.merges(), vocab);
                if (merges.skipped() > 0) {
                    LOG.debug("{} of {} merges unused: a side or the result is not a token", merges.skipped(), spec.merges().size());
                }
                yield new RankedBpeEncoder(vocab, merges);
            }
        };
        this.endOfGeneration = IntStream.concat(IntStream.of(spec.eos()), IntStream.of(spec.extraEos())).distinct().toArray();
    }

    /** Builds the tokenizer from tokens, scores/merges and special ids. */
    public static GemmaTokenizer create(TokenizerSpec spec) {
        return new GemmaTokenizer(Objects.requireNonNull(spec, "spec"));
    }

    /** Reads the tokenizer of an opened GGUF file. The tables are copied: the file may be closed afterwards. */
    public static GemmaTokenizer fromGguf(GgufFile file) throws ModelFormatException {
        return create(TokenizerSpec.fromGguf(file));
    }

    public TokenizerAlgorithm algorithm() { return algorithm; }

    public int vocabularySize() { return vocab.size(); }

    public int bosId() { return bos; }

    public int eosId() { return eos; }

    /** {@code tokenizer.ggml.add_bos_token} as the file states it (Ollama's gemma4 blobs: false). */
    public boolean addBosByDefault() { return addBos; }

    /** EOS plus any {@code eos_token_ids} / {@code eot_token_id} the file lists. The chat format adds its own. */
    public int[] fileEndOfGenerationIds() { return endOfGeneration.clone(); }

    /** The id whose text is exactly {@code text} (any type). */
    public OptionalInt tokenId(String text) {
        int id = vocab.id(text);
        return id < 0 ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** Like {@link #tokenId} but the token must exist. */
    public int requireTokenId(String text) {
        int id = vocab.id(text);
        if (id < 0) throw new IllegalArgumentException("the vocabulary has no token '" + text + "'");
        return id;
    }

    /** The stored text of a token ({@code ▁hello}, {@code <0x0A>}, {@code <turn|>}). */
    public String tokenText(int id) { return vocab.text[check(id)]; }

    public TokenType tokenType(int id) { return vocab.type[check(id)]; }

    /** Whether the id is a control token or a protocol marker (only template text yields these). */
    public boolean isMarker(int id) { return vocab.marker[check(id)]; }

    /**
     * Encodes text without BOS.
     *
     * @param parseSpecial true for template text (control tokens and markers are recognised), false for content
     */
    public int[] encode(String text, boolean parseSpecial) {
        IdList out = new IdList(text.length() / 3 + 4);
        encodeInto(text, parseSpecial ? SpecialTokenSplitter.TemplateRanges.ALL : SpecialTokenSplitter.TemplateRanges.NONE, out);
        return out.toArray();
    }

    /**
     * Encodes a rendered prompt without adding BOS. The segments are tokenized as one string, so a merge may span a
     * template/content boundary exactly as it would in Ollama or llama.cpp; only the recognition of markers depends on
     * which segment a character came from.
     */
    public int[] encode(List<PromptSegment> segments) {
        StringBuilder sb = new StringBuilder();
        for (PromptSegment s : segments) sb.append(s.text());
        String text = sb.toString();
        int[] templatePrefix = new int[text.length() + 1];
        int at = 0;
        for (PromptSegment s : segments) {
            for (int i = 0; i < s.text().length(); i++, at++) templatePrefix[at + 1] = templatePrefix[at] + (s.template() ? 1 : 0);
        }
        final int[] prefix = templatePrefix;
        IdList out = new IdList(text.length() / 3 + 4);
        encodeInto(text, (start, end) -> prefix[end] - prefix[start] == end - start, out);
        return out.toArray();
    }

    /** {@link #encode(String, boolean)} with exactly one leading BOS. */
    public int[] encodeWithBos(String text, boolean parseSpecial) { return withBos(encode(text, parseSpecial)); }

    /** {@link #encode(List)} with exactly one leading BOS, whether or not the template wrote {@code <bos>}. */
    public int[] encodeWithBos(List<PromptSegment> segments) { return withBos(encode(segments)); }

    private int[] withBos(int[] ids) {
        if (ids.length > 0 && ids[0] == bos) return ids;
        int[] out = new int[ids.length + 1];
        out[0] = bos;
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    private void encodeInto(String text, SpecialTokenSplitter.TemplateRanges templates, IdList out) {
        if (text.isEmpty()) return;
        int[] parts = splitter.split(text, templates);
        for (int k = 0; k < parts.length; k += 3) {
            int id = parts[k + 2];
            if (id >= 0) out.add(id);
            else encoder.encode(text.substring(parts[k], parts[k + 1]), out);
        }
    }

    /** The bytes the ids stand for. */
    public byte[] decodeBytes(int... ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) out.writeBytes(tokenBytes(id));
        return out.toByteArray();
    }

    /** The text the ids stand for (malformed UTF-8 becomes U+FFFD). Specials decode to their own text. */
    public String decode(int... ids) { return new String(decodeBytes(ids), StandardCharsets.UTF_8); }

    /** A decoder for one stream of generated ids. */
    public StreamingDecoder streamingDecoder() { return new StreamingDecoder(this); }

    byte[] tokenBytes(int id) { return vocab.bytes(check(id)); }

    private int check(int id) {
        if (id < 0 || id >= vocab.size()) {
            throw new IllegalArgumentException("token id " + id + " is outside the " + vocab.size() + "-token vocabulary");
        }
        return id;
    }

    @Override
    public String toString() {
        String merges = algorithm == TokenizerAlgorithm.RANKED_BPE ? ", " + mergeCount + " merges" : "";
        return "GemmaTokenizer[" + algorithm + ", " + vocab.size() + " tokens" + merges + ", bos " + bos
                + ", end of generation " + Arrays.toString(endOfGeneration) + "]";
    }
}
