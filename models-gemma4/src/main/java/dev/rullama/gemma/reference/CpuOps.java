package dev.rullama.gemma.reference;

import dev.rullama.gemma.WeightMatrix;

import java.util.stream.IntStream;

/**
 * The handful of numeric primitives the reference forward pass is written in, in float32 with float32 accumulation
 * (norm and softmax sums in double, which only makes them more exact). Each result depends only on its own inputs,
 * never on how many tokens are processed together, so a batched prefill and a token-by-token decode give the same
 * bits.
 */
final class CpuOps {
    /** Below this many weights a matrix product runs on the calling thread; forking would cost more than it saves. */
    private static final long PARALLEL_THRESHOLD = 1 << 15;
    private static final int THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());

    private CpuOps() {}

    /**
     * {@code y[b][r] = W.row(r) · x[b]} for every input vector b: each weight row is decoded once into a scratch array
     * and dotted with all the inputs, so a batch pays for the decode once. Rows are split over the common ForkJoin
     * pool in contiguous chunks.
     */
    static float[][] matmul(WeightMatrix w, float[][] xs) {
        return matmul(w, xs, Arithmetic.EXACT);
    }

    /** As {@link #matmul(WeightMatrix, float[][])}; under {@link Arithmetic#GGML_CPU} the inputs are first rounded as ggml does. */
    static float[][] matmul(WeightMatrix w, float[][] inputs, Arithmetic arithmetic) {
        float[][] xs = inputs;
        if (arithmetic == Arithmetic.GGML_CPU) {
            float[][] rounded = new float[inputs.length][];
            for (int b = 0; b < rounded.length; b++) rounded[b] = GgmlCpuRounding.activations(inputs[b], w.tensor().type());
            xs = rounded;
        }
        return product(w, xs);
    }

    private static float[][] product(WeightMatrix w, float[][] xs) {
        int rows = w.rows();
        int cols = w.cols();
        for (float[] x : xs) {
            if (x.length != cols) throw new IllegalArgumentException(w.name() + ": input of " + x.length + ", expected " + cols);
        }
        float[][] ys = new float[xs.length][rows];
        if ((long) rows * cols < PARALLEL_THRESHOLD || THREADS == 1) {
            matmulRows(w, xs, ys, 0, rows);
            return ys;
        }
        int chunks = Math.min(rows, THREADS * 8);
        IntStream.range(0, chunks).parallel().forEach(c -> {
            int from = (int) ((long) rows * c / chunks);
            int to = (int) ((long) rows * (c + 1) / chunks);
            matmulRows(w, xs, ys, from, to);
        });
        return ys;
    }

    private static void matmulRows(WeightMatrix w, float[][] xs, float[][] ys, int from, int to) {
        float[] row = new float[w.cols()];
        for (int r = from; r < to; r++) {
            w.dequantizeRow(r, row);
            for (int b = 0; b < xs.length; b++) ys[b][r] = dot(row, 0, xs[b], 0, row.length);
        }
    }

    /**
     * {@code a[ao..ao+n) · b[bo..bo+n)}: eight float32 partial sums, each updated by a fused multiply-add (one rounding
     * per term), combined pairwise. A fixed order, so the result is reproducible; eight independent chains keep the
     * FMA units busy.
     */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            int x = ao + i, y = bo + i;
            s0 = Math.fma(a[x], b[y], s0);
            s1 = Math.fma(a[x + 1], b[y + 1], s1);
            s2 = Math.fma(a[x + 2], b[y + 2], s2);
            s3 = Math.fma(a[x + 3], b[y + 3], s3);
            s4 = Math.fma(a[x + 4], b[y + 4], s4);
            s5 = Math.fma(a[x + 5], b[y + 5], s5);
            s6 = Math.fma(a[x + 6], b[y + 6], s6);
            s7 = Math.fma(a[x + 7], b[y + 7], s7);
        }
        for (; i < n; i++) s0 = Math.fma(a[ao + i], b[bo + i], s0);
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /** {@code RMSNorm(x) = x / sqrt(mean(x²) + eps) ⊙ w} in place over {@code x[off..off+n)}; {@code w == null}: no weight. */
    static void rmsNorm(float[] x, int off, int n, float[] w, float eps) {
        double ss = 0;
        for (int i = 0; i < n; i++) ss += (double) x[off + i] * x[off + i];
        float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
        if (w == null) {
            for (int i = 0; i < n; i++) x[off + i] = x[off + i] * inv;
        } else {
            for (int i = 0; i < n; i++) x[off + i] = x[off + i] * inv * w[i];
        }
    }

    /** RMSNorm of a copy of {@code x}. */
    static float[] rmsNorm(float[] x, float[] w, float eps) {
        float[] y = x.clone();
        rmsNorm(y, 0, y.length, w, eps);
        return y;
    }

    /** RMSNorm of each row, into new arrays. */
    static float[][] rmsNormRows(float[][] x, float[] w, float eps) {
        float[][] y = new float[x.length][];
        for (int i = 0; i < x.length; i++) y[i] = rmsNorm(x[i], w, eps);
        return y;
    }

    /** GELU, tanh approximation (HF {@code gelu_pytorch_tanh}, ggml {@code gelu}). */
    static float geluTanh(float x) {
        double v = x;
        return (float) (0.5 * v * (1.0 + Math.tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))));
    }

    /** GELU under the given arithmetic (ggml's f16 table for {@link Arithmetic#GGML_CPU}). */
    static float gelu(float x, Arithmetic arithmetic) {
        return arithmetic == Arithmetic.GGML_CPU ? GgmlCpuRounding.gelu(x) : geluTanh(x);
    }

    /** {@code gelu_tanh(gate) ⊙ up}, into {@code gate}. */
    static void geluGate(float[] gate, float[] up, Arithmetic arithmetic) {
        for (int i = 0; i < gate.length; i++) gate[i] = gelu(gate[i], arithmetic) * up[i];
    }

    /** Softmax over {@code x[0..n)} in place, max-subtracted. */
    static void softmax(float[] x, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[i]);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[i] - max);
            x[i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) x[i] *= inv;
    }

    /** {@code x += y}. */
    static void addInPlace(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) x[i] += y[i];
    }
}
