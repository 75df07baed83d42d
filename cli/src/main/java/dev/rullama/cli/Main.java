package dev.rullama.cli;

import com.google.inject.Guice;
import com.google.inject.Injector;
import picocli.CommandLine;

/**
 * Entry point. Wires the commands with Guice and parses with picocli; errors become one line on stderr and a
 * non-zero exit (a stack trace only with {@code --verbose}).
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(run(new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args));
    }

    /** Runs the CLI with the given streams and returns the exit code (tests call this). */
    public static int run(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose") || java.util.Arrays.asList(args).contains("-v");
        Logging.configure(verbose);
        Injector injector = Guice.createInjector(new CliModule());
        CommandLine cl = new CommandLine(RullamaCommand.class, new GuiceFactory(injector));
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("rullama: error: " + Errors.oneLine(e));
            if (verbose) e.printStackTrace(cmd.getErr());
            return Errors.exitCode(e);
        });
        return cl.execute(args);
    }
}
