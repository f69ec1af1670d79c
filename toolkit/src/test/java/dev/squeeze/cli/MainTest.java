package dev.squeeze.cli;

import static dev.squeeze.cli.CliFixtures.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI on tiny synthetic data (a few dozen images, one epoch): what it writes, what it refuses,
 * and that it never mixes data sources or leaves half a run behind.
 */
class MainTest {
    @TempDir static Path home;
    @TempDir Path tmp;
    private static String previousHome;

    @BeforeAll
    static void dataHome() throws IOException {
        CliFixtures.cifarBinary(home, 10, 20);
        CliFixtures.idx(home.resolve("mnist"), 40, 20);
        CliFixtures.idx(home.resolve("fashion-mnist"), 40, 20);
        previousHome = System.getProperty(DataHome.PROPERTY);
        System.setProperty(DataHome.PROPERTY, home.toString());
    }

    @AfterAll
    static void restore() {
        if (previousHome == null) System.clearProperty(DataHome.PROPERTY);
        else System.setProperty(DataHome.PROPERTY, previousHome);
    }

    private static JsonObject json(Path p) throws IOException {
        return JsonParser.parseString(Files.readString(p)).getAsJsonObject();
    }

    /** An untrained seed CNN saved as a .sqz file: enough for eval and export, no training needed. */
    private Path seedCnnFile() {
        Path f = tmp.resolve("models/seed-cnn.sqz");
        try (Network net = Network.create(Zoo.get("seed-cnn", new int[] {3, 32, 32}, 10), 3)) {
            net.provenance().put("dataset", "cifar10");
            ModelFile.save(net, f);
        }
        return f;
    }

    private static void withHome(Path h, Runnable r) {
        String before = System.getProperty(DataHome.PROPERTY);
        System.setProperty(DataHome.PROPERTY, h.toString());
        try {
            r.run();
        } finally {
            System.setProperty(DataHome.PROPERTY, before);
        }
    }

    // ---- 1. one source per data set ------------------------------------------------------------------

    @Test
    void trainNamesOneSourceForBothSplitsAndEchoesTheLimitsItUses() throws IOException {
        Path out = tmp.resolve("out");
        CliFixtures.Result r = cli("train", "--limit", "99999999", "--test-limit", "99999999", "--epochs", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.all());
        // 50 training and 20 test images exist; the echo says what is used, not what was asked.
        assertTrue(r.out().contains("50 train / 20 test"), r.out());
        assertFalse(r.out().contains("99999999"), r.out());
        JsonObject j = json(out.resolve("train.json"));
        JsonObject data = j.getAsJsonObject("data");
        String trainSource = data.getAsJsonObject("train").get("source").getAsString();
        String testSource = data.getAsJsonObject("test").get("source").getAsString();
        assertEquals(trainSource, testSource);
        assertTrue(trainSource.contains("cifar-10-batches-bin"), trainSource);
        assertEquals(50, data.getAsJsonObject("train").get("images").getAsInt());
        assertEquals(20, data.getAsJsonObject("test").get("images").getAsInt());
    }

    @Test
    void trainRefusesToMixBinaryTrainingWithJpegTestImages() throws IOException {
        Path h = tmp.resolve("mixed");
        CliFixtures.cifarBinary(h, 4, 0); // no test_batch.bin
        CliFixtures.cifarFolders(h.resolve("cifar10-jpg"), "test", 2);
        Path out = tmp.resolve("out");
        withHome(h, () -> {
            CliFixtures.Result r = cli("train", "--limit", "20", "--epochs", "1", "--out", out.toString());
            assertEquals(1, r.code(), r.all());
            assertTrue(r.message().contains("test_batch.bin") && r.message().contains("cifar10-jpg"), r.message());
            assertFalse(Files.exists(out.resolve("train.json")));
        });
    }

    // ---- 2. both model formats -----------------------------------------------------------------------

    @Test
    void evalAndExportReadTheInt8FilesExportWrites() throws IOException {
        Path exp = tmp.resolve("export");
        CliFixtures.Result r = cli("export", "--model-file", seedCnnFile().toString(), "--calibration", "20", "--out", exp.toString());
        assertEquals(0, r.code(), r.all());
        Path int8 = exp.resolve("seed-cnn.sqz8");
        assertTrue(Files.isRegularFile(int8));

        Path ev = tmp.resolve("eval");
        r = cli("eval", "--model-file", int8.toString(), "--dataset", "cifar10", "--out", ev.toString());
        assertEquals(0, r.code(), r.all());
        JsonObject j = json(ev.resolve("eval.json"));
        assertEquals(20, j.get("test_images").getAsInt());
        assertEquals("int8", j.get("model_format").getAsString());

        // The format is decided by the magic, not the name.
        Path renamed = Files.copy(int8, tmp.resolve("renamed.sqz"));
        Path exp2 = tmp.resolve("export2");
        r = cli("export", "--model-file", renamed.toString(), "--out", exp2.toString());
        assertEquals(0, r.code(), r.all());
        try (Stream<Path> s = Files.list(exp2)) {
            assertTrue(s.anyMatch(p -> p.getFileName().toString().endsWith("-int8-qdq.onnx")), "no QDQ file in " + exp2);
        }
    }

    /**
     * An fp32 ONNX model goes through the CLI like a .sqz: {@code import} writes a .sqz with the same
     * logits, {@code eval} scores the .onnx with the preprocessing and reference accuracy of the json
     * beside it (here deliberately not the data set's default), and warns when there is no json.
     */
    @Test
    void importAndEvalTakeAnOnnxModelWithThePreprocessingBesideIt() throws IOException {
        Path onnx = tmp.resolve("models/net.onnx");
        float[] logits;
        float[] x = new float[3 * 32 * 32];
        for (int i = 0; i < x.length; i++) x[i] = (i % 7) / 7f;
        try (Network net = Network.create(Zoo.get("seed-cnn", new int[] {3, 32, 32}, 10), 3)) {
            dev.squeeze.export.OnnxExport.fp32(net, onnx);
            logits = net.logits(x, 1);
        }
        Path imp = tmp.resolve("import");
        CliFixtures.Result r = cli("import", "--onnx", onnx.toString(), "--out", imp.toString());
        assertEquals(0, r.code(), r.all());
        assertTrue(Files.isRegularFile(imp.resolve("import.json")));
        try (Network back = ModelFile.load(imp.resolve("net.sqz"))) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(logits, back.logits(x, 1));
        }

        Path ev = tmp.resolve("eval-onnx");
        r = cli("eval", "--model-file", onnx.toString(), "--dataset", "cifar10", "--out", ev.toString());
        assertEquals(0, r.code(), r.all());
        assertTrue(r.err().contains("no net.json beside"), r.err());

        Files.writeString(tmp.resolve("models/net.json"), """
                {"test_accuracy": 0.25, "preprocessing": {"scale": "1/255", "mean": [0.4914, 0.4822, 0.4465], "std": [0.247, 0.2435, 0.2616]}}
                """);
        Path ev2 = tmp.resolve("eval-onnx-json");
        r = cli("eval", "--model-file", onnx.toString(), "--dataset", "cifar10", "--out", ev2.toString());
        assertEquals(0, r.code(), r.all());
        assertFalse(r.err().contains("no net.json beside"), r.err());
        JsonObject j = json(ev2.resolve("eval.json"));
        assertEquals("onnx-fp32", j.get("model_format").getAsString());
        assertEquals(0.25, j.get("reference_test_accuracy").getAsDouble());
        assertTrue(r.out().contains("reference accuracy in net.json: 0.2500"), r.out());
        // The json's mean/std, not cifar10's default 0.5/0.5, scored the images: the two runs' losses differ.
        double lossDefault = json(ev.resolve("eval.json")).get("test_loss").getAsDouble();
        assertTrue(Math.abs(j.get("test_loss").getAsDouble() - lossDefault) > 1e-6, "same loss with both preprocessings: " + lossDefault);
    }

    @Test
    void distillWritesEveryRunAndTheMeanOverSeeds() throws IOException {
        Path out = tmp.resolve("distill");
        CliFixtures.Result r = cli("distill", "--dataset", "mnist", "--seeds", "2", "--temperature", "3,10", "--epochs", "1",
                "--out", out.toString());
        assertEquals(0, r.code(), r.all());
        JsonObject j = json(out.resolve("distill.json"));
        var runs = j.getAsJsonArray("runs");
        assertEquals(4, runs.size(), "2 seeds × 2 temperatures");
        var first = runs.get(0).getAsJsonObject();
        for (String k : List.of("teacher_accuracy", "scratch_accuracy", "distilled_accuracy", "teacher_parameters", "student_parameters")) {
            assertTrue(first.has(k), k + " in " + first);
        }
        assertTrue(first.get("teacher_parameters").getAsLong() > first.get("student_parameters").getAsLong());
        var summary = j.getAsJsonArray("summary");
        assertEquals(2, summary.size());
        assertEquals(2, summary.get(0).getAsJsonObject().get("seeds").getAsInt());
        assertEquals(40, j.getAsJsonObject("data").getAsJsonObject("train").get("images").getAsInt());
        assertTrue(Files.isRegularFile(out.resolve("distill-accuracy.png")));

        CliFixtures.Result bad = cli("distill", "--temperature", "3,-1", "--out", tmp.resolve("d2").toString());
        assertEquals(2, bad.code(), bad.all());
        assertTrue(bad.message().contains("--temperature"), bad.message());
        bad = cli("distill", "--alpha", "1.5", "--out", tmp.resolve("d3").toString());
        assertEquals(2, bad.code(), bad.all());
        assertTrue(bad.message().contains("--alpha must be in [0, 1]"), bad.message());
    }

    @Test
    void aFileWithNeitherMagicIsOneErrorNamingBoth() throws IOException {
        Path junk = Files.writeString(tmp.resolve("junk.sqz"), "not a model at all, just text long enough to have a header");
        CliFixtures.Result r = cli("eval", "--model-file", junk.toString(), "--dataset", "cifar10", "--out", tmp.resolve("e").toString());
        assertTrue(r.code() != 0);
        assertTrue(r.message().contains("SQZFP32") && r.message().contains("SQZINT8") && r.message().contains(junk.toString()),
                r.message());
    }

    // ---- 3. outputs appear together or not at all ----------------------------------------------------

    @Test
    void aRunThatFailsLateLeavesThePreviousOutputsIntact() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("out"));
        Files.writeString(out.resolve("train.json"), "old json");
        Files.writeString(out.resolve("seed-cnn.sqz"), "old model");
        // A directory where the plot goes makes the run fail after the model file is written: the
        // same state as a run interrupted between its first and last output.
        Files.createDirectories(out.resolve("train-curves.png/keep"));
        CliFixtures.Result r = cli("train", "--limit", "20", "--test-limit", "10", "--epochs", "1", "--out", out.toString());
        assertEquals(1, r.code(), r.all());
        assertEquals("old model", new String(Files.readAllBytes(out.resolve("seed-cnn.sqz")), java.nio.charset.StandardCharsets.ISO_8859_1),
                "the model file was replaced by a run that did not finish");
        assertEquals("old json", Files.readString(out.resolve("train.json")));
        // The finished run's outputs are kept aside, where the message says, not thrown away.
        try (Stream<Path> s = Files.list(tmp)) {
            List<Path> kept = s.filter(p -> !p.getFileName().toString().equals("out")).toList();
            assertEquals(1, kept.size(), kept.toString());
            assertTrue(r.message().contains(kept.get(0).toString()) && r.message().contains("train-curves.png"), r.message());
            assertTrue(Files.isRegularFile(kept.get(0).resolve("train.json")));
        }
    }

    @Test
    void aRunThatFailsLeavesNoStagingBehind() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("out"));
        Files.writeString(out.resolve("eval.json"), "old json");
        Path junk = Files.writeString(tmp.resolve("bad.sqz"), "SQZFP32\0 then not a model");
        CliFixtures.Result r = cli("eval", "--model-file", junk.toString(), "--dataset", "cifar10", "--out", out.toString());
        assertEquals(1, r.code(), r.all());
        assertEquals("old json", Files.readString(out.resolve("eval.json")));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of("bad.sqz", "out"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    // ---- 4. --out checked first ----------------------------------------------------------------------

    @Test
    void anOutThatIsAFileIsRefusedBeforeAnyDataIsLoaded() throws IOException {
        Path model = seedCnnFile();
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        Path empty = Files.createDirectories(tmp.resolve("no-data")); // loading data here would fail first
        withHome(empty, () -> {
            for (String[] argv : List.of(
                    new String[] {"train", "--out", file.toString()},
                    new String[] {"train", "--out", file.resolve("sub").toString()},
                    new String[] {"eval", "--model-file", model.toString(), "--dataset", "cifar10", "--out", file.toString()},
                    new String[] {"export", "--model-file", model.toString(), "--out", file.toString()},
                    new String[] {"qat", "--out", file.toString()})) {
                CliFixtures.Result r = cli(argv);
                assertEquals(2, r.code(), r.all());
                assertTrue(r.message().contains("is a file") && r.message().contains(file.toString()), r.message());
            }
        });
    }

    @Test
    void anOutThatIsNotWritableIsRefusedBeforeAnyDataIsLoaded() throws IOException {
        // root writes anywhere, so only a normal user can see this refusal.
        org.junit.jupiter.api.Assumptions.assumeFalse("root".equals(System.getProperty("user.name")), "running as root");
        Path locked = Files.createDirectories(tmp.resolve("locked"));
        Files.setPosixFilePermissions(locked, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            CliFixtures.Result r = cli("train", "--out", locked.resolve("sub").toString());
            assertEquals(2, r.code(), r.all());
            assertTrue(r.message().contains("is not writable") && r.message().contains(locked.toString()), r.message());
        } finally {
            Files.setPosixFilePermissions(locked, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    // ---- 5. eval says what it compares ---------------------------------------------------------------

    @Test
    void evalWarnsAboutAnotherDataSetAndSaysHowManyImagesEachFigureCameFrom() {
        Path f = tmp.resolve("keras-student.sqz");
        try (Network net = Network.create(Zoo.get("keras-student", new int[] {1, 28, 28}, 10), 5)) {
            net.provenance().put("dataset", "mnist");
            net.provenance().put("test_images", "7");
            ModelFile.save(net, f);
        }
        CliFixtures.Result r = cli("eval", "--model-file", f.toString(), "--dataset", "fashion-mnist", "--out", tmp.resolve("e").toString());
        assertEquals(0, r.code(), r.all());
        List<String> warnings = r.err().lines().filter(l -> l.contains("fashion-mnist") && l.contains("mnist") && l.contains("trained"))
                .toList();
        assertEquals(1, warnings.size(), r.err());
        assertTrue(r.out().contains("20 test images") && r.out().contains("7 "), r.out());
    }

    // ---- 7. usage errors -----------------------------------------------------------------------------

    @Test
    void everyBadOptionValueIsAUsageErrorNamingTheOption() {
        Path model = seedCnnFile();
        String out = tmp.resolve("o").toString();
        // Each case: the option whose value is bad, then the command line.
        for (List<String> c : List.of(
                List.of("--budget", "train", "--budget", "bogus", "--out", out),
                List.of("--lr", "train", "--lr", "0", "--out", out),
                List.of("--lr", "train", "--lr", "-1", "--out", out),
                List.of("--model", "train", "--model", "nosuch", "--out", out),
                List.of("--dataset", "train", "--dataset", "nosuch", "--out", out),
                List.of("--budget", "qat", "--budget", "bogus", "--out", out),
                List.of("--dataset", "eval", "--model-file", model.toString(), "--dataset", "nosuch", "--out", out),
                List.of("--dataset", "export", "--model-file", model.toString(), "--dataset", "nosuch", "--out", out))) {
            String[] argv = c.subList(1, c.size()).toArray(String[]::new);
            CliFixtures.Result r = cli(argv);
            assertEquals(2, r.code(), String.join(" ", argv) + ": " + r.all());
            assertTrue(r.message().contains(c.get(0)), String.join(" ", argv) + ": " + r.message());
        }
    }

    @Test
    void aDirectoryGivenAsModelFileIsReportedAsADirectory() {
        CliFixtures.Result r = cli("eval", "--model-file", tmp.toString(), "--dataset", "cifar10", "--out", tmp.resolve("e").toString());
        assertEquals(2, r.code(), r.all());
        assertTrue(r.message().contains("is a directory"), r.message());
    }
}
