package dev.squeeze.cli;

import static dev.squeeze.cli.CliFixtures.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.squeeze.data.DataHome;
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
                List.of("--recover", "prune", "--structured", "--recover", "distill", "--out", out))) {
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
}
