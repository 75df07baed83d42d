package dev.rullama.gemma;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.gguf.GgufFile;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every fixture model file's config, read by {@link GemmaConfig#from} from its GGUF keys, against the per-layer table
 * the generator wrote into {@code config.json} from its own description of the variant (layer type, head dim, KV
 * heads, FFN width, KV donor, attn_v presence).
 */
class FixtureConfigTest {
    @TestFactory
    Stream<DynamicTest> fixtureConfigsMatchTheGeneratorsLayerTable() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String v : TestModels.FIXTURE_VARIANTS) {
            tests.add(DynamicTest.dynamicTest(v, () -> check(TestModels.fixture(v))));
        }
        return tests.stream();
    }

    private static void check(Path dir) throws Exception {
        Path cfgFile = dir.resolve("config.json");
        if (!Files.isRegularFile(cfgFile)) fail(cfgFile + " is missing; generate it with python3 " + TestModels.FIXTURE_GENERATOR);
        JsonNode doc = new ObjectMapper().readTree(cfgFile.toFile());
        JsonNode cfg = doc.get("config");
        List<Path> models;
        try (Stream<Path> s = Files.list(dir)) {
            models = s.filter(p -> p.getFileName().toString().matches("model-[^.]+\\.gguf")).sorted().toList();
        }
        assertTrue(!models.isEmpty(), "no model-*.gguf in " + dir + "; generate with python3 " + TestModels.FIXTURE_GENERATOR);
        for (Path model : models) {
            try (GgufFile f = GgufFile.open(model)) {
                GemmaConfig c = GemmaConfig.from(f);
                String where = dir.getFileName() + "/" + model.getFileName();
                assertEquals(cfg.get("family").asText(), c.architecture().key(), where);
                assertEquals(cfg.get("d").asInt(), c.embeddingLength(), where);
                assertEquals(cfg.get("vocab").asInt(), c.vocabSize(), where);
                assertEquals(cfg.get("window").asInt(), c.slidingWindow(), where);
                JsonNode layers = doc.get("layers");
                assertEquals(layers.size(), c.blockCount(), where);
                for (JsonNode row : layers) {
                    LayerConfig l = c.layer(row.get("layer").asInt());
                    String at = where + " layer " + l.index();
                    assertEquals(row.get("type").asText(), l.typeLetter(), at);
                    assertEquals(row.get("head_dim").asInt(), l.headDim(), at);
                    assertEquals(row.get("n_head_kv").asInt(), l.kvHeads(), at);
                    assertEquals(row.get("ffn").asInt(), l.ffnWidth(), at);
                    if (row.has("own_kv")) {
                        assertEquals(row.get("own_kv").asBoolean(), l.ownsKv(), at);
                        assertEquals(row.get("kv_from").asInt(), l.kvDonor(), at);
                        if (l.ownsKv()) assertEquals(!row.get("has_attn_v").asBoolean(), l.kEqualsV(), at);
                    }
                }
                if (cfg.hasNonNull("moe")) {
                    assertEquals(cfg.get("moe").get("n_expert").asInt(), c.expertCount(), where);
                    assertEquals(cfg.get("moe").get("top_k").asInt(), c.expertUsedCount(), where);
                    assertEquals(cfg.get("moe").get("ff_exp").asInt(), c.expertFeedForwardLength(), where);
                }
                if (cfg.has("ple")) assertEquals(cfg.get("ple").asInt(), c.perLayerInputLength(), where);
                if (c.architecture() == GemmaArchitecture.GEMMA4) {
                    assertEquals(1.0f, c.attentionScale(), where);
                    assertEquals((float) cfg.get("softcap").asDouble(), c.finalLogitSoftcap(), where);
                } else {
                    assertEquals(0f, c.finalLogitSoftcap(), where);
                    JsonNode rs = cfg.get("rope_scaling");
                    double scale = rs == null || rs.isNull() ? 1.0 : 1.0 / rs.get(1).asDouble();
                    for (LayerConfig l : c.layers()) assertEquals(l.sliding() ? 1.0 : scale, l.ropePositionScale(), 1e-12, where);
                }
            }
        }
    }
}
