package dev.rullama.cli.bench;

import dev.rullama.api.BoundKernel;
import dev.rullama.api.CommandBatch;
import dev.rullama.api.DType;
import dev.rullama.api.Device;
import dev.rullama.api.OutOfDeviceMemoryException;
import dev.rullama.api.RullamaException;
import dev.rullama.api.Tensor;
import dev.rullama.shaders.Grid;
import dev.rullama.shaders.ops.CopyVec4;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The memory bandwidth ceiling of a device: the {@code copy_vec4} kernel copying one buffer into another, several
 * dispatches per submitted batch, each batch timed from submit until the queue reports it done. Bandwidth counts the
 * bytes read plus the bytes written (2 × the buffer per dispatch), as STREAM's copy does.
 */
public final class CopyCeiling {
    /** Default buffer size on a GPU: far beyond any cache. */
    public static final long GPU_DEFAULT_BYTES = 1L << 30;
    /** Default on a CPU adapter (lavapipe): enough to leave the caches, quick on two cores. */
    public static final long CPU_DEFAULT_BYTES = 64L << 20;
    /** The smallest buffer tried after out-of-memory halvings. */
    static final long MIN_BYTES = 1L << 20;
    static final int WG = 256;
    /** A timed batch runs at least this long (more dispatches per batch on fast devices), so submit costs vanish. */
    static final double MIN_BATCH_SECONDS = 0.02;
    static final int MAX_DISPATCHES = 256;

    /**
     * @param bytes              size of each of the two buffers (the copy reads and writes this many bytes per dispatch)
     * @param dispatchesPerBatch copies per timed batch
     * @param gbps               one sample per timed batch: 2 × bytes × dispatches / seconds / 1e9
     */
    public record Result(long bytes, int dispatchesPerBatch, List<Double> gbps) {
        public double mean() { return Stats.mean(gbps); }

        public double stddev() { return Stats.stddev(gbps); }
    }

    private CopyCeiling() {}

    /** The buffer size to use: {@code requested} (or the default for the adapter type), within the device's limits. */
    public static long size(Device d, Long requested) {
        long want = requested != null ? requested : "CPU".equals(d.adapter().type()) ? CPU_DEFAULT_BYTES : GPU_DEFAULT_BYTES;
        long max = Math.min(d.limits().maxStorageBufferBindingSize(), d.limits().maxBufferSize());
        long bytes = Math.min(want, max) & ~15L;
        if (bytes < 16) throw new IllegalArgumentException("the copy buffer needs at least 16 bytes, not " + bytes);
        return bytes;
    }

    /** Measures with {@code batches} timed batches after one untimed warm-up batch; halves the size on out-of-memory. */
    public static Result measure(Device d, long bytes, int batches, Consumer<String> progress) throws RullamaException {
        if (batches < 1) throw new IllegalArgumentException("batches must be at least 1");
        while (true) {
            try {
                return run(d, bytes, batches);
            } catch (OutOfDeviceMemoryException e) {
                if (bytes / 2 < MIN_BYTES) throw e;
                bytes = (bytes / 2) & ~15L;
                progress.accept("out of GPU memory for the copy buffers; trying " + (bytes >> 20) + " MiB");
            }
        }
    }

    private static Result run(Device d, long bytes, int batches) throws RullamaException {
        long vec4s = bytes / CopyVec4.ELEMENT_BYTES;
        try (Tensor params = d.upload("copy.params", CopyVec4.params(vec4s));
             Tensor src = d.createTensor("copy.src", DType.U32, bytes / 4);
             Tensor dst = d.createTensor("copy.dst", DType.U32, bytes / 4);
             BoundKernel k = d.bind(d.compile(CopyVec4.spec(WG)), params, src, dst)) {
            Grid g = Grid.fold(CopyVec4.workgroups(vec4s, WG), d.limits());
            double warm = time(d, k, g, 2) / 2; // compiles, faults pages in, and sizes the batches
            int per = (int) Math.max(2, Math.min(MAX_DISPATCHES, Math.ceil(MIN_BATCH_SECONDS / Math.max(warm, 1e-9))));
            List<Double> gbps = new ArrayList<>();
            for (int i = 0; i < batches; i++) gbps.add(2.0 * bytes * per / time(d, k, g, per) / 1e9);
            return new Result(bytes, per, gbps);
        }
    }

    private static double time(Device d, BoundKernel k, Grid g, int dispatches) throws RullamaException {
        try (CommandBatch b = d.newBatch()) {
            for (int i = 0; i < dispatches; i++) b.dispatch(k, g.x(), g.y(), g.z());
            long t0 = System.nanoTime();
            b.submitAndWait();
            return (System.nanoTime() - t0) / 1e9;
        }
    }
}
