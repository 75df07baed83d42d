package dev.rullama.api.webgpu;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Makes a Vulkan loader and driver reachable before Dawn or wgpu-native look for them, once per JVM.
 * <ul>
 * <li>Loader: the system's {@code libvulkan.so.1}, else the copy {@code scripts/setup.sh} cached. Loading it by path
 * first makes the implementations' own {@code dlopen("libvulkan.so.1")} find it by its soname.</li>
 * <li>Driver ({@code -Drullama.vulkan.driver} / {@code $RULLAMA_VULKAN_DRIVER}: {@code auto|system|lavapipe}):
 * {@code lavapipe} pins the cached Mesa 25 lavapipe with {@code VK_DRIVER_FILES}; {@code auto} keeps a user's own
 * {@code VK_DRIVER_FILES}/{@code VK_ICD_FILENAMES}, else uses installed drivers, else falls back to the cached
 * lavapipe and says so (the choice is always logged and shown by {@code rullama backends}).</li>
 * </ul>
 */
public final class VulkanEnvironment {
    private static final Logger LOG = LoggerFactory.getLogger(VulkanEnvironment.class);
    private static final List<Path> ICD_DIRS = List.of(Path.of("/etc/vulkan/icd.d"), Path.of("/usr/share/vulkan/icd.d"),
            Path.of("/usr/local/share/vulkan/icd.d"));
    private static String summary;

    private VulkanEnvironment() {}

    /** Prepares loader and driver (idempotent) and returns one line saying what was chosen. */
    public static synchronized String prepare() {
        if (summary != null) return summary;
        String loader = loadLoader();
        String driver = chooseDriver();
        if (getenv("XDG_RUNTIME_DIR") == null) setenv("XDG_RUNTIME_DIR", System.getProperty("java.io.tmpdir"));
        summary = "Vulkan loader: " + loader + "; driver: " + driver;
        LOG.debug(summary);
        return summary;
    }

    private static String loadLoader() {
        try {
            SymbolLookup.libraryLookup("libvulkan.so.1", Arena.global());
            return "system libvulkan.so.1";
        } catch (IllegalArgumentException notOnSystem) {
            Path cached = RullamaCache.dir().resolve("vulkan/libvulkan.so.1");
            if (Files.isRegularFile(cached)) {
                SymbolLookup.libraryLookup(cached, Arena.global());
                return cached.toString();
            }
            return "none found (install libvulkan1 or run scripts/setup.sh)";
        }
    }

    private static String chooseDriver() {
        String mode = System.getProperty("rullama.vulkan.driver", System.getenv().getOrDefault("RULLAMA_VULKAN_DRIVER", "auto"))
                .strip().toLowerCase(Locale.ROOT);
        Path lavapipe = RullamaCache.dir().resolve("lavapipe/lvp_icd.json");
        String pinned = getenv("VK_DRIVER_FILES") != null ? getenv("VK_DRIVER_FILES") : getenv("VK_ICD_FILENAMES");
        switch (mode) {
            case "lavapipe" -> {
                if (!Files.isRegularFile(lavapipe)) return "lavapipe requested but " + lavapipe + " is missing (run scripts/setup.sh)";
                setenv("VK_DRIVER_FILES", lavapipe.toString());
                return "lavapipe (CPU) pinned by RULLAMA_VULKAN_DRIVER=lavapipe";
            }
            case "system" -> {
                return pinned != null ? "pinned by VK_DRIVER_FILES=" + pinned : "installed drivers";
            }
            default -> {
                if (pinned != null) return "pinned by VK_DRIVER_FILES=" + pinned;
                if (systemHasDrivers()) return "installed drivers";
                if (Files.isRegularFile(lavapipe)) {
                    setenv("VK_DRIVER_FILES", lavapipe.toString());
                    LOG.warn("No Vulkan driver is installed; using lavapipe (Mesa's CPU rasterizer) from the setup cache. It is correct but slow.");
                    return "lavapipe (CPU) from the setup cache, because no Vulkan driver is installed";
                }
                return "none installed (install a GPU driver, or run scripts/setup.sh for lavapipe)";
            }
        }
    }

    private static boolean systemHasDrivers() {
        for (Path d : ICD_DIRS) {
            if (!Files.isDirectory(d)) continue;
            try (Stream<Path> s = Files.list(d)) {
                if (s.anyMatch(p -> p.toString().endsWith(".json"))) return true;
            } catch (IOException e) {
                LOG.debug("cannot list {}: {}", d, e.toString());
            }
        }
        return false;
    }

    // The process environment as the native libraries see it (System.getenv is a start-up snapshot).
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle GETENV = LINKER.downcallHandle(LINKER.defaultLookup().find("getenv").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    private static final MethodHandle SETENV = LINKER.downcallHandle(LINKER.defaultLookup().find("setenv").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    static String getenv(String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = (MemorySegment) GETENV.invokeExact(a.allocateFrom(name));
            return v.equals(MemorySegment.NULL) ? null : v.reinterpret(1 << 16).getString(0);
        } catch (Throwable t) {
            throw new IllegalStateException("getenv(" + name + ")", t);
        }
    }

    static void setenv(String name, String value) {
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) SETENV.invokeExact(a.allocateFrom(name), a.allocateFrom(value), 1);
            if (rc != 0) throw new IllegalStateException("setenv(" + name + ") failed");
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("setenv(" + name + ")", t);
        }
    }
}
