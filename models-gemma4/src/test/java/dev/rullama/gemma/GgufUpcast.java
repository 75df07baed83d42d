package dev.rullama.gemma;

import dev.rullama.api.ModelFormatException;
import dev.rullama.gguf.GgmlType;
import dev.rullama.gguf.GgufArray;
import dev.rullama.gguf.GgufFile;
import dev.rullama.gguf.GgufTensor;
import dev.rullama.gguf.GgufValue;
import dev.rullama.gguf.GgufValueType;
import dev.rullama.gguf.GgufWriter;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a copy of a GGUF file with every F16/BF16 tensor widened to F32 (exactly; both fit in float32) and all
 * metadata kept: the "upcast to F32 in a temporary copy" that some llama.cpp goldens were computed on.
 */
public final class GgufUpcast {
    private GgufUpcast() {}

    public static Path toF32(Path source, Path target) throws IOException, ModelFormatException {
        GgufWriter w = new GgufWriter();
        try (GgufFile f = GgufFile.open(source)) {
            for (String key : f.metadata().keys()) {
                if (key.equals("general.alignment")) continue;
                GgufValue v = f.metadata().get(key);
                w.put(key, v.type(), value(v));
            }
            for (GgufTensor t : f.tensors()) {
                if (t.type() == GgmlType.F16 || t.type() == GgmlType.BF16) {
                    w.addF32Tensor(t.name(), t.shape(), t.dequantize());
                } else {
                    w.addTensor(t.name(), t.type(), t.shape(), t.data().toArray(ValueLayout.JAVA_BYTE));
                }
            }
        }
        w.write(target);
        return target;
    }

    private static Object value(GgufValue v) throws ModelFormatException {
        return switch (v.type()) {
            case STRING -> v.asString();
            case BOOL -> v.asBoolean();
            case FLOAT32, FLOAT64 -> v.asDouble();
            case ARRAY -> array(v.asArray());
            default -> v.rawBits();
        };
    }

    private static GgufWriter.Array array(GgufArray a) throws ModelFormatException {
        GgufValueType e = a.elementType();
        List<Object> items = new ArrayList<>((int) a.size());
        switch (e) {
            case STRING -> items.addAll(a.toStringList());
            case BOOL -> { for (boolean b : a.toBooleanArray()) items.add(b); }
            case FLOAT32, FLOAT64 -> { for (long i = 0; i < a.size(); i++) items.add(a.getDouble(i)); }
            case ARRAY -> throw new ModelFormatException(null, "nested arrays are not copied");
            default -> { for (long i = 0; i < a.size(); i++) items.add(a.getLong(i)); }
        }
        return new GgufWriter.Array(e, items);
    }
}
