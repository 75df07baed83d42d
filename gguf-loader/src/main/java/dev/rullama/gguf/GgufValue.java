package dev.rullama.gguf;

import dev.rullama.api.ModelFormatException;

import java.nio.file.Path;
import java.util.List;

/**
 * One metadata value of a GGUF file: a scalar decoded at open, a string, or a lazy {@link GgufArray}. Typed accessors
 * convert where it is lossless (any integer width to long, an integer to double) and otherwise throw a
 * {@link ModelFormatException} naming the file, the value's byte offset and the key, e.g.
 * {@code model.gguf at byte 812: key 'gemma4.block_count' is a string, expected an integer}.
 */
public final class GgufValue {
    private final Path file;
    private final String key;
    private final GgufValueType type;
    private final long offset;
    private final long bits;
    private final String string;
    private final GgufArray array;

    GgufValue(Path file, String key, GgufValueType type, long offset, long bits, String string, GgufArray array) {
        this.file = file;
        this.key = key;
        this.type = type;
        this.offset = offset;
        this.bits = bits;
        this.string = string;
        this.array = array;
    }

    /** The metadata key this value belongs to. */
    public String key() { return key; }

    public GgufValueType type() { return type; }

    /** Byte offset of the value (just after its type tag) in the file. */
    public long offset() { return offset; }

    public boolean isInteger() { return type.isInteger(); }

    public boolean isFloat() { return type.isFloat(); }

    public boolean isString() { return type == GgufValueType.STRING; }

    public boolean isBool() { return type == GgufValueType.BOOL; }

    public boolean isArray() { return type == GgufValueType.ARRAY; }

    /** Any integer type as a long; a u64 above {@link Long#MAX_VALUE} is an error. */
    public long asLong() throws ModelFormatException {
        if (!type.isInteger()) throw mismatch("an integer");
        if (type == GgufValueType.UINT64 && bits < 0) throw error("u64 value " + Long.toUnsignedString(bits) + " is too large");
        return bits;
    }

    /** Any integer type whose value fits an int. */
    public int asInt() throws ModelFormatException {
        long v = asLong();
        if (v != (int) v) throw error("value " + v + " does not fit a 32-bit int");
        return (int) v;
    }

    /** The raw 64 bits of an integer value; for u64 read them as unsigned. */
    public long rawBits() { return bits; }

    /** A float value, or an integer converted to double. */
    public double asDouble() throws ModelFormatException {
        return switch (type) {
            case FLOAT32 -> Float.intBitsToFloat((int) bits);
            case FLOAT64 -> Double.longBitsToDouble(bits);
            case UINT64 -> bits < 0 ? Double.parseDouble(Long.toUnsignedString(bits)) : (double) bits;
            default -> {
                if (!type.isInteger()) throw mismatch("a number");
                yield (double) bits;
            }
        };
    }

    /** {@link #asDouble()} rounded to float (exact for f32 values). */
    public float asFloat() throws ModelFormatException {
        return type == GgufValueType.FLOAT32 ? Float.intBitsToFloat((int) bits) : (float) asDouble();
    }

    public boolean asBoolean() throws ModelFormatException {
        if (type != GgufValueType.BOOL) throw mismatch("a bool");
        return bits != 0;
    }

    public String asString() throws ModelFormatException {
        if (type != GgufValueType.STRING) throw mismatch("a string");
        return string;
    }

    public GgufArray asArray() throws ModelFormatException {
        if (type != GgufValueType.ARRAY) throw mismatch("an array");
        return array;
    }

    /**
     * "Scalar or array" integers, the way per-layer hyperparameters are stored: an integer scalar gives a one-element
     * array, an integer array its elements (each must fit an int).
     */
    public int[] asInts() throws ModelFormatException {
        if (type == GgufValueType.ARRAY) return array.toIntArray();
        return new int[] {asInt()};
    }

    /** "Scalar or array" bools: a bool scalar gives a one-element array. */
    public boolean[] asBooleans() throws ModelFormatException {
        if (type == GgufValueType.ARRAY) return array.toBooleanArray();
        return new boolean[] {asBoolean()};
    }

    /** "Scalar or array" numbers as floats. */
    public float[] asFloats() throws ModelFormatException {
        if (type == GgufValueType.ARRAY) return array.toFloatArray();
        return new float[] {asFloat()};
    }

    /** Strings of a string array (a single string gives a one-element list). */
    public List<String> asStrings() throws ModelFormatException {
        if (type == GgufValueType.ARRAY) return array.toStringList();
        return List.of(asString());
    }

    /** A type label as tools print it: {@code u32}, {@code str}, {@code arr[i32,35]}. */
    public String typeLabel() {
        return type == GgufValueType.ARRAY ? array.typeLabel() : type.shortName();
    }

    /**
     * The value for display: scalars as written, strings quoted and cut to {@code maxStringChars}, arrays cut to
     * their first {@code maxElements} elements with the total, e.g. {@code [1, 2, 3, ... (262144 total)]}.
     */
    public String display(int maxElements, int maxStringChars) {
        return switch (type) {
            case STRING -> GgufArray.quote(string, maxStringChars);
            case ARRAY -> array.display(maxElements, maxStringChars);
            default -> scalarText(type, bits);
        };
    }

    @Override
    public String toString() { return key + " = " + display(8, 80); }

    static String scalarText(GgufValueType type, long bits) {
        return switch (type) {
            case UINT64 -> Long.toUnsignedString(bits);
            case FLOAT32 -> Float.toString(Float.intBitsToFloat((int) bits));
            case FLOAT64 -> Double.toString(Double.longBitsToDouble(bits));
            case BOOL -> bits != 0 ? "true" : "false";
            default -> Long.toString(bits);
        };
    }

    private ModelFormatException mismatch(String expected) {
        return error("is " + article(typeLabel()) + ", expected " + expected);
    }

    private static String article(String label) {
        return (label.startsWith("i") || label.startsWith("u") || label.startsWith("a") ? "an " : "a ") + label;
    }

    private ModelFormatException error(String what) {
        return new ModelFormatException(file, offset, "key '" + key + "' " + what);
    }
}
