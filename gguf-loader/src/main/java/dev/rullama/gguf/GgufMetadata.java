package dev.rullama.gguf;

import dev.rullama.api.ModelFormatException;

import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The key/value metadata of a GGUF file, in file order. The {@code get*} accessors require the key and the type and
 * throw a {@link ModelFormatException} naming the file and key (and the value's byte offset) otherwise; the
 * {@code find*} ones return empty for a missing key but still reject a wrong type. Model code should read the whole
 * config from keys ({@code general.architecture} first), never from the model's name.
 */
public final class GgufMetadata {
    public static final String ARCHITECTURE = "general.architecture";
    public static final String ALIGNMENT = "general.alignment";

    private final Path file;
    private final Map<String, GgufValue> values;

    GgufMetadata(Path file, Map<String, GgufValue> values) {
        this.file = file;
        this.values = Collections.unmodifiableMap(values);
    }

    /** Number of key/value pairs. */
    public int size() { return values.size(); }

    /** Keys in file order. */
    public Set<String> keys() { return values.keySet(); }

    /** Values in file order. */
    public Collection<GgufValue> values() { return values.values(); }

    public boolean contains(String key) { return values.containsKey(key); }

    public Optional<GgufValue> find(String key) { return Optional.ofNullable(values.get(key)); }

    public GgufValue get(String key) throws ModelFormatException {
        GgufValue v = values.get(key);
        if (v == null) throw new ModelFormatException(file, "missing metadata key '" + key + "'");
        return v;
    }

    /** {@code general.architecture}, e.g. "gemma4"; required by the GGUF spec. */
    public String architecture() throws ModelFormatException { return getString(ARCHITECTURE); }

    /** {@code <architecture>.<suffix>}, e.g. {@code archKey("block_count")} → "gemma4.block_count". */
    public String archKey(String suffix) throws ModelFormatException { return architecture() + "." + suffix; }

    public String getString(String key) throws ModelFormatException { return get(key).asString(); }

    public Optional<String> findString(String key) throws ModelFormatException {
        GgufValue v = values.get(key);
        return v == null ? Optional.empty() : Optional.of(v.asString());
    }

    /** Any integer type (u8..u64, i8..i64). */
    public long getLong(String key) throws ModelFormatException { return get(key).asLong(); }

    public OptionalLong findLong(String key) throws ModelFormatException {
        GgufValue v = values.get(key);
        return v == null ? OptionalLong.empty() : OptionalLong.of(v.asLong());
    }

    /** Any integer type whose value fits an int. */
    public int getInt(String key) throws ModelFormatException { return get(key).asInt(); }

    /** A float, or an integer converted. */
    public double getDouble(String key) throws ModelFormatException { return get(key).asDouble(); }

    public OptionalDouble findDouble(String key) throws ModelFormatException {
        GgufValue v = values.get(key);
        return v == null ? OptionalDouble.empty() : OptionalDouble.of(v.asDouble());
    }

    public float getFloat(String key) throws ModelFormatException { return get(key).asFloat(); }

    public boolean getBoolean(String key) throws ModelFormatException { return get(key).asBoolean(); }

    public Optional<Boolean> findBoolean(String key) throws ModelFormatException {
        GgufValue v = values.get(key);
        return v == null ? Optional.empty() : Optional.of(v.asBoolean());
    }

    public GgufArray getArray(String key) throws ModelFormatException { return get(key).asArray(); }

    /** A scalar integer as one element, or an integer array of any width (each element must fit an int). */
    public int[] getInts(String key) throws ModelFormatException { return get(key).asInts(); }

    /**
     * A per-layer integer hyperparameter stored either as one scalar for all layers or as an array with one entry per
     * layer (e.g. {@code gemma4.feed_forward_length}, {@code gemma4.attention.head_count_kv}). The result always has
     * {@code layers} entries; an array of another length is an error.
     */
    public int[] getPerLayerInts(String key, int layers) throws ModelFormatException {
        GgufValue v = get(key);
        if (!v.isArray()) {
            int[] out = new int[layers];
            java.util.Arrays.fill(out, v.asInt());
            return out;
        }
        int[] a = v.asArray().toIntArray();
        if (a.length != layers) throw new ModelFormatException(file, v.offset(), "key '" + key + "' has " + a.length + " entries, expected one per layer (" + layers + ")");
        return a;
    }

    /** Same as {@link #getPerLayerInts} for bools (e.g. {@code sliding_window_pattern}). */
    public boolean[] getPerLayerBooleans(String key, int layers) throws ModelFormatException {
        GgufValue v = get(key);
        if (!v.isArray()) {
            boolean[] out = new boolean[layers];
            java.util.Arrays.fill(out, v.asBoolean());
            return out;
        }
        boolean[] a = v.asArray().toBooleanArray();
        if (a.length != layers) throw new ModelFormatException(file, v.offset(), "key '" + key + "' has " + a.length + " entries, expected one per layer (" + layers + ")");
        return a;
    }

    /** A bool scalar as one element, or a bool array. */
    public boolean[] getBooleans(String key) throws ModelFormatException { return get(key).asBooleans(); }

    /** A number as one element, or an array of numbers, as floats. */
    public float[] getFloats(String key) throws ModelFormatException { return get(key).asFloats(); }

    /** A string array (lazily decoded list) or a single string. */
    public List<String> getStrings(String key) throws ModelFormatException { return get(key).asStrings(); }

    @Override
    public String toString() { return "GgufMetadata[" + values.size() + " keys]"; }
}
