package dev.rullama.api;

/** Result of {@link Backend#probe()}: available with a detail (e.g. the library path), or unavailable with the reason and fix. */
public record Availability(boolean available, String detail) {
    public static Availability available(String detail) { return new Availability(true, detail); }
    public static Availability unavailable(String reason) { return new Availability(false, reason); }
}
