package dev.rullama.shaders.conformance;

import dev.rullama.api.Access;
import dev.rullama.api.BoundKernel;
import dev.rullama.api.CommandBatch;
import dev.rullama.api.DType;
import dev.rullama.api.Device;
import dev.rullama.api.KernelSpec;
import dev.rullama.api.RullamaException;
import dev.rullama.api.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Runs a {@link ChainCase}: every buffer gets {@link ConformanceHarness#GUARD_WORDS} NaN-poisoned guard words after
 * it (uniforms excepted), outputs start poisoned, all dispatches go into one batch. The case fails when a float output
 * is off by more than its tolerance or non-finite, an integer output differs in any word, an expected element was never
 * written, or any guard word changed.
 */
public final class ChainHarness {
    private final Device device;

    public ChainHarness(Device device) {
        this.device = device;
    }

    /** The outcome: the usual report line plus the count of integer words that differ from the reference. */
    public record Report(CaseReport base, int exactMismatches, String firstMismatch) {
        public boolean passed() { return base.passed() && exactMismatches == 0; }

        public String line() {
            return base.line().replaceFirst(" (PASS|FAIL)$", "") + " exactMismatch=" + exactMismatches
                    + (firstMismatch.isEmpty() ? "" : " (" + firstMismatch + ")") + (passed() ? " PASS" : " FAIL");
        }
    }

    public Report run(ChainCase c, Random random) throws RullamaException {
        return run(c, random, java.util.function.UnaryOperator.identity());
    }

    /** Runs {@code c} with each dispatch's spec replaced by {@code variant(spec)} (deliberately broken kernels, in self-tests). */
    public Report run(ChainCase c, Random random, java.util.function.UnaryOperator<KernelSpec> variant) throws RullamaException {
        ChainCase.Prepared p = c.prepare(random, device.limits());
        List<Tensor> tensors = new ArrayList<>();
        List<BoundKernel> bound = new ArrayList<>();
        try {
            for (ChainCase.Buffer b : p.buffers()) {
                int guard = b.uniform() ? 0 : ConformanceHarness.GUARD_WORDS;
                Tensor t = device.createTensor(c.kernel() + "." + b.name(), DType.U32, b.words() + guard);
                int[] init = new int[b.words() + guard];
                Arrays.fill(init, ConformanceHarness.POISON);
                if (b.init() != null) System.arraycopy(b.init(), 0, init, 0, b.words());
                device.write(t, init);
                tensors.add(t);
            }
            for (ChainCase.Dispatch d : p.dispatches()) {
                KernelSpec spec = variant.apply(d.spec());
                if (spec.bindings().size() != d.buffers().length)
                    throw new IllegalArgumentException(c.kernel() + ": " + spec.name() + " has " + spec.bindings().size() + " bindings, the case binds " + d.buffers().length);
                Tensor[] res = new Tensor[d.buffers().length];
                for (int i = 0; i < res.length; i++) {
                    ChainCase.Buffer b = p.buffers().get(d.buffers()[i]);
                    if (b.uniform() != (spec.bindings().get(i).access() == Access.UNIFORM))
                        throw new IllegalArgumentException(c.kernel() + ": buffer " + b.name() + " bound to " + spec.bindings().get(i));
                    res[i] = tensors.get(d.buffers()[i]);
                }
                bound.add(device.bind(device.compile(spec), res));
            }
            try (CommandBatch batch = device.newBatch()) {
                for (int i = 0; i < bound.size(); i++) {
                    var g = p.dispatches().get(i).grid();
                    batch.dispatch(bound.get(i), g.x(), g.y(), g.z());
                }
                batch.submitAndWait();
            }

            int clobbered = 0, unwritten = 0, mismatches = 0;
            String first = "";
            double maxAbs = 0, maxRef = 0;
            boolean finite = true;
            for (int bi = 0; bi < p.buffers().size(); bi++) {
                ChainCase.Buffer b = p.buffers().get(bi);
                if (b.uniform()) continue;
                float[] ref = p.expected().get(bi);
                int[] exact = p.exact().get(bi);
                if (ref == null && exact == null && b.init() != null && !written(p, bi)) continue;
                int[] got = device.readInts(tensors.get(bi));
                for (int i = b.words(); i < got.length; i++) if (got[i] != ConformanceHarness.POISON) clobbered++;
                if (ref != null) {
                    for (int i = 0; i < ref.length; i++) {
                        if (got[i] == ConformanceHarness.POISON) unwritten++;
                        float g = Float.intBitsToFloat(got[i]);
                        if (!Float.isFinite(g)) finite = false;
                        maxAbs = Math.max(maxAbs, Math.abs((double) g - ref[i]));
                        maxRef = Math.max(maxRef, Math.abs(ref[i]));
                    }
                }
                if (exact != null) {
                    for (int i = 0; i < exact.length; i++) {
                        if (got[i] == ConformanceHarness.POISON) unwritten++;
                        if (got[i] != exact[i]) {
                            if (mismatches++ == 0) first = b.name() + "[" + i + "]=" + got[i] + " expected " + exact[i];
                        }
                    }
                }
            }
            double norm = finite ? (maxRef == 0 ? maxAbs : maxAbs / maxRef) : Double.NaN;
            boolean passed = finite && clobbered == 0 && unwritten == 0 && norm <= c.tolerance().maxNormalizedError();
            CaseReport base = new CaseReport(device.backendName(), c.kernel(), c.shape(), c.dtype(), finite ? maxAbs : Double.NaN, norm,
                    c.tolerance(), clobbered, unwritten, passed);
            return new Report(base, mismatches, first);
        } finally {
            for (BoundKernel k : bound) k.close();
            for (Tensor t : tensors) t.close();
        }
    }

    /** Whether some dispatch binds buffer {@code bi} writable (its guard must then be checked). */
    private static boolean written(ChainCase.Prepared p, int bi) {
        for (ChainCase.Dispatch d : p.dispatches())
            for (int i = 0; i < d.buffers().length; i++)
                if (d.buffers()[i] == bi && d.spec().bindings().get(i).access() == Access.READ_WRITE) return true;
        return false;
    }
}
