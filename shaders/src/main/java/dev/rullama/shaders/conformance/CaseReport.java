package dev.rullama.shaders.conformance;

/** The outcome of one conformance case on one backend; {@link #line()} is the report line the suite prints. */
public record CaseReport(String backend, String kernel, String shape, String dtype, double maxAbsError,
                         double normalizedError, Tolerance tolerance, int guardWordsClobbered, int poisonedOutputs,
                         boolean passed) {
    public String line() {
        return String.format("[conformance] backend=%s kernel=%s shape=[%s] dtype=%s maxAbsErr=%.3e normErr=%.3e tol=%.1e "
                        + "guardClobbered=%d unwritten=%d %s",
                backend, kernel, shape, dtype, maxAbsError, normalizedError, tolerance.maxNormalizedError(),
                guardWordsClobbered, poisonedOutputs, passed ? "PASS" : "FAIL");
    }
}
