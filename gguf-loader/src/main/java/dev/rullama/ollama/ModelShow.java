package dev.rullama.ollama;

import dev.rullama.gguf.GgufSummary;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything {@code rullama show} prints for one model, read without holding any file open: the list entry, the
 * manifest and its layers, the config blob, the GGUF summary of the model layer (architecture, parameters, context
 * and embedding length, quantization mix, tensors, abbreviated metadata), and the small text layers. When the model
 * layer cannot be summarized (MLX format, no model layer, a broken GGUF), {@code model} is empty and
 * {@code modelProblem} says why.
 */
public record ModelShow(ModelEntry entry, Manifest manifest, Optional<ModelConfig> config, Optional<GgufSummary> model,
                        Optional<String> modelProblem, Optional<String> template, Optional<String> system,
                        Map<String, Object> params, List<String> licenses) {

    /** Layers of one kind, e.g. {@code layers(LayerKind.ADAPTER)}. */
    public List<Layer> layers(LayerKind kind) { return manifest.layers(kind); }

    /** Which kinds of layer the manifest has, with counts, in manifest order. */
    public Map<LayerKind, Integer> layerKinds() {
        Map<LayerKind, Integer> m = new java.util.LinkedHashMap<>();
        for (Layer l : manifest.layers()) m.merge(l.kind(), 1, Integer::sum);
        return m;
    }
}
