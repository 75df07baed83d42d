package dev.rullama.shaders.conformance;

import dev.rullama.api.Access;
import dev.rullama.api.BoundKernel;
import dev.rullama.api.CommandBatch;
import dev.rullama.api.DType;
import dev.rullama.api.Device;
import dev.rullama.api.Kernel;
import dev.rullama.api.KernelSpec;
import dev.rullama.api.RullamaException;
import dev.rullama.api.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Runs a {@link KernelCase} on a device and compares it with its reference. Every storage operand is allocated
 * with a guard of {@link #GUARD_WORDS} words after it, filled with a NaN {@link #POISON} pattern, and bound whole:
 * a kernel that reads past its logical end reads NaN (which spoils its output), one that writes past it clobbers
 * the guard, and an output element the kernel never wrote keeps the poison. All three fail the case.
 */
public final class ConformanceHarness {
    public static final int GUARD_WORDS = 64;
    /** A quiet NaN with a payload no arithmetic produces. */
    public static final int POISON = 0x7FC0_DEAD;

    private final Device device;

    public ConformanceHarness(Device device) {
        this.device = device;
    }

    public CaseReport run(KernelCase c, Random random) throws RullamaException {
        return run(c, c.spec(), random);
    }

    /** Runs {@code c}'s inputs and reference against another spec (a deliberately broken variant, in self-tests). */
    public CaseReport run(KernelCase c, KernelSpec spec, Random random) throws RullamaException {
        KernelCase.Prepared p = c.prepare(random, device.limits());
        List<Tensor> tensors = new ArrayList<>();
        try {
            for (KernelSpec.Binding b : spec.bindings()) {
                int[] words = p.bindings().get(b.index());
                boolean uniform = b.access() == Access.UNIFORM;
                int guard = uniform ? 0 : GUARD_WORDS;
                Tensor t = device.createTensor(c.kernel() + "." + b.name(), DType.U32, words.length + guard);
                tensors.add(t);
                int[] init = new int[words.length + guard];
                java.util.Arrays.fill(init, POISON);
                if (b.access() != Access.READ_WRITE || p.initialized().contains(b.index())) System.arraycopy(words, 0, init, 0, words.length);
                device.write(t, init);
            }
            Kernel kernel = device.compile(spec);
            try (BoundKernel bound = device.bind(kernel, tensors.toArray(Tensor[]::new));
                 CommandBatch batch = device.newBatch()) {
                batch.dispatch(bound, p.grid().x(), p.grid().y(), p.grid().z());
                batch.submitAndWait();
            }
            double maxAbs = 0, maxRef = 0;
            int clobbered = 0, unwritten = 0;
            boolean finite = true;
            for (Map.Entry<Integer, float[]> out : p.expected().entrySet()) {
                float[] ref = out.getValue();
                int[] got = device.readInts(tensors.get(out.getKey()));
                for (int i = 0; i < ref.length; i++) {
                    if (got[i] == POISON) unwritten++;
                    float g = Float.intBitsToFloat(got[i]);
                    if (!Float.isFinite(g)) finite = false;
                    maxAbs = Math.max(maxAbs, Math.abs((double) g - ref[i]));
                    maxRef = Math.max(maxRef, Math.abs(ref[i]));
                }
                for (int i = ref.length; i < got.length; i++) if (got[i] != POISON) clobbered++;
            }
            double norm = finite ? maxAbs / Math.max(maxRef, 1e-30) : Double.NaN;
            boolean passed = finite && clobbered == 0 && unwritten == 0 && norm <= c.tolerance().maxNormalizedError();
            return new CaseReport(device.backendName(), c.kernel(), c.shape(), c.dtype(), finite ? maxAbs : Double.NaN, norm,
                    c.tolerance(), clobbered, unwritten, passed);
        } finally {
            for (Tensor t : tensors) t.close();
        }
    }
}
