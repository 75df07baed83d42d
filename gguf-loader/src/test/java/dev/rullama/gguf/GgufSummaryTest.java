package dev.rullama.gguf;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GgufSummaryTest {

    @Test
    void summarizesTheSample() throws Exception {
        GgufSummary s = GgufSummary.of(TestGguf.parse(TestGguf.sample().toByteArray()), 2, 10);
        assertEquals("gemma4", s.architecture().orElseThrow());
        assertEquals("sample", s.name().orElseThrow());
        assertEquals(3, s.version());
        assertEquals(GgmlType.F32, s.quantization().getFirst().type(), "largest share first (288 bytes)");
        assertEquals(GgmlType.Q8_0, s.quantization().get(1).type());
        assertEquals(s.tensors().stream().mapToLong(GgufSummary.TensorLine::bytes).sum(),
                s.quantization().stream().mapToLong(GgufSummary.TypeShare::bytes).sum());
        GgufSummary.MetadataLine tokens = s.metadata().stream().filter(m -> m.key().equals("tokenizer.ggml.tokens")).findFirst().orElseThrow();
        assertEquals("[\"<pad>\", \"<bos>\", ... (4 total)]", tokens.value());
        GgufSummary.TensorLine embd = s.tensors().get(1);
        assertEquals(List.of(64L, 4L), embd.shape());
        assertEquals(Modality.TEXT, embd.modality());
    }

    @Test
    void formatting() {
        assertEquals("999", GgufSummary.formatCount(999));
        assertEquals("268M", GgufSummary.formatCount(268_098_176));
        assertEquals("8B", GgufSummary.formatCount(7_996_156_490L));
        assertEquals("4.3B", GgufSummary.formatCount(4_300_079_472L));
        assertEquals("1.5K", GgufSummary.formatCount(1500));
        assertEquals("9.6 GB", GgufSummary.formatBytes(9_608_350_718L));
        assertEquals("815 MB", GgufSummary.formatBytes(815_319_791L));
        assertEquals("12 B", GgufSummary.formatBytes(12));
        assertEquals("Q4_K_M", GgufSummary.fileTypeName(15));
        assertEquals("BF16", GgufSummary.fileTypeName(32));
        assertEquals("unknown (999)", GgufSummary.fileTypeName(999));
    }
}
