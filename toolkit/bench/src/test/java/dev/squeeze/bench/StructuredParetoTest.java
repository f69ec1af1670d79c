package dev.squeeze.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Pareto verdict and the options, on hand-made rows (the study itself needs the pretrained model). */
class StructuredParetoTest {

    static StructuredPareto.LatencyRow row(String model, String runtime, double accuracy, double ms) {
        return new StructuredPareto.LatencyRow(model, runtime, 1, accuracy, ms, ms, ms, 1000 / ms, Double.NaN, Double.NaN, Double.NaN, 1.0, 10, "");
    }

    @Test
    void fastestSqueezeInt8ModelAtLeastAsAccurateAsDenseOrtInt8IsCompared() {
        List<StructuredPareto.LatencyRow> rows = List.of(
                row("dense", OrtRuntime.INT8, 0.86, 10),
                row("dense", SqueezeRuntimes.INT8, 0.86, 12),
                row("pruned-0.30", SqueezeRuntimes.INT8, 0.87, 6),
                row("pruned-0.50", SqueezeRuntimes.INT8, 0.85, 3), // faster but less accurate: not at equal accuracy
                row("pruned-0.50", OrtRuntime.INT8, 0.90, 1)); // other models on ORT are not the line to beat
        StructuredPareto.Verdict v = StructuredPareto.verdicts(rows, List.of(1), 1000).get(0);
        assertEquals("pruned-0.30", v.squeezeModel());
        assertEquals(10.0 / 6, v.speedRatio(), 1e-3);
        assertTrue(v.prunedReachesAccuracy());
        assertTrue(v.statement().contains("1.67× faster"), v.statement());
    }

    @Test
    void withoutAPrunedModelAtTheLineTheDenseModelsAreComparedAndTheTradeOffIsStated() {
        List<StructuredPareto.LatencyRow> rows = List.of(
                row("dense", OrtRuntime.INT8, 0.86, 10),
                row("dense", SqueezeRuntimes.INT8, 0.86, 20),
                row("pruned-0.30", SqueezeRuntimes.INT8, 0.74, 8));
        StructuredPareto.Verdict v = StructuredPareto.verdicts(rows, List.of(1), 1000).get(0);
        assertEquals("dense", v.squeezeModel());
        assertEquals(0.5, v.speedRatio(), 1e-9);
        assertFalse(v.prunedReachesAccuracy());
        assertTrue(v.statement().contains("2.00× slower"), v.statement());
        assertTrue(v.statement().contains("pruned-0.30 on squeeze-int8: 1.25× faster than dense ort-int8 at -12.0 accuracy points"), v.statement());
    }

    @Test
    void aMissingLineToBeatIsAnError() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> StructuredPareto.verdicts(List.of(row("dense", SqueezeRuntimes.INT8, 0.86, 20)), List.of(1), 1000));
        assertTrue(e.getMessage().contains("no dense ort-int8 row"), e.getMessage());
    }

    @Test
    void badOptionsNameTheValueAndTheFix() {
        var e = assertThrows(BenchMain.UsageException.class, () -> StructuredPareto.options(Map.of("ratios", "0.3,1.5")));
        assertTrue(e.getMessage().contains("'1.5'") && e.getMessage().contains("(0, 1)"), e.getMessage());
        e = assertThrows(BenchMain.UsageException.class, () -> StructuredPareto.options(Map.of("finetuned", "ft.sqz")));
        assertTrue(e.getMessage().contains("RATIO=FILE.sqz"), e.getMessage());
        e = assertThrows(BenchMain.UsageException.class, () -> StructuredPareto.options(Map.of("finetuned", "0.3=/no/such/file.sqz")));
        assertTrue(e.getMessage().contains("/no/such/file.sqz"), e.getMessage());
        StructuredPareto.Options o = StructuredPareto.options(Map.of("rounds", "5-50", "batches", "1,64"));
        assertEquals(5, o.minRounds());
        assertEquals(50, o.maxRounds());
        assertEquals(List.of(1, 64), o.batches());
    }
}
