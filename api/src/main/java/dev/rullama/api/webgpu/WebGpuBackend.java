package dev.rullama.api.webgpu;

import dev.rullama.api.Availability;
import dev.rullama.api.Backend;
import dev.rullama.api.BackendUnavailableException;
import dev.rullama.api.Device;
import dev.rullama.api.DeviceOptions;
import dev.rullama.api.RullamaException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.util.Optional;

/**
 * A {@link Backend} for any implementation of the standard {@code webgpu.h} C API. A subclass supplies the name,
 * the generated header bindings, where its library lives, and how it pumps events; the device, buffers, pipelines
 * and command recording are shared ({@link WebGpuDevice}). The library is loaded with its own
 * {@link SymbolLookup} (dlopen, RTLD_LOCAL), so Dawn and wgpu-native can both live in one JVM.
 */
public abstract class WebGpuBackend implements Backend {
    private final String name;
    private final int priority;
    private final WebGpuHeader header;
    private final NativeLibraryLocator locator;
    private volatile Loaded loaded;

    /** The bound library of this backend, loaded once per JVM. */
    record Loaded(WebGpuApi api, Callbacks callbacks, String libraryPath) {}

    protected WebGpuBackend(String name, int priority, WebGpuHeader header, NativeLibraryLocator locator) {
        this.name = name;
        this.priority = priority;
        this.header = header;
        this.locator = locator;
    }

    @Override
    public String name() { return name; }

    @Override
    public int priority() { return priority; }

    @Override
    public String description() {
        return header.implementation() + " via java.lang.foreign; bindings generated from " + String.join(" + ", header.headerFiles());
    }

    public WebGpuHeader header() { return header; }

    @Override
    public Availability probe() {
        Optional<NativeLibraryLocator.Found> found = locator.locate();
        if (found.isEmpty()) return Availability.unavailable(locator.notFoundMessage(header.implementation() + " library"));
        NativeLibraryLocator.Found f = found.get();
        if (!Files.isReadable(f.path()))
            return Availability.unavailable(header.implementation() + " library " + f.path() + " (from " + f.source()
                    + ") does not exist or is not readable; fix that path, or unset it and run scripts/setup.sh");
        return Availability.available(f.path() + " (" + f.source() + ")");
    }

    @Override
    public Device open(DeviceOptions options) throws RullamaException {
        return WebGpuDevice.open(this, load(), options);
    }

    /** The bound library (loading it on first use). Exposed for the smoke test that counts calls per bound function. */
    public WebGpuApi api() throws BackendUnavailableException { return load().api(); }

    private synchronized Loaded load() throws BackendUnavailableException {
        if (loaded != null) return loaded;
        NativeLibraryLocator.Found f = locator.locate().orElseThrow(() ->
                new BackendUnavailableException(locator.notFoundMessage(header.implementation() + " library")));
        VulkanEnvironment.prepare();
        SymbolLookup lookup;
        try {
            lookup = SymbolLookup.libraryLookup(f.path(), Arena.global());
        } catch (IllegalArgumentException | IllegalCallerException e) {
            throw new BackendUnavailableException("cannot load " + f.path() + " (from " + f.source() + "): " + e.getMessage()
                    + (e instanceof IllegalCallerException ? "; run java with --enable-native-access=ALL-UNNAMED" : ""), e);
        }
        WebGpuApi api = new WebGpuApi(header, lookup, f.path().toString(), Boolean.getBoolean("rullama.webgpu.countCalls"));
        loaded = new Loaded(api, new Callbacks(header), f.path().toString());
        return loaded;
    }

    /**
     * Debug aid: destroys a device's native device while it is still open, as a driver reset or GPU hang would,
     * so that callers can test how they handle device loss. Later calls on {@code device} raise a
     * {@link dev.rullama.api.GpuException} carrying the implementation's loss message.
     */
    public static void loseDevice(Device device) throws RullamaException {
        if (!(device instanceof WebGpuDevice d)) throw new IllegalArgumentException("not a WebGPU device: " + device);
        try {
            d.loseForTesting();
        } catch (RullamaException e) {
            throw e;
        } catch (Throwable t) {
            throw new dev.rullama.api.GpuException("destroying the device failed: " + t);
        }
    }

    /**
     * Lets the implementation deliver pending callbacks. {@code device} is NULL before a device exists.
     * Must return promptly unless {@code block} is true.
     */
    protected abstract void pumpEvents(WebGpuApi api, MemorySegment instance, MemorySegment device, boolean block) throws Throwable;
}
