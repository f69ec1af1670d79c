package dev.squeeze.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar10ReaderTest {
    @TempDir Path tmp;

    @Test
    void trainAndTestRoundTripExactly() throws Exception {
        Path dir = TestFiles.cifarLayout(tmp, 3, true);
        ImageSet train = Cifar10Reader.read(dir, Split.TRAIN);
        assertEquals("cifar10/train", train.name());
        assertEquals(15, train.size());
        assertEquals(3, train.channels());
        assertEquals(32, train.height());
        assertEquals(32, train.width());
        assertEquals(Cifar10Reader.CLASSES, train.classes());
        byte[] img = new byte[Cifar10Reader.IMAGE_BYTES];
        for (int f = 0; f < 5; f++) {
            for (int r = 0; r < 3; r++) {
                int i = f * 3 + r;
                assertEquals(TestFiles.cifarLabel(f, r), train.label(i), "label of image " + i);
                train.copyImage(i, img, 0);
                for (int k = 0; k < img.length; k++) {
                    if (img[k] != TestFiles.cifarPixel(f, r, k)) throw new AssertionError("image " + i + " byte " + k);
                }
            }
        }
        // CHW: the first 1024 bytes are the red plane, rows first.
        assertEquals(TestFiles.cifarPixel(0, 0, 1024 + 32 * 2 + 5) & 0xFF, train.pixel(0, 1, 2, 5));

        ImageSet test = Cifar10Reader.read(dir, Split.TEST);
        assertEquals("cifar10/test", test.name());
        assertEquals(3, test.size());
        assertEquals(TestFiles.cifarLabel(5, 2), test.label(2));
    }

    @Test
    void classNamesFallBackWithoutMetaFile() throws Exception {
        Path dir = TestFiles.cifarLayout(tmp, 1, false);
        assertEquals(Cifar10Reader.CLASSES, Cifar10Reader.read(dir, Split.TEST).classes());
    }

    @Test
    void classNamesComeFromMetaFile() throws Exception {
        Path dir = TestFiles.cifarLayout(tmp, 1, false);
        List<String> names = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
        Files.writeString(dir.resolve(Cifar10Reader.META_FILE), String.join("\n", names) + "\n\n");
        assertEquals(names, Cifar10Reader.read(dir, Split.TEST).classes());
        Files.writeString(dir.resolve(Cifar10Reader.META_FILE), "a\nb\n");
        SqueezeDataException e = assertThrows(SqueezeDataException.class, () -> Cifar10Reader.read(dir, Split.TEST));
        assertTrue(e.getMessage().contains(Cifar10Reader.META_FILE) && e.getMessage().contains("lists 2 class names"), e.getMessage());
    }

    @Test
    void truncatedFileNamesFileSizeAndOffset() throws Exception {
        Path dir = TestFiles.cifarLayout(tmp, 2, true);
        Path f = dir.resolve(Cifar10Reader.TEST_FILE);
        byte[] b = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(b, b.length - 100));
        SqueezeDataException e = assertThrows(SqueezeDataException.class, () -> Cifar10Reader.read(dir, Split.TEST));
        String m = e.getMessage();
        assertTrue(m.contains(f.toString()), m);
        assertTrue(m.contains("6046 bytes"), m);          // the size
        assertTrue(m.contains("offset 3073"), m);          // where the partial record starts
        assertTrue(m.contains("--download cifar10"), m);   // the fix
    }

    @Test
    void emptyFileIsAnError() throws Exception {
        Path dir = TestFiles.cifarLayout(tmp, 1, true);
        Files.write(dir.resolve("data_batch_4.bin"), new byte[0]);
        SqueezeDataException e = assertThrows(SqueezeDataException.class, () -> Cifar10Reader.read(dir, Split.TRAIN));
        assertTrue(e.getMessage().contains("data_batch_4.bin is 0 bytes"), e.getMessage());
    }

    @Test
    void labelByteOfTenOrMoreNamesRecordOffsetAndValue() throws Exception {
        Path dir = TestFiles.cifarLayout(tmp, 3, true);
        Path f = dir.resolve("data_batch_2.bin");
        byte[] b = Files.readAllBytes(f);
        b[2 * Cifar10Reader.RECORD_BYTES] = (byte) 200;
        Files.write(f, b);
        SqueezeDataException e = assertThrows(SqueezeDataException.class, () -> Cifar10Reader.read(dir, Split.TRAIN));
        String m = e.getMessage();
        assertTrue(m.contains(f.toString()), m);
        assertTrue(m.contains("record 2 (byte offset 6146)"), m);
        assertTrue(m.contains("label byte 200"), m);
        assertTrue(m.contains("Fix:"), m);
    }

    @Test
    void missingBatchFileIsNamed() throws Exception {
        Path dir = TestFiles.cifarLayout(tmp, 1, true);
        Files.delete(dir.resolve("data_batch_3.bin"));
        SqueezeDataException e = assertThrows(SqueezeDataException.class, () -> Cifar10Reader.read(dir, Split.TRAIN));
        assertTrue(e.getMessage().contains("data_batch_3.bin is missing"), e.getMessage());
    }
}
