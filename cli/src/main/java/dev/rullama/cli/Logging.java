package dev.rullama.cli;

/** slf4j-simple settings: warnings by default, info/debug with --verbose; everything on stderr, no timestamps. */
final class Logging {
    private Logging() {}

    static void configure(boolean verbose) {
        setDefault("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "debug" : "warn");
        setDefault("org.slf4j.simpleLogger.logFile", "System.err");
        setDefault("org.slf4j.simpleLogger.showThreadName", "false");
        setDefault("org.slf4j.simpleLogger.showLogName", verbose ? "true" : "false");
        setDefault("org.slf4j.simpleLogger.showShortLogName", "true");
        setDefault("org.slf4j.simpleLogger.levelInBrackets", "true");
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) System.setProperty(key, value);
    }
}
