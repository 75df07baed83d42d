package dev.rullama.gguf;

import dev.rullama.api.ModelFormatException;
import dev.rullama.gguf.quant.QuantBlock;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A GGUF file (versions 2 and 3), memory-mapped read-only through FFM and parsed in place: opening a multi-GB model
 * reads only its header (milliseconds), and tensors are zero-copy slices of the mapping. The file is opened with
 * {@code READ} only, never locked or written; the channel is closed right after mapping, so no descriptor is held.
 *
 * <p>Everything wrong with the container (spec §2.2) is a {@link ModelFormatException} naming the file and the byte
 * offset of the bad field. What the header cannot show, NaN or infinite scales in the weights, is found on request by
 * {@link #checkTensor(String)} / {@link #checkTensors()}; the dequantizers themselves never check (they are the hot
 * path and follow ggml, which propagates NaN).
 *
 * <p>Thread-safe for reading. Close it to unmap; tensor views are invalid afterwards.
 */
public final class GgufFile implements AutoCloseable {
    private final Path path;
    private final Arena arena;
    private final MemorySegment segment;
    private final int version;
    private final int alignment;
    private final long dataStart;
    private final GgufMetadata metadata;
    private final List<GgufTensor> tensors;
    private final List<GgufTensor> textTensors;
    private final Map<String, GgufTensor> byName;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private GgufFile(Path path, Arena arena, MemorySegment segment, GgufParser.Parsed parsed) {
        this.path = path;
        this.arena = arena;
        this.segment = segment;
        this.version = parsed.version();
        this.alignment = parsed.alignment();
        this.dataStart = parsed.dataStart();
        this.metadata = new GgufMetadata(path, parsed.metadata());
        this.tensors = List.copyOf(parsed.tensors());
        this.textTensors = tensors.stream().filter(GgufTensor::isText).toList();
        Map<String, GgufTensor> m = new HashMap<>(tensors.size() * 2);
        for (GgufTensor t : tensors) m.put(t.name(), t);
        this.byName = Collections.unmodifiableMap(m);
    }

    /**
     * Maps and parses {@code path}.
     *
     * @throws IOException when the file cannot be opened or mapped
     * @throws ModelFormatException when it is not a valid GGUF v2/v3 file
     */
    public static GgufFile open(Path path) throws IOException, ModelFormatException {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment seg;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            }
            return new GgufFile(path, arena, seg, new GgufParser(path, seg).parse());
        } catch (IOException | ModelFormatException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Parses a GGUF image already in memory (tests, fuzzing, a blob fetched some other way). The segment is not owned:
     * {@link #close()} leaves it alone. {@code label} names it in error messages.
     */
    public static GgufFile parse(Path label, MemorySegment segment) throws ModelFormatException {
        return new GgufFile(label, null, segment, new GgufParser(label, segment).parse());
    }

    /** The file, as given to {@link #open}. */
    public Path path() { return path; }

    /** 2 or 3. */
    public int version() { return version; }

    public long fileSize() { return segment.byteSize(); }

    /** {@code general.alignment}, 32 unless the file says otherwise. */
    public int alignment() { return alignment; }

    /** Absolute byte offset where the tensor data section starts. */
    public long dataOffset() { return dataStart; }

    public GgufMetadata metadata() { return metadata; }

    /** All tensors in file order, text and multimodal. */
    public List<GgufTensor> tensors() { return tensors; }

    /** The text model's tensors: everything but the vision/audio towers and projectors ({@link Modality}). */
    public List<GgufTensor> textTensors() { return textTensors; }

    public List<GgufTensor> tensors(Modality modality) {
        return tensors.stream().filter(t -> t.modality() == modality).toList();
    }

    public Optional<GgufTensor> findTensor(String name) { return Optional.ofNullable(byName.get(name)); }

    public GgufTensor tensor(String name) throws ModelFormatException {
        GgufTensor t = byName.get(name);
        if (t == null) throw new ModelFormatException(path, "no tensor named '" + name + "'");
        return t;
    }

    /** The whole mapped file. */
    public MemorySegment segment() { return segment; }

    /**
     * Scans a tensor's scale fields (for F32/F16/BF16/F64: every value) and throws if one is NaN or infinite, naming
     * the tensor, the block and the byte offset. Also fails for a type rullama cannot decode. Reads the whole tensor's
     * scales, so it costs a pass over the data: a validation step, not something to do per forward pass.
     */
    public void checkTensor(String name) throws ModelFormatException {
        check(tensor(name));
    }

    /** {@link #checkTensor} for every tensor. */
    public void checkTensors() throws ModelFormatException {
        for (GgufTensor t : tensors) check(t);
    }

    private void check(GgufTensor t) throws ModelFormatException {
        QuantBlock qb = t.quantBlock();
        long blocks = t.elementCount() / qb.blockElements();
        long bad = qb.findNonFiniteScale(segment, t.fileOffset(), blocks);
        if (bad >= 0) {
            long block = (bad - t.fileOffset()) / qb.blockBytes();
            String field = t.type().isQuantized() ? "a scale of block " + block : "element " + block;
            throw new ModelFormatException(path, bad, "tensor '" + t.name() + "' (" + t.type() + "): " + field
                    + " is NaN or infinite; the weights are corrupt");
        }
    }

    /** Unmaps the file (for {@link #open}); a no-op for {@link #parse} and on a second call. */
    @Override
    public void close() {
        if (arena != null && closed.compareAndSet(false, true)) arena.close();
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", v" + version + ", " + metadata.size() + " keys, " + tensors.size() + " tensors]";
    }
}
