package dev.squeeze.export;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.data.BatchMaker;
import dev.squeeze.data.Datasets;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Split;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import dev.squeeze.train.Evaluation;
import dev.squeeze.train.Training;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pretrained CIFAR-10 ResNet18 in {@code ../shared/models} (skipped where that folder is absent):
 * it imports onto exactly {@code Zoo.resnet18}, its logits on real test images equal ONNX Runtime's,
 * and the json's preprocessing and pruning curve are read. {@link #fullTestSetAccuracy} (all 10,000
 * images, a few minutes) runs only with {@code -Dsqueeze.pretrained.full=true}.
 */
class PretrainedTest {
    @TempDir Path dir;

    static Path sharedModels() {
        Path f = OnnxFileTest.sharedResNet18();
        Assumptions.assumeTrue(Files.isRegularFile(f), "no pretrained model at " + f + " (../shared/models beside the repository)");
        return f.getParent();
    }

    @Test
    void loadsOntoZooResNet18WithItsPreprocessingAndCurve() {
        try (Pretrained p = Pretrained.resnet18Cifar10(sharedModels())) {
            assertEquals(Zoo.resnet18(new int[] {3, 32, 32}, 10), p.network().architecture());
            assertEquals(11_173_962L, p.network().trainableParameters());
            assertArrayEquals(new float[] {0.4914f, 0.4822f, 0.4465f}, p.preprocessing().mean());
            assertArrayEquals(new float[] {0.2470f, 0.2435f, 0.2616f}, p.preprocessing().std());
            assertFalse(p.preprocessing().augments());
            assertEquals(0.8638, p.testAccuracy());
            assertEquals(10_000, p.testImages());
            assertEquals(12, p.pruningCurve().size());
            assertEquals(new Pretrained.PruningPoint("conv+linear", 0.3, 0.3, 0.8641), p.pruningCurve().get(0));
            assertEquals(new Pretrained.PruningPoint("linear-only", 0.95, 0.95, 0.799), p.pruningCurve().get(11));
            assertEquals(Pretrained.RESNET18_CIFAR10, p.network().provenance().get("source"));
            assertEquals(Pretrained.RESNET18_CIFAR10_SHA256, p.network().provenance().get("source_sha256"));
            assertEquals("8", p.network().provenance().get("epochs"));
            assertEquals(p.preprocessing(), Pretrained.preprocessingBeside(p.onnx()).orElseThrow());
            assertTrue(Pretrained.preprocessingBeside(dir.resolve("none.onnx")).isEmpty());
        }
    }

    /** The file agrees with Zoo.resnet18 in DJL parameter order too: the torchvision names bind in the zoo's block order. */
    @Test
    void importedParametersFollowTheFileNodeByNode() {
        Path f = sharedModels().resolve(Pretrained.RESNET18_CIFAR10);
        var m = OnnxFile.read(f);
        var plan = OnnxImport.plan(m, f.getFileName().toString(), "-", null);
        List<String> names = plan.bindings().stream().map(OnnxImport.Binding::tensor).toList();
        assertEquals(m.getGraph().getInitializerList().stream().map(t -> t.getName()).toList(), names,
                "DJL parameter order = the file's initializer order (conv1, bn1, layer1.0.conv1, ..., downsample after the body, fc)");
    }

    @Test
    void logitsOnRealTestImagesEqualOnnxRuntimes() throws Exception {
        Path models = sharedModels();
        ImageSet test;
        try {
            test = Datasets.load("cifar10", Split.TEST);
        } catch (RuntimeException e) {
            Assumptions.abort("CIFAR-10 test set not found: " + e.getMessage().lines().findFirst().orElse(""));
            return;
        }
        int batch = 16;
        try (Pretrained p = Pretrained.resnet18Cifar10(models); Ort ort = new Ort(models.resolve(Pretrained.RESNET18_CIFAR10))) {
            float[] x = new BatchMaker(test, p.preprocessing()).batch(0, batch);
            float[] want = ort.run(x, batch, 3, 32, 32);
            float[] got = p.network().logits(x, batch);
            double worst = 0;
            for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
            System.out.println("[pretrained] max |squeeze - ort| over " + batch + " CIFAR-10 test images' logits: " + worst);
            assertTrue(worst <= 1e-4, "max difference " + worst);
            assertArrayEquals(Network.argmax(want, batch), Network.argmax(got, batch));
        }
    }

    /** The repository's half-precision copy (what Binder gets) loads as Zoo.resnet18 with its own measured accuracy. */
    @Test
    void halfPrecisionCopyInTheRepositoryLoads() {
        Path repoModels = Path.of("..", "datasets", "models");
        try (Pretrained p = Pretrained.resnet18Cifar10HalfPrecision(repoModels)) {
            assertEquals(Zoo.resnet18(new int[] {3, 32, 32}, 10), p.network().architecture());
            assertEquals(0.8637, p.testAccuracy(), 1e-9);
            assertTrue(p.pruningCurve().isEmpty());
            assertTrue(p.network().provenance().get("source").contains("float16"), p.network().provenance().toString());
        }
    }

    @Test
    void notFoundSaysWhereItLookedAndHowToGetIt() {
        // the lookup in an empty folder: resnet18Cifar10(dir) reads the file and fails naming it
        var e = assertThrows(java.io.UncheckedIOException.class, () -> Pretrained.resnet18Cifar10(dir));
        assertTrue(e.getMessage().contains(Pretrained.RESNET18_CIFAR10), e.getMessage());
        List<Path> path = Pretrained.searchPath();
        assertTrue(path.get(path.size() - 1).endsWith(Path.of(".squeeze", "data", "models")), path.toString());
        boolean found = path.stream().anyMatch(d -> Files.isRegularFile(d.resolve(Pretrained.RESNET18_CIFAR10))
                || Files.isRegularFile(d.resolve(Pretrained.RESNET18_CIFAR10_FP16)));
        if (!found) {
            var ne = assertThrows(IllegalStateException.class, Pretrained::resnet18Cifar10);
            System.out.println("[pretrained] " + ne.getMessage());
            for (Path d : path) assertTrue(ne.getMessage().contains(d.toString()), ne.getMessage());
            assertTrue(ne.getMessage().contains("lay-out-models.sh") && ne.getMessage().contains("datasets/models/"), ne.getMessage());
        }
    }

    @Test
    void aDifferentFileIsRefusedBySha256() throws Exception {
        try (Network net = Network.create(Zoo.resnet18(new int[] {3, 32, 32}, 10), 1)) {
            OnnxExport.fp32(net, dir.resolve(Pretrained.RESNET18_CIFAR10));
        }
        Files.copy(sharedModels().resolve("resnet18-cifar10.json"), dir.resolve("resnet18-cifar10.json"));
        var e = assertThrows(IllegalStateException.class, () -> Pretrained.resnet18Cifar10(dir));
        assertTrue(e.getMessage().contains("SHA-256") && e.getMessage().contains(Pretrained.RESNET18_CIFAR10_SHA256), e.getMessage());
    }

    /**
     * All 10,000 CIFAR-10 test images through {@link Training#evaluate} with the json's preprocessing:
     * must be the json's accuracy within 0.0005. Run with
     * {@code -Dtest=PretrainedTest#fullTestSetAccuracy -Dsqueeze.pretrained.full=true}.
     */
    @Test
    @EnabledIfSystemProperty(named = "squeeze.pretrained.full", matches = "true")
    void fullTestSetAccuracy() {
        ImageSet test = Datasets.load("cifar10", Split.TEST);
        try (Pretrained p = Pretrained.resnet18Cifar10(sharedModels())) {
            long t0 = System.nanoTime();
            Evaluation e = Training.evaluate(p.network(), test, p.preprocessing());
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf("[pretrained] accuracy %.4f (%d images, loss %.4f) vs json %.4f; %.1f s, %.1f images/s%n",
                    e.accuracy(), test.size(), e.loss(), p.testAccuracy(), secs, test.size() / secs);
            assertEquals(10_000, test.size());
            assertEquals(p.testAccuracy(), e.accuracy(), 0.0005);
        }
    }
}
