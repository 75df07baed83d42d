package dev.rullama.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The top-level command; its subcommands do the work. */
@Command(name = "rullama", mixinStandardHelpOptions = true, versionProvider = Version.class, usageHelpWidth = 120,
        description = {"Run Google's Gemma models from your Ollama store on the GPU, through WebGPU (Dawn or wgpu-native).", ""},
        subcommands = {RunCommand.class, EvalCommand.class, ListCommand.class, ShowCommand.class, BackendsCommand.class, SelftestCommand.class,
                BenchCommand.class, ServeCommand.class, SynthCommand.class},
        footer = {"", "Environment:",
                "  RULLAMA_BACKEND          default for --backend (dawn, wgpu, auto)",
                "  RULLAMA_VULKAN_DRIVER    auto (default), system, or lavapipe (the CPU driver scripts/setup.sh caches)",
                "  RULLAMA_DAWN_LIBRARY     path of Dawn's library (else the setup cache, else the system)",
                "  RULLAMA_WGPU_LIBRARY     path of wgpu-native's library (else the setup cache, else the system)",
                "  RULLAMA_CACHE            where scripts/setup.sh keeps natives (default ~/.cache/rullama)"})
public final class RullamaCommand implements Runnable {
    @Option(names = {"-v", "--verbose"}, description = "Log details and show stack traces on errors.", scope = picocli.CommandLine.ScopeType.INHERIT)
    boolean verbose;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
