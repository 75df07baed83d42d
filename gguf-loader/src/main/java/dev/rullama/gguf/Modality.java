package dev.rullama.gguf;

/**
 * Which model a tensor belongs to in a multimodal GGUF. Ollama's gemma3/gemma4 blobs hold the text model, the vision
 * tower ({@code v.*}), the audio tower ({@code a.*}) and their projectors ({@code mm.*}, {@code mm.a.*}) in one file;
 * the text model must see only its own tensors. Classification is by name prefix only.
 */
public enum Modality {
    TEXT, VISION, AUDIO;

    /** VISION for {@code v.}, {@code mm.} (but not {@code mm.a.}), {@code model.vision_tower.}, {@code model.multi_modal_projector.}; AUDIO for {@code a.}, {@code mm.a.}, {@code model.audio_tower.}; else TEXT. */
    public static Modality of(String tensorName) {
        if (tensorName.startsWith("mm.a.") || tensorName.startsWith("a.") || tensorName.startsWith("model.audio_tower.")) return AUDIO;
        if (tensorName.startsWith("v.") || tensorName.startsWith("mm.") || tensorName.startsWith("model.vision_tower.")
                || tensorName.startsWith("model.multi_modal_projector.")) return VISION;
        return TEXT;
    }
}
