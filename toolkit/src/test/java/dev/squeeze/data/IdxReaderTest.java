package dev.squeeze.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdxReaderTest {
    @TempDir Path tmp;

    private static final int[] LABELS = {3, 1, 4, 1, 5, 9, 2};

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void roundTripsGzippedAndRaw(boolean gz) throws Exception {
        byte[] images = TestFiles.idxImages(LABELS.length, 28, 28, 42);
        TestFiles.idxSplit(tmp, Split.TRAIN, images, TestFiles.idxLabels(LABELS), gz);
        ImageSet s = IdxReader.read(tmp, Split.TRAIN, "mnist", IdxReader.MNIST_CLASSES);
        assertEquals("mnist/train", s.name());
        assertEquals(LABELS.length, s.size());
        assertEquals(1, s.channels());
        assertEquals(28, s.height());
        assertEquals(28, s.width());
        assertArrayEquals(LABELS, s.labels());
        byte[] all = new byte[s.size() * s.imageBytes()];
        for (int i = 0; i < s.size(); i++) s.copyImage(i, all, i * s.imageBytes());
        assertArrayEquals(Arrays.copyOfRange(images, 16, images.length), all);
        assertEquals(images[16 + 784 + 28 * 3 + 7] & 0xFF, s.pixel(1, 0, 3, 7));
    }

    @Test
    void fashionClassNamesAndTestSplitNames() throws Exception {
        TestFiles.idxSplit(tmp, Split.TEST, TestFiles.idxImages(2, 28, 28, 1), TestFiles.idxLabels(new int[] {0, 9}), true);
        ImageSet s = IdxReader.read(tmp, Split.TEST, "fashion-mnist", IdxReader.FASHION_MNIST_CLASSES);
        assertEquals("fashion-mnist/test", s.name());
        assertEquals("Ankle boot", s.classes().get(s.label(1)));
        assertEquals("T-shirt/top", s.classes().get(0));
    }

    @Test
    void gzipIsDetectedByContentNotName() throws Exception {
        byte[] images = TestFiles.idxImages(2, 4, 5, 7);
        Files.write(tmp.resolve("train-images-idx3-ubyte"), TestFiles.gzip(images));
        Files.write(tmp.resolve("train-labels-idx1-ubyte.gz"), TestFiles.idxLabels(new int[] {1, 2}));
        ImageSet s = IdxReader.read(tmp, Split.TRAIN, "mnist", IdxReader.MNIST_CLASSES);
        assertEquals(4, s.height());
        assertEquals(5, s.width());
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void wrongMagicNamesFileAndValue(boolean gz) throws Exception {
        byte[] images = TestFiles.idxImages(2, 28, 28, 1);
        ByteBuffer.wrap(images).putInt(0x00000804);
        TestFiles.idxSplit(tmp, Split.TRAIN, images, TestFiles.idxLabels(new int[] {1, 2}), gz);
        SqueezeDataException e = assertThrows(SqueezeDataException.class,
                () -> IdxReader.read(tmp, Split.TRAIN, "mnist", IdxReader.MNIST_CLASSES));
        String m = e.getMessage();
        assertTrue(m.contains("train-images-idx3-ubyte"), m);
        assertTrue(m.contains("0x00000804") && m.contains("0x00000803"), m);
        assertTrue(m.contains("--download mnist"), m);
    }

    @Test
    void swappedFilesAreRecognised() throws Exception {
        byte[] images = TestFiles.idxImages(2, 28, 28, 1);
        byte[] labels = TestFiles.idxLabels(new int[] {1, 2});
        TestFiles.idxSplit(tmp, Split.TRAIN, labels, images, false);
        SqueezeDataException e = assertThrows(SqueezeDataException.class,
                () -> IdxReader.read(tmp, Split.TRAIN, "mnist", IdxReader.MNIST_CLASSES));
        assertTrue(e.getMessage().contains("swapped"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void truncatedImagesNameFileAndOffset(boolean gz) throws Exception {
        byte[] images = TestFiles.idxImages(3, 28, 28, 1);
        TestFiles.idxSplit(tmp, Split.TRAIN, Arrays.copyOf(images, 16 + 784 + 100), TestFiles.idxLabels(new int[] {1, 2, 3}), gz);
        SqueezeDataException e = assertThrows(SqueezeDataException.class,
                () -> IdxReader.read(tmp, Split.TRAIN, "fashion-mnist", IdxReader.FASHION_MNIST_CLASSES));
        String m = e.getMessage();
        assertTrue(m.contains("train-images-idx3-ubyte"), m);
        assertTrue(m.contains("truncated"), m);
        assertTrue(m.contains("3×28×28") && m.contains("offset 900"), m);
        assertTrue(m.contains("dataset-fashion-mnist"), m);
    }

    @Test
    void truncatedGzipStreamIsOneClearError() throws Exception {
        byte[] images = TestFiles.gzip(TestFiles.idxImages(3, 28, 28, 1));
        Files.write(tmp.resolve("t10k-images-idx3-ubyte.gz"), Arrays.copyOf(images, images.length / 2));
        Files.write(tmp.resolve("t10k-labels-idx1-ubyte.gz"), TestFiles.gzip(TestFiles.idxLabels(new int[] {1, 2, 3})));
        SqueezeDataException e = assertThrows(SqueezeDataException.class,
                () -> IdxReader.read(tmp, Split.TEST, "mnist", IdxReader.MNIST_CLASSES));
        assertTrue(e.getMessage().contains("t10k-images-idx3-ubyte.gz") && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void truncatedHeader() throws Exception {
        TestFiles.idxSplit(tmp, Split.TRAIN, new byte[] {0, 0, 8, 3, 0, 0}, TestFiles.idxLabels(new int[] {1}), false);
        SqueezeDataException e = assertThrows(SqueezeDataException.class,
                () -> IdxReader.read(tmp, Split.TRAIN, "mnist", IdxReader.MNIST_CLASSES));
        assertTrue(e.getMessage().contains("offset 6") && e.getMessage().contains("dimension sizes"), e.getMessage());
    }

    @Test
    void mismatchedCountsNameBothFilesAndCounts() throws Exception {
        TestFiles.idxSplit(tmp, Split.TRAIN, TestFiles.idxImages(4, 28, 28, 1), TestFiles.idxLabels(new int[] {1, 2, 3}), true);
        SqueezeDataException e = assertThrows(SqueezeDataException.class,
                () -> IdxReader.read(tmp, Split.TRAIN, "mnist", IdxReader.MNIST_CLASSES));
        String m = e.getMessage();
        assertTrue(m.contains("train-images-idx3-ubyte.gz") && m.contains("train-labels-idx1-ubyte.gz"), m);
        assertTrue(m.contains("4 images") && m.contains("3 labels"), m);
    }

    @Test
    void labelOutOfRangeNamesIndexAndValue() throws Exception {
        TestFiles.idxSplit(tmp, Split.TRAIN, TestFiles.idxImages(3, 28, 28, 1), TestFiles.idxLabels(new int[] {1, 12, 3}), false);
        SqueezeDataException e = assertThrows(SqueezeDataException.class,
                () -> IdxReader.read(tmp, Split.TRAIN, "mnist", IdxReader.MNIST_CLASSES));
        String m = e.getMessage();
        assertTrue(m.contains("label 1 (byte offset 9") && m.contains("is 12"), m);
    }

    @Test
    void trailingBytesAreAnError() throws Exception {
        byte[] images = TestFiles.idxImages(2, 28, 28, 1);
        TestFiles.idxSplit(tmp, Split.TRAIN, Arrays.copyOf(images, images.length + 5), TestFiles.idxLabels(new int[] {1, 2}), false);
        SqueezeDataException e = assertThrows(SqueezeDataException.class,
                () -> IdxReader.read(tmp, Split.TRAIN, "mnist", IdxReader.MNIST_CLASSES));
        assertTrue(e.getMessage().contains("after byte offset 1584"), e.getMessage());
    }

    @Test
    void missingLabelsFileIsNamed() throws Exception {
        Files.write(tmp.resolve("train-images-idx3-ubyte.gz"), TestFiles.gzip(TestFiles.idxImages(1, 28, 28, 1)));
        SqueezeDataException e = assertThrows(SqueezeDataException.class,
                () -> IdxReader.read(tmp, Split.TRAIN, "mnist", IdxReader.MNIST_CLASSES));
        assertTrue(e.getMessage().contains("no train-labels-idx1-ubyte.gz or train-labels-idx1-ubyte"), e.getMessage());
    }
}
