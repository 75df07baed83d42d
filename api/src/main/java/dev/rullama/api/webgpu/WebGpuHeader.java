package dev.rullama.api.webgpu;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.StructLayout;
import java.util.List;
import java.util.Map;

/**
 * What the project's binding generator ({@code tools/bindgen}) extracts from one implementation's {@code webgpu.h}:
 * the C layouts of the structs, the signatures of the bound functions and callbacks, and the enum/flag constants.
 * Each backend module checks in one generated implementation of this interface. The shared engine reads layouts and
 * constants by their C names, so the same engine drives every implementation whose header it was generated from.
 */
public interface WebGpuHeader {
    /** Short name of the implementation the header belongs to, e.g. {@code dawn} or {@code wgpu-native}. */
    String implementation();

    /** The header files the bindings were generated from, relative to the repository root. */
    List<String> headerFiles();

    /** SHA-256 (hex) of each header file, in the order of {@link #headerFiles()}. */
    List<String> headerSha256();

    /** C struct name → its x86-64 SysV layout; every member is named as in C, padding is unnamed. */
    Map<String, StructLayout> structs();

    /** Bound C function name → its signature (struct-by-value arguments and returns appear as struct layouts). */
    Map<String, FunctionDescriptor> functions();

    /** Callback typedef name (e.g. {@code WGPUBufferMapCallback}) → the signature an upcall stub must have. */
    Map<String, FunctionDescriptor> callbacks();

    /** Enum and flag constants by their C names, e.g. {@code WGPUBufferUsage_Storage} → 0x80. */
    Map<String, Long> constants();
}
