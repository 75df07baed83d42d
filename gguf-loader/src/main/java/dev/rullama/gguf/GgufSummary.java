package dev.rullama.gguf;

import dev.rullama.api.ModelFormatException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What {@code rullama show} prints about a GGUF file, as plain values that outlive the open file: architecture,
 * parameter count, context and embedding length, the quantization mix (tensor count and bytes per ggml type), the
 * tensors, and the metadata with long arrays and strings abbreviated.
 *
 * <p>{@code parameterCount} is the sum of all tensors' element counts (vision and audio included, as Ollama reports
 * it); {@code textParameterCount} counts only the text model's tensors.
 */
public record GgufSummary(
        int version,
        long fileSize,
        Optional<String> architecture,
        Optional<String> name,
        Optional<String> fileType,
        long parameterCount,
        long textParameterCount,
        OptionalLong contextLength,
        OptionalLong embeddingLength,
        OptionalLong blockCount,
        List<TypeShare> quantization,
        Map<Modality, Integer> tensorsByModality,
        List<TensorLine> tensors,
        List<MetadataLine> metadata) {

    /** Tensors of one ggml type: how many, how many elements, how many bytes. */
    public record TypeShare(GgmlType type, int tensors, long elements, long bytes) {}

    /** One tensor as listed. */
    public record TensorLine(String name, GgmlType type, List<Long> shape, long bytes, long fileOffset, Modality modality) {}

    /** One metadata entry: key, type label ({@code u32}, {@code arr[str,262144]}) and abbreviated value. */
    public record MetadataLine(String key, String type, String value) {}

    /** Default abbreviation: 8 array elements, 120 string characters. */
    public static GgufSummary of(GgufFile f) throws ModelFormatException { return of(f, 8, 120); }

    public static GgufSummary of(GgufFile f, int maxArrayElements, int maxStringChars) throws ModelFormatException {
        GgufMetadata md = f.metadata();
        Optional<String> arch = md.findString(GgufMetadata.ARCHITECTURE);
        OptionalLong ctx = OptionalLong.empty(), embd = OptionalLong.empty(), blocks = OptionalLong.empty();
        if (arch.isPresent()) {
            ctx = scalarLong(md, arch.get() + ".context_length");
            embd = scalarLong(md, arch.get() + ".embedding_length");
            blocks = scalarLong(md, arch.get() + ".block_count");
        }
        Optional<String> fileType = Optional.empty();
        OptionalLong ft = scalarLong(md, "general.file_type");
        if (ft.isPresent()) fileType = Optional.of(fileTypeName(ft.getAsLong()));

        Map<GgmlType, long[]> mix = new EnumMap<>(GgmlType.class);
        Map<Modality, Integer> byModality = new EnumMap<>(Modality.class);
        long params = 0, textParams = 0;
        List<TensorLine> lines = new ArrayList<>(f.tensors().size());
        for (GgufTensor t : f.tensors()) {
            long[] acc = mix.computeIfAbsent(t.type(), k -> new long[3]);
            acc[0]++;
            acc[1] += t.elementCount();
            acc[2] += t.byteSize();
            byModality.merge(t.modality(), 1, Integer::sum);
            params += t.elementCount();
            if (t.isText()) textParams += t.elementCount();
            List<Long> shape = new ArrayList<>();
            for (long d : t.shape()) shape.add(d);
            lines.add(new TensorLine(t.name(), t.type(), List.copyOf(shape), t.byteSize(), t.fileOffset(), t.modality()));
        }
        List<TypeShare> shares = new ArrayList<>();
        mix.forEach((type, a) -> shares.add(new TypeShare(type, (int) a[0], a[1], a[2])));
        shares.sort(Comparator.comparingLong(TypeShare::bytes).reversed().thenComparing(TypeShare::type));

        List<MetadataLine> meta = new ArrayList<>(md.size());
        for (GgufValue v : md.values()) meta.add(new MetadataLine(v.key(), v.typeLabel(), v.display(maxArrayElements, maxStringChars)));

        return new GgufSummary(f.version(), f.fileSize(), arch, md.findString("general.name"), fileType, params, textParams,
                ctx, embd, blocks, List.copyOf(shares), Map.copyOf(byModality), List.copyOf(lines), List.copyOf(meta));
    }

    /** An integer key, or empty when missing or not a scalar integer (show should not fail over one odd key). */
    private static OptionalLong scalarLong(GgufMetadata md, String key) throws ModelFormatException {
        Optional<GgufValue> v = md.find(key);
        if (v.isEmpty() || !v.get().isInteger()) return OptionalLong.empty();
        return OptionalLong.of(v.get().asLong());
    }

    /** llama.cpp's {@code llama_ftype} names for {@code general.file_type}, e.g. 15 → "Q4_K_M". */
    public static String fileTypeName(long id) {
        return switch ((int) id) {
            case 0 -> "F32"; case 1 -> "F16"; case 2 -> "Q4_0"; case 3 -> "Q4_1"; case 7 -> "Q8_0"; case 8 -> "Q5_0";
            case 9 -> "Q5_1"; case 10 -> "Q2_K"; case 11 -> "Q3_K_S"; case 12 -> "Q3_K_M"; case 13 -> "Q3_K_L";
            case 14 -> "Q4_K_S"; case 15 -> "Q4_K_M"; case 16 -> "Q5_K_S"; case 17 -> "Q5_K_M"; case 18 -> "Q6_K";
            case 19 -> "IQ2_XXS"; case 20 -> "IQ2_XS"; case 21 -> "Q2_K_S"; case 22 -> "IQ3_XS"; case 23 -> "IQ3_XXS";
            case 24 -> "IQ1_S"; case 25 -> "IQ4_NL"; case 26 -> "IQ3_S"; case 27 -> "IQ3_M"; case 28 -> "IQ2_S";
            case 29 -> "IQ2_M"; case 30 -> "IQ4_XS"; case 31 -> "IQ1_M"; case 32 -> "BF16"; case 36 -> "TQ1_0";
            case 37 -> "TQ2_0"; case 38 -> "MXFP4_MOE"; case 39 -> "NVFP4"; case 40 -> "Q1_0";
            default -> "unknown (" + id + ")";
        };
    }

    /** Ollama-style short count: 999, 1.2K, 270M, 4.3B, 1.1T. */
    public static String formatCount(long n) {
        if (n < 1000) return Long.toString(n);
        String[] units = {"K", "M", "B", "T"};
        double v = n;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        String s = v >= 100 ? String.format("%.0f", v) : String.format("%.1f", v);
        if (s.endsWith(".0")) s = s.substring(0, s.length() - 2);
        return s + units[u];
    }

    /** Decimal sizes as Ollama prints them: 815 MB, 9.6 GB. */
    public static String formatBytes(long n) {
        if (n < 1000) return n + " B";
        String[] units = {"KB", "MB", "GB", "TB", "PB"};
        double v = n;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return (v >= 100 ? String.format("%.0f", v) : String.format("%.1f", v)) + " " + units[u];
    }
}
