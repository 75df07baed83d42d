package dev.rullama.api;

/**
 * A GPU backend, discovered with {@link java.util.ServiceLoader}. Providers are cheap descriptors: constructing one
 * and calling {@link #probe()} loads nothing native and starts nothing; all heavy work happens in {@link #open}.
 * Third parties add a backend by shipping a jar with a {@code META-INF/services/dev.rullama.api.Backend} entry and
 * proving it with the conformance suite in the {@code rullama-shaders} test-jar.
 */
public interface Backend {
    /** The name users type after {@code --backend=}, lower case, e.g. {@code dawn}. */
    String name();

    /** One line for {@code rullama backends}, e.g. the implementation and where its library comes from. */
    String description();

    /** Higher wins when the user asks for {@code auto}. */
    int priority();

    /** Hidden backends (debug aids) are listed but never chosen by {@code auto}. */
    default boolean hidden() { return false; }

    /** Whether {@link #open} can be expected to work, and if not, why; no side effects. */
    Availability probe();

    /** Loads the implementation, picks an adapter and creates a device. */
    Device open(DeviceOptions options) throws RullamaException;
}
