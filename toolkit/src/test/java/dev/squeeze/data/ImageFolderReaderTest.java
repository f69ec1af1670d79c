package dev.squeeze.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderReaderTest {
    @TempDir Path tmp;

    /** root/train/{cat,ant,bee}/ with 2, 1, 3 RGB 5×4 PNGs; class "ant" sorts first. */
    private Path rgbTree(Path root) throws IOException {
        int seed = 0;
        for (String c : List.of("cat", "ant", "bee")) {
            Path d = Files.createDirectories(root.resolve("train").resolve(c));
            int n = c.equals("cat") ? 2 : c.equals("ant") ? 1 : 3;
            for (int i = 0; i < n; i++) Files.write(d.resolve("img" + i + ".png"), TestFiles.png(TestFiles.rgb(5, 4, seed++)));
        }
        Files.writeString(root.resolve("train/cat/notes.txt"), "not an image, ignored");
        Files.write(root.resolve("train/cat/.hidden.png"), new byte[] {1, 2, 3});
        return root;
    }

    private static void checkRgbTree(ImageSet s) {
        assertEquals(List.of("ant", "bee", "cat"), s.classes());
        assertEquals(6, s.size());
        assertEquals(3, s.channels());
        assertEquals(4, s.height());
        assertEquals(5, s.width());
        assertEquals(List.of(0, 1, 1, 1, 2, 2), java.util.Arrays.stream(s.labels()).boxed().toList());
        // Seeds were given in folder-creation order cat(0,1), ant(2), bee(3,4,5); the set is in sorted order.
        int[] seedOf = {2, 3, 4, 5, 0, 1};
        for (int i = 0; i < s.size(); i++) {
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < 4; y++) {
                    for (int x = 0; x < 5; x++) {
                        assertEquals(TestFiles.rgbValue(seedOf[i], c, y, x), s.pixel(i, c, y, x), "image " + i);
                    }
                }
            }
        }
    }

    @Test
    void directoryRoundTripsRgbExactly() throws Exception {
        ImageSet s = ImageFolderReader.read(rgbTree(tmp.resolve("root")), Split.TRAIN, "toy/train");
        assertEquals("toy/train", s.name());
        checkRgbTree(s);
    }

    @Test
    void zipRoundTripsRgbExactly() throws Exception {
        Path root = rgbTree(tmp.resolve("root"));
        Path zip = zip(root, tmp.resolve("toy.zip"), "");
        checkRgbTree(ImageFolderReader.read(zip, Split.TRAIN, "toy/train"));
        // Zipping the folder itself puts train/ one level down.
        Path nested = zip(root, tmp.resolve("nested.zip"), "toy-images/");
        checkRgbTree(ImageFolderReader.read(nested, Split.TRAIN, "toy/train"));
    }

    @Test
    void grayscaleGivesOneChannel() throws Exception {
        Path d = Files.createDirectories(tmp.resolve("g/test/zero"));
        Files.write(d.resolve("a.png"), TestFiles.png(TestFiles.gray(3, 3, 1)));
        Files.write(Files.createDirectories(tmp.resolve("g/test/one")).resolve("b.png"), TestFiles.png(TestFiles.gray(3, 3, 2)));
        ImageSet s = ImageFolderReader.read(tmp.resolve("g"), Split.TEST, "g/test");
        assertEquals(1, s.channels());
        assertEquals(List.of("one", "zero"), s.classes());
        assertEquals(TestFiles.grayValue(2, 1, 2), s.pixel(0, 0, 1, 2));
        assertEquals(TestFiles.grayValue(1, 2, 0), s.pixel(1, 0, 2, 0));
    }

    @Test
    void mixedGrayAndRgbBecomeThreeChannels() throws Exception {
        Path d = Files.createDirectories(tmp.resolve("m/train/x"));
        Files.write(d.resolve("a.png"), TestFiles.png(TestFiles.gray(3, 3, 1)));
        Files.write(d.resolve("b.png"), TestFiles.png(TestFiles.rgb(3, 3, 1)));
        ImageSet s = ImageFolderReader.read(tmp.resolve("m"), Split.TRAIN, "m/train");
        assertEquals(3, s.channels());
        for (int c = 0; c < 3; c++) assertEquals(TestFiles.grayValue(1, 2, 1), s.pixel(0, c, 2, 1));
        assertEquals(TestFiles.rgbValue(1, 2, 2, 1), s.pixel(1, 2, 2, 1));
    }

    @Test
    void differentSizesNameTheFile() throws Exception {
        Path d = Files.createDirectories(tmp.resolve("s/train/x"));
        Files.write(d.resolve("a.png"), TestFiles.png(TestFiles.rgb(4, 4, 1)));
        Files.write(d.resolve("b.png"), TestFiles.png(TestFiles.rgb(5, 4, 1)));
        SqueezeDataException e = assertThrows(SqueezeDataException.class,
                () -> ImageFolderReader.read(tmp.resolve("s"), Split.TRAIN, "s/train"));
        String m = e.getMessage();
        assertTrue(m.contains(d.resolve("b.png").toString()) && m.contains("5×4") && m.contains("4×4"), m);
    }

    @Test
    void truncatedJpegIsOneErrorNamingTheFile() throws Exception {
        Path d = Files.createDirectories(tmp.resolve("t/train/x"));
        java.io.ByteArrayOutputStream jpg = new java.io.ByteArrayOutputStream();
        assertTrue(javax.imageio.ImageIO.write(TestFiles.rgb(32, 32, 3), "jpg", jpg));
        byte[] whole = jpg.toByteArray();
        Files.write(d.resolve("whole.jpg"), whole);
        // Cut inside the entropy-coded data: ImageIO decodes what is there, fills the rest and only
        // warns ("Premature end of JPEG file"), so without a check the image is silently half grey.
        Files.write(d.resolve("cut.jpg"), java.util.Arrays.copyOf(whole, whole.length * 2 / 3));
        SqueezeDataException e = assertThrows(SqueezeDataException.class,
                () -> ImageFolderReader.read(tmp.resolve("t"), Split.TRAIN, "t/train"));
        assertTrue(e.getMessage().contains(d.resolve("cut.jpg").toString()), e.getMessage());
        // The whole JPEG alone reads.
        Files.delete(d.resolve("cut.jpg"));
        assertEquals(1, ImageFolderReader.read(tmp.resolve("t"), Split.TRAIN, "t/train").size());
    }

    @Test
    void unreadableImageNamesTheFile() throws Exception {
        Path d = Files.createDirectories(tmp.resolve("u/train/x"));
        Files.write(d.resolve("a.png"), TestFiles.png(TestFiles.rgb(4, 4, 1)));
        Files.write(d.resolve("broken.jpg"), new byte[] {1, 2, 3, 4, 5});
        SqueezeDataException e = assertThrows(SqueezeDataException.class,
                () -> ImageFolderReader.read(tmp.resolve("u"), Split.TRAIN, "u/train"));
        assertTrue(e.getMessage().contains(d.resolve("broken.jpg").toString()), e.getMessage());
        assertTrue(e.getMessage().startsWith("Cannot decode image"), e.getMessage());
    }

    @Test
    void truncatedPngNamesTheFile() throws Exception {
        Path d = Files.createDirectories(tmp.resolve("t/train/x"));
        byte[] png = TestFiles.png(TestFiles.rgb(8, 8, 1));
        Files.write(d.resolve("cut.png"), java.util.Arrays.copyOf(png, png.length / 2));
        SqueezeDataException e = assertThrows(SqueezeDataException.class,
                () -> ImageFolderReader.read(tmp.resolve("t"), Split.TRAIN, "t/train"));
        assertTrue(e.getMessage().contains("cut.png"), e.getMessage());
    }

    @Test
    void missingSplitFolderIsExplained() throws Exception {
        rgbTree(tmp.resolve("root"));
        SqueezeDataException e = assertThrows(SqueezeDataException.class,
                () -> ImageFolderReader.read(tmp.resolve("root"), Split.TEST, "toy/test"));
        assertTrue(e.getMessage().contains("No test/ folder"), e.getMessage());
    }

    static Path zip(Path root, Path zip, String prefix) throws IOException {
        try (OutputStream os = Files.newOutputStream(zip); ZipOutputStream z = new ZipOutputStream(os);
                var walk = Files.walk(root)) {
            for (Path p : walk.sorted().toList()) {
                String rel = root.relativize(p).toString().replace('\\', '/');
                if (rel.isEmpty()) continue;
                if (Files.isDirectory(p)) {
                    z.putNextEntry(new ZipEntry(prefix + rel + "/"));
                } else {
                    z.putNextEntry(new ZipEntry(prefix + rel));
                    z.write(Files.readAllBytes(p));
                }
                z.closeEntry();
            }
        }
        return zip;
    }
}
