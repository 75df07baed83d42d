package dev.rullama.api.webgpu;

import dev.rullama.api.BoundKernel;
import dev.rullama.api.CommandBatch;
import dev.rullama.api.GpuException;
import dev.rullama.api.RullamaException;
import dev.rullama.api.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Records into one command encoder; consecutive dispatches share one compute pass (a copy or clear ends it).
 * The hot calls use {@code invokeExact} on handles looked up once.
 */
final class WebGpuBatch implements CommandBatch {
    private final WebGpuDevice device;
    private final MethodHandle setPipeline, setBindGroup, dispatch, endPass, releasePass, beginPass;
    private MemorySegment encoder = MemorySegment.NULL;
    private MemorySegment pass = MemorySegment.NULL;
    private int dispatches;
    private boolean finished;

    WebGpuBatch(WebGpuDevice device) {
        this.device = device;
        WebGpuApi api = device.api();
        setPipeline = api.fn("wgpuComputePassEncoderSetPipeline");
        setBindGroup = api.fn("wgpuComputePassEncoderSetBindGroup");
        dispatch = api.fn("wgpuComputePassEncoderDispatchWorkgroups");
        endPass = api.fn("wgpuComputePassEncoderEnd");
        releasePass = api.fn("wgpuComputePassEncoderRelease");
        beginPass = api.fn("wgpuCommandEncoderBeginComputePass");
    }

    private MemorySegment encoder() throws Throwable {
        if (finished) throw new IllegalStateException("this batch was already submitted or closed");
        if (encoder.equals(MemorySegment.NULL))
            encoder = (MemorySegment) device.api().fn("wgpuDeviceCreateCommandEncoder").invoke(device.handle(), MemorySegment.NULL);
        return encoder;
    }

    private void endPass() throws Throwable {
        if (pass.equals(MemorySegment.NULL)) return;
        endPass.invokeExact(pass);
        releasePass.invokeExact(pass);
        pass = MemorySegment.NULL;
    }

    @Override
    public CommandBatch dispatch(BoundKernel kernel, int x, int y, int z) {
        if (!(kernel instanceof WebGpuBoundKernel b)) throw new IllegalArgumentException("kernel was not bound by a WebGPU device");
        try {
            device.checkDispatch(b, x, y, z);
            MemorySegment enc = encoder();
            if (pass.equals(MemorySegment.NULL)) pass = (MemorySegment) beginPass.invokeExact(enc, MemorySegment.NULL);
            setPipeline.invokeExact(pass, b.webGpuKernel().pipeline());
            setBindGroup.invokeExact(pass, 0, b.group(), 0L, MemorySegment.NULL);
            dispatch.invokeExact(pass, x, y, z);
            dispatches++;
            return this;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("recording a dispatch of " + kernel.kernel().spec().name() + " failed", t);
        }
    }

    private static WebGpuTensor tensor(Tensor t, WebGpuDevice device) {
        if (!(t instanceof WebGpuTensor w) || w.device() != device || w.isReleased())
            throw new IllegalArgumentException(t.label() + " does not belong to this device or was closed");
        return w;
    }

    @Override
    public CommandBatch copy(Tensor src, Tensor dst) {
        WebGpuTensor s = tensor(src, device), d = tensor(dst, device);
        if (s.byteSize() != d.byteSize() || s.byteSize() % 4 != 0 || s.byteOffset() % 4 != 0 || d.byteOffset() % 4 != 0)
            throw new IllegalArgumentException("copy " + s.label() + " -> " + d.label() + ": sizes must match and sizes/offsets be multiples of 4");
        try {
            MemorySegment enc = encoder();
            endPass();
            device.api().fn("wgpuCommandEncoderCopyBufferToBuffer").invoke(enc, s.buffer(), s.byteOffset(), d.buffer(), d.byteOffset(), s.byteSize());
            return this;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("recording a copy failed", t);
        }
    }

    @Override
    public CommandBatch clear(Tensor dst) {
        WebGpuTensor d = tensor(dst, device);
        if (d.byteSize() % 4 != 0 || d.byteOffset() % 4 != 0)
            throw new IllegalArgumentException("clear " + d.label() + ": size and offset must be multiples of 4");
        try {
            MemorySegment enc = encoder();
            endPass();
            device.api().fn("wgpuCommandEncoderClearBuffer").invoke(enc, d.buffer(), d.byteOffset(), d.byteSize());
            return this;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("recording a clear failed", t);
        }
    }

    @Override
    public int dispatchCount() { return dispatches; }

    @Override
    public void submit() throws RullamaException {
        try {
            MemorySegment enc = encoder();
            endPass();
            finished = true;
            encoder = MemorySegment.NULL;
            device.submitEncoder(enc);
        } catch (RullamaException e) {
            throw e;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new GpuException(device.backendName() + ": submit failed: " + t);
        }
        if (device.options().validateDispatches()) submittedWork();
    }

    @Override
    public void submitAndWait() throws RullamaException {
        submit();
        submittedWork();
    }

    private void submittedWork() throws RullamaException {
        device.waitIdle();
    }

    @Override
    public void close() {
        if (finished) return;
        finished = true;
        try {
            endPass();
            if (!encoder.equals(MemorySegment.NULL)) device.api().fn("wgpuCommandEncoderRelease").invoke(encoder);
        } catch (Throwable t) {
            // discarding unsubmitted work; nothing to report
        }
        encoder = MemorySegment.NULL;
    }
}
