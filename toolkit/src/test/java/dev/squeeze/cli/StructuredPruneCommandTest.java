package dev.squeeze.cli;

import static dev.squeeze.cli.CliFixtures.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.squeeze.data.DataHome;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer;
import dev.squeeze.model.ModelFile;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code prune --structured} on a tiny synthetic CIFAR-10 and an untrained seed CNN: what prune.json holds, and usage errors. */
class StructuredPruneCommandTest {
    @TempDir static Path home;
    @TempDir Path tmp;
    private static String previousHome;

    @BeforeAll
    static void dataHome() throws IOException {
        CliFixtures.cifarBinary(home, 10, 20);
        previousHome = System.getProperty(DataHome.PROPERTY);
        System.setProperty(DataHome.PROPERTY, home.toString());
    }

    @AfterAll
    static void restore() {
        if (previousHome == null) System.clearProperty(DataHome.PROPERTY);
        else System.setProperty(DataHome.PROPERTY, previousHome);
    }

    private Path seedCnnFile() {
        Path f = tmp.resolve("models/seed-cnn.sqz");
        try (Network net = Network.create(Zoo.get("seed-cnn", new int[] {3, 32, 32}, 10), 3)) {
            net.provenance().put("dataset", "cifar10");
            ModelFile.save(net, f);
        }
        return f;
    }

    @Test
    void writesTheDenseModelAndEveryRatioWithSizesChecksAndLatencies() throws IOException {
        Path out = tmp.resolve("structured");
        CliFixtures.Result r = cli("prune", "--structured", "--model-file", seedCnnFile().toString(), "--ratio", "0.5",
                "--repeats", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.all());
        JsonObject j = JsonParser.parseString(Files.readString(out.resolve("prune.json"))).getAsJsonObject();
        JsonObject dense = j.getAsJsonObject("dense");
        assertEquals(0.0, dense.get("ratio").getAsDouble());
        var points = j.getAsJsonArray("points");
        assertEquals(1, points.size());
        JsonObject p = points.get(0).getAsJsonObject();
        for (String k : List.of("ratio", "params", "macs", "file_bytes", "one_shot_accuracy", "finetuned_accuracy", "int8_accuracy",
                "masked_equal_max_rel_diff", "int8_bit_exact", "latency_ms")) {
            assertTrue(p.has(k), k + " in " + p);
        }
        assertTrue(p.get("params").getAsLong() < dense.get("params").getAsLong(), p + " vs " + dense);
        assertTrue(p.get("macs").getAsLong() < dense.get("macs").getAsLong(), p + " vs " + dense);
        assertTrue(p.get("file_bytes").getAsLong() < dense.get("file_bytes").getAsLong(), p + " vs " + dense);
        assertTrue(p.get("masked_equal_max_rel_diff").getAsDouble() <= 1e-5, p.toString());
        assertTrue(p.get("int8_bit_exact").getAsBoolean(), p.toString());
        JsonObject lat = p.getAsJsonObject("latency_ms");
        for (String rt : List.of("squeeze-int8", "squeeze-fp32", "djl-fp32")) {
            assertTrue(lat.getAsJsonObject(rt).get("batch1").getAsDouble() > 0, lat.toString());
            assertTrue(lat.getAsJsonObject(rt).get("batch64").getAsDouble() > 0, lat.toString());
        }
        // Options left at their defaults add nothing to prune.json.
        assertTrue(!j.has("steps") && !j.has("bn_l1") && !j.getAsJsonObject("data").has("taylor"), j.toString());
        assertTrue(Files.isRegularFile(out.resolve("structured-pareto-batch1.png")));
        assertTrue(Files.isRegularFile(out.resolve("structured-pareto-batch64.png")));
    }

    @Test
    void badStructuredOptionsAreUsageErrorsNamingTheOption() {
        String out = tmp.resolve("o").toString();
        for (List<String> c : List.of(
                List.of("--ratio", "prune", "--structured", "--ratio", "1.5", "--out", out),
                List.of("--criterion", "prune", "--structured", "--criterion", "l7", "--out", out),
                List.of("--plan", "prune", "--structured", "--plan", "random", "--out", out),
                List.of("--round-to", "prune", "--structured", "--round-to", "0", "--out", out),
                List.of("--recover", "prune", "--structured", "--recover", "magic", "--out", out),
                List.of("--recover", "prune", "--structured", "--recover", "distill", "--out", out),
                List.of("--steps", "prune", "--structured", "--steps", "0", "--out", out),
                List.of("--taylor-images", "prune", "--structured", "--criterion", "taylor", "--taylor-images", "0", "--out", out),
                List.of("--bn-l1", "prune", "--structured", "--bn-l1", "-1", "--finetune-epochs", "1", "--out", out),
                List.of("--bn-l1", "prune", "--structured", "--bn-l1", "1e-4", "--out", out),
                List.of("--reconstruct", "prune", "--structured", "--reconstruct", "-5", "--out", out),
                List.of("--lr", "prune", "--structured", "--lr", "0", "--finetune-epochs", "1", "--out", out),
                // structured-only options without --structured would be ignored: refused instead
                List.of("--reconstruct", "prune", "--reconstruct", "512", "--out", out),
                List.of("--ratio", "prune", "--ratio", "0.3", "--out", out))) {
            String[] argv = c.subList(1, c.size()).toArray(String[]::new);
            CliFixtures.Result r = cli(argv);
            assertEquals(2, r.code(), String.join(" ", argv) + ": " + r.all());
            assertTrue(r.message().contains(c.get(0)), String.join(" ", argv) + ": " + r.message());
        }
    }

    @Test
    void recoveryByDistillationFromTheDenseModelIsRecordedInTheRecipe() throws IOException {
        Path out = tmp.resolve("distilled");
        CliFixtures.Result r = cli("prune", "--structured", "--model-file", seedCnnFile().toString(), "--ratio", "0.5",
                "--finetune-epochs", "1", "--recover", "distill", "--temperature", "2", "--alpha", "0.25", "--repeats", "1",
                "--out", out.toString());
        assertEquals(0, r.code(), r.all());
        JsonObject j = JsonParser.parseString(Files.readString(out.resolve("prune.json"))).getAsJsonObject();
        String recipe = j.get("finetune_recipe").getAsString();
        assertTrue(recipe.contains("distilled from the dense model (T 2.0, α 0.25"), recipe);
        JsonObject p = j.getAsJsonArray("points").get(0).getAsJsonObject();
        assertTrue(Double.isFinite(p.get("finetuned_accuracy").getAsDouble()), p.toString());
    }

    /** A small CIFAR-size CNN with BatchNorm (what --bn-l1 regularises), 16 channels per conv. */
    private Path bnCnnFile() {
        Path f = tmp.resolve("models/bn-cnn.sqz");
        Architecture arch = new Architecture("bn-cnn", new int[] {3, 32, 32}, List.of(
                new Layer.Conv2d(3, 16, 3, 1, 1, 1, false), new Layer.BatchNorm(16), new Layer.Relu(), new Layer.MaxPool(2, 2, 0),
                new Layer.Conv2d(16, 16, 3, 1, 1, 1, false), new Layer.BatchNorm(16), new Layer.Relu(),
                new Layer.GlobalAvgPool(), new Layer.Flatten(), new Layer.Linear(16, 10, true)));
        try (Network net = Network.create(arch, 4)) {
            net.provenance().put("dataset", "cifar10");
            ModelFile.save(net, f);
        }
        return f;
    }

    @Test
    void taylorCriterionInTwoStepsWithTheBatchNormPenaltyIsRecorded() throws IOException {
        Path out = tmp.resolve("iterative");
        CliFixtures.Result r = cli("prune", "--structured", "--model-file", bnCnnFile().toString(), "--ratio", "0.5",
                "--criterion", "taylor", "--taylor-images", "8", "--steps", "2", "--finetune-epochs", "1", "--bn-l1", "1e-4",
                "--repeats", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.all());
        JsonObject j = JsonParser.parseString(Files.readString(out.resolve("prune.json"))).getAsJsonObject();
        assertEquals("TAYLOR", j.get("criterion").getAsString());
        assertEquals(2, j.get("steps").getAsInt());
        assertEquals(1e-4, j.get("bn_l1").getAsDouble());
        assertEquals(8, j.getAsJsonObject("data").getAsJsonObject("taylor").get("images").getAsInt());
        String recipe = j.get("finetune_recipe").getAsString();
        assertTrue(recipe.contains("L1 penalty 1.0E-4 on BatchNorm scales") && recipe.contains("pruned in 2 steps, epochs per step [0, 1]"), recipe);
        JsonObject dense = j.getAsJsonObject("dense"), p = j.getAsJsonArray("points").get(0).getAsJsonObject();
        assertTrue(p.get("plan").getAsString().contains("step 2 of 2"), p.toString());
        // Round to 8: both 16-channel groups end at 8, as a one-shot plan at 0.5 would.
        long convAndBn = (3 * 9 * 8 + 2 * 8) + (8 * 9 * 8 + 2 * 8), fc = 8 * 10 + 10;
        assertEquals(convAndBn + fc, p.get("params").getAsLong(), p.toString());
        assertTrue(p.get("params").getAsLong() < dense.get("params").getAsLong(), p + " vs " + dense);
        assertTrue(p.get("masked_equal_max_rel_diff").getAsDouble() <= 1e-5, p.toString());
        assertTrue(Double.isFinite(p.get("finetuned_accuracy").getAsDouble()), p.toString());
    }

    @Test
    void channelReconstructionInEachOfTwoStepsIsRecorded() throws IOException {
        Path out = tmp.resolve("reconstructed");
        CliFixtures.Result r = cli("prune", "--structured", "--model-file", bnCnnFile().toString(), "--ratio", "0.5",
                "--reconstruct", "16", "--steps", "2", "--finetune-epochs", "1", "--repeats", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.all());
        assertTrue(r.all().contains("reconstruct [1/"), r.all());
        JsonObject j = JsonParser.parseString(Files.readString(out.resolve("prune.json"))).getAsJsonObject();
        assertEquals(16, j.getAsJsonObject("data").getAsJsonObject("reconstruction").get("images").getAsInt());
        String recipe = j.get("finetune_recipe").getAsString();
        assertTrue(recipe.contains("least-squares channel reconstruction on 16 images"), recipe);
        JsonObject dense = j.getAsJsonObject("dense"), p = j.getAsJsonArray("points").get(0).getAsJsonObject();
        assertFalse(dense.has("reconstructed_accuracy"), dense.toString());
        assertTrue(Double.isFinite(p.get("reconstructed_accuracy").getAsDouble()), p.toString());
        // The masked check compares the sliced model, before any refit changes its weights.
        assertTrue(p.get("masked_equal_max_rel_diff").getAsDouble() <= 1e-5, p.toString());
    }
}
