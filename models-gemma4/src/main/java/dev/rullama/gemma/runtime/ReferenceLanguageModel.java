package dev.rullama.gemma.runtime;

import dev.rullama.gemma.GemmaConfig;
import dev.rullama.gemma.reference.ReferenceModel;
import dev.rullama.gemma.reference.Session;

/** The CPU reference forward pass as a {@link LanguageModel}: slow, plain, the oracle every GPU result is diffed against. */
public final class ReferenceLanguageModel implements LanguageModel {
    private final ReferenceModel model;

    public ReferenceLanguageModel(ReferenceModel model) {
        this.model = model;
    }

    @Override
    public GemmaConfig config() { return model.config(); }

    @Override
    public String engine() { return "cpu-reference"; }

    @Override
    public InferenceSession newSession(int contextLength) {
        Session s = model.newSession(contextLength);
        return new InferenceSession() {
            public int position() { return s.position(); }
            public int contextLength() { return s.contextLength(); }
            public float[] prefill(int[] tokens) { return s.prefill(tokens); }
            public float[] decode(int token) { return s.decode(token); }
            public float[][] forwardAll(int[] tokens) { return s.forward(tokens); }
        };
    }
}
