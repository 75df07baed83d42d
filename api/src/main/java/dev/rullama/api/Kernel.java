package dev.rullama.api;

/** A compiled compute pipeline. Obtained from {@link Device#compile}; cached per spec; lives as long as its device. */
public interface Kernel {
    KernelSpec spec();
}
