package dev.rullama.cli;

import picocli.CommandLine;

/** The version from the jar manifest (or "dev" when run from classes). */
final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Version.class.getPackage().getImplementationVersion();
        return new String[]{"rullama " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
    }
}
