package dev.rullama.gemma.reference;

import dev.rullama.gguf.GgmlType;

/**
 * The roundings of ggml's CPU backend that {@link Arithmetic#GGML_CPU} reproduces (ggml-cpu {@code type_traits_cpu},
 * {@code quantize_row_q8_0} on x86, {@code quantize_row_q8_K_ref}, {@code ggml_vec_geglu_f32}). A quantized weight
 * row times a Q8 activation block in ggml is {@code Σ d_w·d_a·Σ q_w·q_a} with exact integer inner sums, which equals
 * the float dot product of the decoded weight row with the decoded (quantized-then-dequantized) activation up to
 * float32 rounding; so rounding the activation here and then running the ordinary float dot gives ggml's numbers to
 * about 1e-6.
 */
final class GgmlCpuRounding {
    private GgmlCpuRounding() {}

    /** The activation vector as ggml sees it in a product with a weight of type {@code weight}. */
    static float[] activations(float[] x, GgmlType weight) {
        return switch (weight) {
            case F16 -> f16(x);
            case BF16 -> bf16(x);
            case Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, MXFP4, NVFP4 -> q8_0(x);
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> q8K(x);
            default -> x;
        };
    }

    /**
     * Q8_0 as ggml's x86 (AVX) {@code quantize_row_q8_0} makes it: per block of 32, {@code d = amax/127} stored as f16,
     * {@code q = round_half_even(x · 127/amax)}; the dot product then uses {@code q · f16(d)}. (Q8_1, used for Q4_1 and
     * Q5_1, quantizes the same way.)
     */
    static float[] q8_0(float[] x) {
        if (x.length % 32 != 0) return x;
        float[] y = new float[x.length];
        for (int b = 0; b < x.length; b += 32) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b + j]));
            float d = Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
            float id = amax != 0f ? 127f / amax : 0f;
            for (int j = 0; j < 32; j++) y[b + j] = (float) Math.rint(x[b + j] * id) * d;
        }
        return y;
    }

    /**
     * Q8_K ({@code quantize_row_q8_K_ref}): per block of 256, with {@code max} the element of largest magnitude (its
     * sign kept), {@code iscale = −127/max}, {@code q = min(127, nearest_int(iscale·x))}, {@code d = 1/iscale} (f32).
     */
    static float[] q8K(float[] x) {
        if (x.length % 256 != 0) return x;
        float[] y = new float[x.length];
        for (int b = 0; b < x.length; b += 256) {
            float amax = 0, max = 0;
            for (int j = 0; j < 256; j++) {
                float ax = Math.abs(x[b + j]);
                if (ax > amax) { amax = ax; max = x[b + j]; }
            }
            if (amax == 0f) continue;
            float iscale = -127f / max;
            float d = 1f / iscale;
            for (int j = 0; j < 256; j++) y[b + j] = Math.min(127, nearestInt(iscale * x[b + j])) * d;
        }
        return y;
    }

    /** ggml's {@code nearest_int}: round half to even through the 1.5·2^23 trick. */
    private static int nearestInt(float v) {
        float val = v + 12582912f;
        return (Float.floatToRawIntBits(val) & 0x007fffff) - 0x00400000;
    }

    static float[] f16(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = Float.float16ToFloat(Float.floatToFloat16(x[i]));
        return y;
    }

    /** ggml's {@code GGML_FP32_TO_BF16}: round to nearest even (NaN kept quiet). */
    static float[] bf16(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = bf16(x[i]);
        return y;
    }

    static float bf16(float v) {
        int u = Float.floatToRawIntBits(v);
        if ((u & 0x7fffffff) > 0x7f800000) return Float.intBitsToFloat(((u >>> 16) | 64) << 16);
        return Float.intBitsToFloat(((u + (0x7fff + ((u >>> 16) & 1))) >>> 16) << 16);
    }

    /**
     * GELU through ggml's table: 0 at or below −10, x at or above 10, otherwise the f16 value of
     * {@code ggml_gelu_f32(f16(x))}.
     */
    static float gelu(float x) {
        if (x <= -10f) return 0f;
        if (x >= 10f) return x;
        float h = Float.float16ToFloat(Float.floatToFloat16(x));
        float g = 0.5f * h * (1.0f + (float) Math.tanh(0.79788456080286535587989211986876f * h * (1.0f + 0.044715f * h * h)));
        return Float.float16ToFloat(Float.floatToFloat16(g));
    }
}
