package dev.rullama.api;

/** How a kernel binding is declared in WGSL. */
public enum Access {
    /** {@code var<storage, read>} */
    READ,
    /** {@code var<storage, read_write>} */
    READ_WRITE,
    /** {@code var<uniform>} */
    UNIFORM
}
