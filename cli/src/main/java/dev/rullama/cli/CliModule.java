package dev.rullama.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import dev.rullama.api.Backends;

/** What the commands share: the discovered backends and one JSON mapper. */
final class CliModule extends AbstractModule {
    @Provides
    @Singleton
    Backends backends() {
        return Backends.discover();
    }

    @Provides
    @Singleton
    ObjectMapper json() {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).registerModule(new com.fasterxml.jackson.datatype.jdk8.Jdk8Module());
    }
}
