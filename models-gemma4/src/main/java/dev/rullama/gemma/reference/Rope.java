package dev.rullama.gemma.reference;

import dev.rullama.gemma.LayerConfig;

/**
 * Rotary position embedding of one layer, NeoX style (HF {@code rotate_half}): within a head, dim i pairs with dim
 * i + dims/2 for i < dims/2 and the pair turns by {@code position · positionScale · invFreq[i]}. Dims at or beyond
 * {@code dims} are left alone.
 *
 * <p>Frequencies are computed in double from the config, so this is the exact rotation; HF and ggml compute the angle
 * in float32 and differ from it (and from each other) by about one float32 ulp of the angle.
 */
final class Rope {
    private final int dims;
    private final double positionScale;
    private final double[] invFreq;

    private Rope(int dims, double positionScale, double[] invFreq) {
        this.dims = dims;
        this.positionScale = positionScale;
        this.invFreq = invFreq;
    }

    /** @param freqFactors {@code rope_freqs.weight} when the layer uses it, else ignored */
    static Rope forLayer(LayerConfig layer, float[] freqFactors) {
        int dims = layer.ropeDims();
        int half = dims / 2;
        double[] inv = new double[half];
        int rotated = switch (layer.ropeFrequencies()) {
            case PROPORTIONAL -> (int) Math.floor(layer.ropePartialFactor() * dims / 2);
            default -> half;
        };
        for (int i = 0; i < half; i++) {
            double f = Math.pow(layer.ropeTheta(), -2.0 * i / dims);
            inv[i] = switch (layer.ropeFrequencies()) {
                case STANDARD -> f;
                case FREQ_FACTORS_TENSOR -> f / freqFactors[i];
                case PROPORTIONAL -> i < rotated ? f : 0.0;
            };
        }
        return new Rope(dims, layer.ropePositionScale(), inv);
    }

    /** Rotates the head at {@code x[off .. off+headDim)} for {@code position}. */
    void apply(float[] x, int off, int position) {
        int half = dims / 2;
        double p = position * positionScale;
        for (int i = 0; i < half; i++) {
            double angle = p * invFreq[i];
            if (angle == 0.0) continue;
            float c = (float) Math.cos(angle);
            float s = (float) Math.sin(angle);
            float a = x[off + i];
            float b = x[off + i + half];
            x[off + i] = a * c - b * s;
            x[off + i + half] = a * s + b * c;
        }
    }
}
