package dev.rullama.cli.serve;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The loaded models. A model loads on its first request and stays for its keep-alive after the last one finishes
 * (the latest request's {@code keep_alive}, else the server's default; 0 unloads at once, negative never). Each
 * loaded model has one worker thread that owns it: it loads the weights, runs every generation in arrival order
 * (a FIFO queue, so requests are served fairly) and closes the model; the engine is never touched from two threads.
 * A bounded number of generation requests may wait or run at once; beyond it {@link #admit()} answers 503, as
 * Ollama does when {@code OLLAMA_MAX_QUEUE} is full.
 */
public final class ModelManager implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelManager.class);

    private final ModelSource source;
    private final Duration defaultKeepAlive;
    private final int maxQueue;
    private final Semaphore slots;
    private final Map<String, Runner> runners = new HashMap<>();
    /** Workers still closing a model, so that a reload waits for the old copy to go. */
    private final Map<String, Thread> closing = new HashMap<>();
    private final ScheduledExecutorService reaper;
    private boolean closed;

    public ModelManager(ModelSource source, Duration defaultKeepAlive, int maxQueue) {
        if (maxQueue < 1) throw new IllegalArgumentException("--max-queue must be at least 1, not " + maxQueue);
        this.source = source;
        this.defaultKeepAlive = defaultKeepAlive;
        this.maxQueue = maxQueue;
        this.slots = new Semaphore(maxQueue, true);
        this.reaper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rullama-keep-alive");
            t.setDaemon(true);
            return t;
        });
        reaper.scheduleWithFixedDelay(this::unloadExpired, 1, 1, TimeUnit.SECONDS);
    }

    public Duration defaultKeepAlive() { return defaultKeepAlive; }

    ModelSource source() { return source; }

    /** A place in the bounded queue, held from admission until the request is answered. */
    public AutoCloseable admit() {
        if (!slots.tryAcquire())
            throw new ApiException(503, "server busy, please try again.  maximum pending requests exceeded (" + maxQueue + "; see --max-queue)");
        return slots::release;
    }

    /**
     * Starts using a model: loads it if needed (waiting for the load) and keeps it loaded until the use is closed;
     * closing sets its expiry to now + {@code keepAlive}.
     *
     * @param key  the model's identity (its full name), so that "gemma3" and "gemma3:latest" share one copy
     * @param name what to hand to the loader
     */
    public Use use(String key, String name) throws InterruptedException {
        Runner r;
        synchronized (this) {
            if (closed) throw new ApiException(503, "the server is shutting down");
            r = runners.get(key);
            if (r == null) {
                r = new Runner(key, name, closing.remove(key));
                runners.put(key, r);
                r.start();
            }
            r.users++;
        }
        Use use = new Use(r);
        try {
            long t0 = System.nanoTime();
            boolean loadedBefore = r.loaded.isDone();
            use.model = r.loaded.get();
            use.loadNanos = loadedBefore ? 0 : System.nanoTime() - t0;
            return use;
        } catch (ExecutionException e) {
            use.close();
            Throwable c = e.getCause();
            if (c instanceof ApiException a) throw a;
            throw new ApiException(500, "could not load " + name + ": " + ServerErrors.oneLine(c));
        } catch (InterruptedException | RuntimeException e) {
            use.close();
            throw e;
        }
    }

    /** Unloads a model now if nothing uses it (Ollama's {@code keep_alive: 0} with no prompt); true when it was loaded. */
    public boolean unload(String key) {
        Runner r;
        synchronized (this) {
            r = runners.get(key);
            if (r == null) return false;
            r.keepAlive = Duration.ZERO;
            r.expiresAt = Instant.now();
        }
        unloadExpired();
        return true;
    }

    /** A loaded model as {@code /api/ps} lists it. */
    public record Running(String key, String name, ModelSource.LoadedModel model, Instant expiresAt, Instant loadedAt) {}

    public synchronized List<Running> running() {
        List<Running> out = new ArrayList<>();
        Instant now = Instant.now();
        for (Runner r : runners.values()) {
            if (!r.loaded.isDone() || r.loaded.isCompletedExceptionally()) continue;
            Instant expires = r.users > 0 ? plus(now, r.keepAlive) : r.expiresAt;
            out.add(new Running(r.key, r.name, r.loaded.join(), expires, r.loadedAt));
        }
        return out;
    }

    private static Instant plus(Instant t, Duration d) {
        return d.equals(Durations.FOREVER) ? Instant.parse("2318-01-01T00:00:00Z") : t.plus(d);
    }

    private void unloadExpired() {
        List<Runner> stop = new ArrayList<>();
        synchronized (this) {
            Instant now = Instant.now();
            runners.values().removeIf(r -> {
                boolean expired = r.users == 0 && r.loaded.isDone() && !r.expiresAt.isAfter(now);
                if (expired) stop.add(r);
                return expired;
            });
            closing.values().removeIf(t -> !t.isAlive());
            for (Runner r : stop) closing.put(r.key, r.worker);
        }
        for (Runner r : stop) {
            LOG.info("unloading {}", r.name);
            r.stop();
        }
    }

    /** Unloads every model and waits for their workers. */
    @Override
    public void close() {
        List<Runner> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(runners.values());
            runners.clear();
        }
        reaper.shutdownNow();
        for (Runner r : all) r.stop();
        for (Runner r : all) {
            try {
                r.worker.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Live worker threads (tests check that unloading ends them). */
    synchronized int workers() {
        return (int) runners.values().stream().filter(r -> r.worker.isAlive()).count();
    }

    /** One use of a loaded model; submit work, then close. */
    public final class Use implements AutoCloseable {
        private final Runner runner;
        private ModelSource.LoadedModel model;
        private long loadNanos;
        private Duration keepAlive;
        private boolean closed;

        private Use(Runner runner) { this.runner = runner; }

        public ModelSource.LoadedModel model() { return model; }

        /** How long this request waited for the model to load (0 when it was loaded already). */
        public long loadNanos() { return loadNanos; }

        /** The keep-alive to apply when this use ends (null: the server's default). */
        public void keepAlive(Duration d) { keepAlive = d; }

        /** Queues work for the model's worker thread; work runs in submission order. */
        public void submit(Consumer<ModelSource.LoadedModel> work) {
            runner.tasks.add(() -> work.accept(model));
        }

        @Override
        public void close() {
            boolean now;
            synchronized (ModelManager.this) {
                if (closed) return;
                closed = true;
                runner.users--;
                Duration d = keepAlive != null ? keepAlive : defaultKeepAlive;
                if (model != null) {
                    runner.keepAlive = d;
                    runner.expiresAt = plus(Instant.now(), d);
                } else {
                    runner.expiresAt = Instant.now(); // the load failed: nothing to keep
                }
                now = runner.users == 0 && !runner.expiresAt.isAfter(Instant.now());
            }
            if (now) unloadExpired();
        }
    }

    /** A model's worker: loads, runs tasks in order, closes. */
    private final class Runner {
        final String key, name;
        final LinkedBlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
        final CompletableFuture<ModelSource.LoadedModel> loaded = new CompletableFuture<>();
        final Thread worker;
        int users;
        Duration keepAlive = defaultKeepAlive;
        Instant expiresAt = Instant.now();
        Instant loadedAt;
        private final Runnable poison = () -> { };
        private final Thread previous;

        Runner(String key, String name, Thread previous) {
            this.key = key;
            this.name = name;
            this.previous = previous;
            this.worker = new Thread(this::work, "rullama-model-" + name);
            worker.setDaemon(true);
        }

        void start() { worker.start(); }

        void stop() { tasks.add(poison); }

        private void work() {
            ModelSource.LoadedModel m;
            try {
                if (previous != null) previous.join();
                long t0 = System.nanoTime();
                m = source.load(name);
                loadedAt = Instant.now();
                LOG.info("loaded {} on {} in {} ms", name, m.model().engine(), (System.nanoTime() - t0) / 1_000_000);
                loaded.complete(m);
            } catch (Throwable t) {
                LOG.warn("could not load {}: {}", name, ServerErrors.oneLine(t));
                loaded.completeExceptionally(t);
                // the failed runner goes at once: the next request tries again
                synchronized (ModelManager.this) {
                    runners.remove(key, this);
                }
                return;
            }
            try {
                while (true) {
                    Runnable task = tasks.take();
                    if (task == poison) break;
                    try {
                        task.run();
                    } catch (Throwable t) {
                        LOG.warn("a request on {} failed: {}", name, ServerErrors.oneLine(t));
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                try {
                    m.resources().close();
                } catch (Exception e) {
                    LOG.warn("closing {}: {}", name, ServerErrors.oneLine(e));
                }
            }
        }
    }
}
