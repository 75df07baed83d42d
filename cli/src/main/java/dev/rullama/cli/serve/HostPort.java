package dev.rullama.cli.serve;

import java.net.InetSocketAddress;
import java.net.URI;

/**
 * Where the server listens, written as {@code OLLAMA_HOST} is: {@code host:port}, {@code host}, {@code :port},
 * optionally with {@code http://}; the defaults are Ollama's, {@code 127.0.0.1:11434}. Brackets hold an IPv6 host.
 */
public record HostPort(String host, int port) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 11434;

    public HostPort {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port " + port + " is outside 0..65535");
    }

    public static HostPort parse(String spec) {
        String s = spec == null ? "" : spec.strip();
        if (s.isEmpty()) return new HostPort(DEFAULT_HOST, DEFAULT_PORT);
        if (s.startsWith("https://")) throw new IllegalArgumentException("'" + spec + "': rullama serve speaks plain HTTP (no TLS)");
        String rest = s.startsWith("http://") ? s.substring("http://".length()) : s;
        if (rest.endsWith("/")) rest = rest.substring(0, rest.length() - 1);
        if (rest.startsWith(":")) rest = DEFAULT_HOST + rest;
        URI u;
        try {
            u = new URI("http://" + rest);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("'" + spec + "' is not host:port (e.g. 127.0.0.1:11434, :11435, 0.0.0.0:11434)");
        }
        String host = u.getHost();
        if (host == null || (u.getPath() != null && !u.getPath().isEmpty()) || u.getRawAuthority().endsWith(":"))
            throw new IllegalArgumentException("'" + spec + "' is not host:port (e.g. 127.0.0.1:11434, :11435, 0.0.0.0:11434)");
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        return new HostPort(host, u.getPort() < 0 ? DEFAULT_PORT : u.getPort());
    }

    InetSocketAddress address() { return new InetSocketAddress(host, port); }

    boolean isLoopback() { return address().getAddress() != null && address().getAddress().isLoopbackAddress(); }

    @Override
    public String toString() { return (host.contains(":") ? "[" + host + "]" : host) + ":" + port; }
}
