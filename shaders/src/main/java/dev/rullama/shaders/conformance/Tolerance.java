package dev.rullama.shaders.conformance;

/**
 * How far a kernel's output may be from its reference: the largest |gpu − ref| divided by the largest |ref| of
 * the output (a normalized max error, robust to outputs near zero), with the reason for the bound.
 */
public record Tolerance(double maxNormalizedError, String why) {
}
