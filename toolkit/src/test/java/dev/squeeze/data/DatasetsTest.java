package dev.squeeze.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {
    @TempDir Path tmp;

    @Test
    void loadsEachLayoutFromAHome() throws Exception {
        TestFiles.cifarLayout(tmp, 2, true);
        TestFiles.idxSplit(tmp.resolve("mnist"), Split.TEST, TestFiles.idxImages(3, 28, 28, 1), TestFiles.idxLabels(new int[] {7, 8, 9}), true);
        TestFiles.idxSplit(tmp.resolve("fashion-mnist"), Split.TRAIN, TestFiles.idxImages(2, 28, 28, 2), TestFiles.idxLabels(new int[] {0, 9}), false);
        // Both splits: with only one, a machine with Debian's dataset-fashion-mnist installed rightly refuses
        // to mix this home's train split with the packaged test split.
        TestFiles.idxSplit(tmp.resolve("fashion-mnist"), Split.TEST, TestFiles.idxImages(1, 28, 28, 3), TestFiles.idxLabels(new int[] {5}), false);
        DataHome home = DataHome.at(tmp);
        assertEquals("cifar10/train", Datasets.load("cifar10", Split.TRAIN, home).name());
        assertEquals(10, Datasets.load("CIFAR-10", Split.TRAIN, home).size());
        ImageSet mnist = Datasets.load("mnist", Split.TEST, home);
        assertEquals("mnist/test", mnist.name());
        assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), mnist.classes());
        ImageSet fashion = Datasets.load("Fashion_MNIST", Split.TRAIN, home);
        assertEquals("fashion-mnist/train", fashion.name());
        assertEquals(IdxReader.FASHION_MNIST_CLASSES, fashion.classes());
    }

    @Test
    void explicitDirectoryMayBeTheLayoutFolderItself() throws Exception {
        Path bin = TestFiles.cifarLayout(tmp, 1, true);
        assertEquals(1, Datasets.load("cifar10", Split.TEST, bin).size());
        assertEquals(1, Datasets.load("cifar10", Split.TEST, tmp).size());
        Path m = tmp.resolve("somewhere");
        TestFiles.idxSplit(m, Split.TRAIN, TestFiles.idxImages(1, 28, 28, 1), TestFiles.idxLabels(new int[] {4}), true);
        assertEquals(4, Datasets.load("mnist", Split.TRAIN, m).label(0));
    }

    @Test
    void cifarImageFoldersAreTheFallback() throws Exception {
        Path jpg = tmp.resolve("cifar10-jpg");
        for (int c = 0; c < 10; c++) {
            Path d = Files.createDirectories(jpg.resolve("test").resolve(Cifar10Reader.CLASSES.get(c)));
            Files.write(d.resolve("0000.png"), TestFiles.png(TestFiles.rgb(32, 32, c)));
        }
        ImageSet s = Datasets.load("cifar10", Split.TEST, DataHome.at(tmp));
        assertEquals("cifar10-jpg/test", s.name());
        assertEquals(Cifar10Reader.CLASSES, s.classes());
        assertEquals(TestFiles.rgbValue(4, 1, 3, 9), s.pixel(4, 1, 3, 9));
        // Binary batches win once present.
        TestFiles.cifarLayout(tmp, 1, true);
        assertEquals("cifar10/test", Datasets.load("cifar10", Split.TEST, DataHome.at(tmp)).name());
    }

    @Test
    void splitsFromTwoSourcesAreOneErrorNotAMix() throws Exception {
        TestFiles.cifarLayout(tmp, 1, false);
        Files.delete(tmp.resolve("cifar-10-batches-bin").resolve(Cifar10Reader.TEST_FILE));
        for (int c = 0; c < 10; c++) {
            Path d = Files.createDirectories(tmp.resolve("cifar10-jpg/test").resolve(Cifar10Reader.CLASSES.get(c)));
            Files.write(d.resolve("0000.png"), TestFiles.png(TestFiles.rgb(32, 32, c)));
        }
        // Each split alone would be found, in different places: binary train, JPEG test.
        for (Split split : Split.values()) {
            SqueezeDataException e = assertThrows(SqueezeDataException.class, () -> Datasets.load("cifar10", split, DataHome.at(tmp)));
            String m = e.getMessage();
            assertTrue(m.contains(tmp.resolve("cifar-10-batches-bin") + " exists, but has no test_batch.bin")
                    && m.contains(tmp.resolve("cifar10-jpg").toString()) && m.contains("Fix:"), m);
        }
        // With the binary folder complete again both splits come from it.
        Files.write(tmp.resolve("cifar-10-batches-bin").resolve(Cifar10Reader.TEST_FILE), TestFiles.cifarBatch(5, 1));
        assertEquals("cifar10/test", Datasets.load("cifar10", Split.TEST, DataHome.at(tmp)).name());
        assertEquals(Datasets.source("cifar10", Split.TRAIN, DataHome.at(tmp)), Datasets.source("cifar10", Split.TEST, DataHome.at(tmp)));
    }

    @Test
    void notFoundListsEverySearchedPathAndBothFixes() {
        DataNotFoundException e = assertThrows(DataNotFoundException.class,
                () -> Datasets.load("cifar10", Split.TRAIN, DataHome.at(tmp)));
        String m = e.getMessage();
        for (String p : List.of("cifar-10-batches-bin", "cifar10-jpg", "cifar10-jpg.zip")) {
            assertTrue(m.contains(tmp.resolve(p).toString()), m);
            assertTrue(e.searched().contains(tmp.resolve(p)), e.searched().toString());
        }
        assertTrue(m.contains("Put the official files in " + tmp.resolve("cifar-10-batches-bin")), m);
        assertTrue(m.contains("SQUEEZE_DATA=" + tmp + " ./squeeze data --download cifar10"), m);
        assertTrue(m.contains("Datasets.download(\"cifar10\", Path.of(\"" + tmp + "\"))"), m);
        assertEquals("cifar10", e.dataset());
        assertTrue(e instanceof SqueezeDataException);
    }

    @Test
    void defaultSearchStartsInTheDataHome() {
        assertEquals(DataHome.defaultHome().resolve("cifar-10-batches-bin"),
                DataHome.defaults().candidates("cifar10").get(0).path());
        String env = System.getenv(DataHome.ENV);
        if (env == null || env.isBlank()) {
            assertEquals(Path.of(System.getProperty("user.home"), ".squeeze", "data"), DataHome.defaultHome());
        }
    }

    @Test
    void fashionSearchIncludesDebianFolder() {
        List<Path> paths = DataHome.at(tmp).candidates("fashion-mnist").stream().map(DataHome.Location::path).toList();
        assertEquals(List.of(tmp.resolve("fashion-mnist"), DataHome.DEBIAN_FASHION_MNIST), paths);
        // An explicit directory is searched alone.
        List<Path> explicit = DataHome.of(tmp).candidates("fashion-mnist").stream().map(DataHome.Location::path).toList();
        assertEquals(List.of(tmp, tmp.resolve("fashion-mnist")), explicit);
    }

    @Test
    void notFoundSaysWhyAnExistingFolderWasPassedOver() throws Exception {
        Files.createDirectories(tmp.resolve("mnist"));
        DataNotFoundException e = assertThrows(DataNotFoundException.class,
                () -> Datasets.load("mnist", Split.TEST, DataHome.of(tmp)));
        String m = e.getMessage();
        assertTrue(m.contains("exists, but has no t10k-images-idx3-ubyte(.gz)"), m);
        assertTrue(m.contains("SQUEEZE_DATA=" + tmp + " ./squeeze data --download mnist"), m);
        assertEquals(List.of(tmp, tmp.resolve("mnist")), e.searched());
    }

    @Test
    void unknownNameListsKnownNames() {
        SqueezeDataException e = assertThrows(SqueezeDataException.class, () -> Datasets.load("imagenet", Split.TEST, tmp));
        assertTrue(e.getMessage().contains("cifar10, mnist, fashion-mnist"), e.getMessage());
        assertEquals(List.of("cifar10", "mnist", "fashion-mnist"), Datasets.names());
    }

    @Test
    void splitParses() {
        assertEquals(Split.TRAIN, Split.parse(" Train"));
        assertEquals("test", Split.TEST.folder());
        assertThrows(IllegalArgumentException.class, () -> Split.parse("val"));
    }
}
