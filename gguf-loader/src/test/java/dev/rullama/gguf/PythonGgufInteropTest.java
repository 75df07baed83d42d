package dev.rullama.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Reads reference.gguf, written by the PyPI {@code gguf} package's GGUFWriter (tools/gguf/gen_quant_vectors.py), and
 * checks every key and tensor against reference.json written alongside it: the parser against a writer that shares no
 * code with it.
 */
class PythonGgufInteropTest {

    @Test
    void readsEverythingTheReferenceWriterWrote() throws Exception {
        Path file = Path.of(getClass().getResource("/quant/reference.gguf").toURI());
        JsonNode expect = new ObjectMapper().readTree(getClass().getResourceAsStream("/quant/reference.json"));
        assertEquals(expect.get("file_sha256").asText(), sha256(Files.readAllBytes(file)));
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(expect.get("version").asInt(), f.version());
            assertEquals(expect.get("alignment").asInt(), f.alignment());
            GgufMetadata md = f.metadata();
            List<String> expectedKeys = new ArrayList<>();
            expect.get("kv").fieldNames().forEachRemaining(expectedKeys::add);
            assertEquals(expectedKeys.size(), md.size());
            for (String key : expectedKeys) {
                JsonNode e = expect.get("kv").get(key);
                GgufValue v = md.get(key);
                assertEquals(GgufValueType.valueOf(e.get("type").asText()), v.type(), key);
                JsonNode val = e.get("value");
                switch (v.type()) {
                    case STRING -> assertEquals(val.asText(), v.asString(), key);
                    case BOOL -> assertEquals(val.asBoolean(), v.asBoolean(), key);
                    case FLOAT32 -> assertEquals(e.get("bits").asLong(), Float.floatToRawIntBits(v.asFloat()) & 0xFFFF_FFFFL, key);
                    case FLOAT64 -> assertEquals(val.asDouble(), v.asDouble(), 0.0, key);
                    case UINT64 -> assertEquals(val.asText(), Long.toUnsignedString(v.rawBits()), key);
                    case ARRAY -> assertArray(val, v.asArray(), key);
                    default -> assertEquals(val.asLong(), v.asLong(), key);
                }
            }
            assertArrayEquals(new int[] {16, 32}, md.getPerLayerInts("testarch.feed_forward_length", 2));
            JsonNode tensors = expect.get("tensors");
            assertEquals(tensors.size(), f.tensors().size());
            for (int i = 0; i < tensors.size(); i++) {
                JsonNode e = tensors.get(i);
                GgufTensor t = f.tensors().get(i);
                assertEquals(e.get("name").asText(), t.name());
                assertEquals(GgmlType.valueOf(e.get("type").asText()), t.type());
                long[] shape = new long[e.get("shape").size()];
                for (int d = 0; d < shape.length; d++) shape[d] = e.get("shape").get(d).asLong();
                assertArrayEquals(shape, t.shape(), t.name());
                assertEquals(e.get("nbytes").asLong(), t.byteSize(), t.name());
                assertEquals(e.get("sha256").asText(), sha256(t.data().toArray(ValueLayout.JAVA_BYTE)), t.name());
            }
            assertEquals(List.of("v.patch_embd.weight"), f.tensors(Modality.VISION).stream().map(GgufTensor::name).toList());
            f.checkTensors();
        }
    }

    private static void assertArray(JsonNode expected, GgufArray a, String key) throws Exception {
        assertEquals(expected.size(), a.size(), key);
        for (int i = 0; i < expected.size(); i++) {
            JsonNode x = expected.get(i);
            switch (a.elementType()) {
                case STRING -> assertEquals(x.asText(), a.getString(i), key);
                case BOOL -> assertEquals(x.asBoolean(), a.getBoolean(i), key);
                case FLOAT32, FLOAT64 -> assertEquals(x.asDouble(), a.getDouble(i), 0.0, key);
                case ARRAY -> assertArray(x, a.getArray(i), key + "[" + i + "]");
                default -> assertEquals(x.asLong(), a.getLong(i), key);
            }
        }
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
