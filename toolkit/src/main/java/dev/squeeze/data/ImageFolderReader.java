package dev.squeeze.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Reads the class-folder layout (torchvision's {@code ImageFolder}) from a directory or a
 * {@code .zip} file:
 *
 * <pre>
 *   root/train/&lt;class&gt;/*.png|jpg|jpeg|bmp|gif
 *   root/test/&lt;class&gt;/…
 * </pre>
 *
 * Class names are the sorted folder names, labels their index; images within a class are taken in
 * file-name order, so the result does not depend on the file system. In a zip, {@code train/} may also
 * sit one folder down ({@code cifar10-jpg/train/…}), as zipping a folder produces.
 *
 * <p>All images must share one height × width. Grayscale images give 1 channel and colour images 3
 * (alpha is dropped); if a set mixes both, grey images are repeated into 3 equal channels so nothing is
 * lost. Result shape {@code N × C × H × W}.
 */
public final class ImageFolderReader {
    private static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".bmp", ".gif");

    private ImageFolderReader() {}

    /**
     * Reads {@code root/<split>/<class>/*} where {@code root} is a directory or a {@code .zip} file.
     *
     * @param name the {@link ImageSet}'s name, e.g. {@code "cifar10-jpg/train"}
     * @throws SqueezeDataException the split folder is missing or empty, an image cannot be decoded, or
     *     image sizes differ; the message names the file
     */
    public static ImageSet read(Path root, Split split, String name) {
        if (Files.isRegularFile(root) && root.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".zip")) {
            try (FileSystem zip = FileSystems.newFileSystem(root)) {
                Path top = zip.getPath("/");
                Path dir = top.resolve(split.folder());
                if (!Files.isDirectory(dir)) {
                    List<Path> children = list(top, Files::isDirectory, root);
                    if (children.size() == 1 && Files.isDirectory(children.get(0).resolve(split.folder()))) {
                        dir = children.get(0).resolve(split.folder());
                    } else {
                        throw new SqueezeDataException(root + " has no " + split.folder() + "/ folder at its top"
                                + " level or one folder down (top level holds: " + names(children) + "). Expected"
                                + " " + split.folder() + "/<class>/<image>. " + DataFixHints.forSet(name));
                    }
                }
                return readClassFolders(dir, name, root + "!");
            } catch (IOException e) {
                throw new SqueezeDataException("Cannot open " + root + " as a zip file: " + e + ". "
                        + DataFixHints.forSet(name), e);
            }
        }
        Path dir = root.resolve(split.folder());
        if (!Files.isDirectory(dir)) {
            throw new SqueezeDataException("No " + split.folder() + "/ folder in " + root + "; the image-folder"
                    + " layout is " + root + "/" + split.folder() + "/<class>/<image>. " + DataFixHints.forSet(name));
        }
        return readClassFolders(dir, name, "");
    }

    /**
     * Reads {@code dir/<class>/*} (one split's folder).
     *
     * @param shownPrefix prepended to paths in messages (the zip file's path and {@code !} for a zip entry)
     */
    public static ImageSet readClassFolders(Path dir, String name, String shownPrefix) {
        List<Path> classDirs = list(dir, Files::isDirectory, dir);
        if (classDirs.isEmpty()) {
            throw new SqueezeDataException(shownPrefix + dir + " has no class folders; expected "
                    + dir + "/<class>/<image>. " + DataFixHints.forSet(name));
        }
        List<String> classes = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        List<Integer> labelList = new ArrayList<>();
        for (Path c : classDirs) {
            int label = classes.size();
            classes.add(fileName(c));
            for (Path f : list(c, p -> Files.isRegularFile(p) && isImage(p), dir)) {
                files.add(f);
                labelList.add(label);
            }
        }
        int n = files.size();
        if (n == 0) {
            throw new SqueezeDataException(shownPrefix + dir + " has class folders (" + String.join(", ", classes)
                    + ") but no images with extension " + String.join(", ", EXTENSIONS) + ". " + DataFixHints.forSet(name));
        }
        // Decoding dominates (tens of thousands of small JPEGs); ImageIO readers are per call, so
        // decoding in parallel is safe and the result is still in file order.
        Decoded[] decoded = new Decoded[n];
        IntStream.range(0, n).parallel().forEach(i -> decoded[i] = decode(files.get(i), shownPrefix, name));
        Decoded first = decoded[0];
        int channels = 1;
        for (int i = 0; i < n; i++) {
            Decoded d = decoded[i];
            if (d.height != first.height || d.width != first.width) {
                throw new SqueezeDataException(shownPrefix + files.get(i) + " is " + d.width + "×" + d.height
                        + " pixels, but " + shownPrefix + files.get(0) + " (the first image) is " + first.width
                        + "×" + first.height + "; all images of a set must share one size. Resize or remove it. "
                        + DataFixHints.forSet(name));
            }
            channels = Math.max(channels, d.channels);
        }
        int plane = first.height * first.width;
        int imageBytes = channels * plane;
        byte[] pixels = new byte[n * imageBytes];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            Decoded d = decoded[i];
            for (int c = 0; c < channels; c++) {
                System.arraycopy(d.pixels, d.channels == 1 ? 0 : c * plane, pixels, i * imageBytes + c * plane, plane);
            }
            labels[i] = labelList.get(i);
        }
        return new ImageSet(name, pixels, labels, channels, first.height, first.width, classes);
    }

    private record Decoded(int channels, int height, int width, byte[] pixels) {}

    private static Decoded decode(Path file, String shownPrefix, String name) {
        BufferedImage img;
        try {
            byte[] bytes = Files.readAllBytes(file);
            img = readStrictly(bytes, file, shownPrefix, name);
        } catch (SqueezeDataException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // Corrupt JPEGs surface as IIOException and sometimes as runtime exceptions from the decoder.
            throw new SqueezeDataException("Cannot decode image " + shownPrefix + file + ": " + e
                    + ". Replace or remove the file. " + DataFixHints.forSet(name), e);
        }
        if (img == null) {
            throw new SqueezeDataException("Cannot decode image " + shownPrefix + file + ": no image reader"
                    + " recognises its contents (not a PNG/JPEG/BMP/GIF, or corrupt). Replace or remove the file. "
                    + DataFixHints.forSet(name));
        }
        int w = img.getWidth(), h = img.getHeight(), plane = w * h;
        ColorModel cm = img.getColorModel();
        if (cm instanceof IndexColorModel icm && isGrayPalette(icm)) {
            byte[] out = new byte[plane];
            int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
            for (int i = 0; i < plane; i++) out[i] = (byte) (argb[i] >> 16);
            return new Decoded(1, h, w, out);
        }
        if (!(cm instanceof IndexColorModel) && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
            // Raw samples, not getRGB: getRGB would push linear grey through an sRGB conversion and
            // change the stored values.
            int bits = cm.getComponentSize(0);
            int[] s = img.getRaster().getSamples(0, 0, w, h, 0, (int[]) null);
            byte[] out = new byte[plane];
            for (int i = 0; i < plane; i++) {
                int v = bits == 8 ? s[i] : bits > 8 ? s[i] >>> (bits - 8) : s[i] * 255 / ((1 << bits) - 1);
                out[i] = (byte) v;
            }
            return new Decoded(1, h, w, out);
        }
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        byte[] out = new byte[3 * plane];
        for (int i = 0; i < plane; i++) {
            int p = argb[i];
            out[i] = (byte) (p >> 16);
            out[plane + i] = (byte) (p >> 8);
            out[2 * plane + i] = (byte) p;
        }
        return new Decoded(3, h, w, out);
    }

    /**
     * Decodes like {@code ImageIO.read}, but a decoder warning is an error: the JPEG reader reports a
     * truncated or damaged file ("Premature end of JPEG file", "Corrupt JPEG data") only as a warning
     * and returns the image with the missing part filled in, which would train on made-up pixels.
     *
     * @return {@code null} when no reader recognises the bytes
     */
    private static BufferedImage readStrictly(byte[] bytes, Path file, String shownPrefix, String name) throws IOException {
        // A memory-backed stream: ImageIO's default would create a temp file per image.
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) return null;
            ImageReader reader = readers.next();
            List<String> warnings = new ArrayList<>();
            try {
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                reader.setInput(in, true, true);
                BufferedImage img = reader.read(0, reader.getDefaultReadParam());
                if (!warnings.isEmpty()) {
                    throw new SqueezeDataException("Image " + shownPrefix + file + " is damaged or truncated ("
                            + bytes.length + " bytes; the " + reader.getFormatName() + " decoder says: "
                            + String.join("; ", warnings) + "). Replace or remove the file. " + DataFixHints.forSet(name));
                }
                return img;
            } finally {
                reader.dispose();
            }
        }
    }

    private static boolean isGrayPalette(IndexColorModel icm) {
        for (int i = 0; i < icm.getMapSize(); i++) {
            int r = icm.getRed(i);
            if (r != icm.getGreen(i) || r != icm.getBlue(i)) return false;
        }
        return true;
    }

    private static boolean isImage(Path p) {
        String n = fileName(p).toLowerCase(Locale.ROOT);
        for (String e : EXTENSIONS) if (n.endsWith(e)) return true;
        return false;
    }

    private static String fileName(Path p) {
        String n = p.getFileName().toString();
        // zipfs directory names can carry a trailing slash
        return n.endsWith("/") ? n.substring(0, n.length() - 1) : n;
    }

    /** Sorted, non-hidden children of {@code dir} that pass {@code filter}. */
    private static List<Path> list(Path dir, java.util.function.Predicate<Path> filter, Path shownFor) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> {
                String n = fileName(p);
                return !n.startsWith(".") && !n.equals("__MACOSX");
            }).filter(filter).sorted(Comparator.comparing(ImageFolderReader::fileName)).toList();
        } catch (IOException e) {
            throw new SqueezeDataException("Cannot list " + dir + " (in " + shownFor + "): " + e + ".", e);
        }
    }

    private static String names(List<Path> paths) {
        if (paths.isEmpty()) return "no folders";
        List<String> n = new ArrayList<>();
        for (Path p : paths) n.add(fileName(p) + "/");
        return String.join(", ", n);
    }
}
