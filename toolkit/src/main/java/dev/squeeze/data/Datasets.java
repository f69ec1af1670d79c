package dev.squeeze.data;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * What notebooks and the CLI call to get data: {@code Datasets.cifar10(Split.TRAIN)}.
 *
 * <p>Loading never touches the network: data is found through {@link DataHome} ({@code $SQUEEZE_DATA},
 * else {@code ~/.squeeze/data}, plus Debian's Fashion-MNIST folder) in the publishers' own layouts, and a
 * missing data set is one {@link DataNotFoundException} that lists every path searched and how to get
 * it. Only {@link #download} fetches, from the publishers' URLs, verified against the SHA-256 sums in
 * the repository's {@code datasets/SHA256SUMS}.
 *
 * <p>Shapes: CIFAR-10 {@code N × 3 × 32 × 32} (train 50,000, test 10,000); MNIST and Fashion-MNIST
 * {@code N × 1 × 28 × 28} (train 60,000, test 10,000 for the official files). Pixels are unsigned bytes;
 * see {@link BatchMaker} for float batches and {@link DjlDatasets} for DJL.
 */
public final class Datasets {
    private Datasets() {}

    /** The data set names {@link #load} and {@link #download} accept. */
    public static List<String> names() {
        return DatasetSpec.ALL.stream().map(DatasetSpec::key).toList();
    }

    /**
     * CIFAR-10, {@code N × 3 × 32 × 32}, 10 classes airplane … truck, named {@code "cifar10/train"} or
     * {@code "cifar10/test"}. The binary batches are preferred (exact pixels); JPEG class folders
     * ({@code cifar10-jpg/}) are the fallback and give a set named {@code "cifar10-jpg/<split>"}.
     */
    public static ImageSet cifar10(Split split) {
        return load("cifar10", split);
    }

    /** MNIST digits, {@code N × 1 × 28 × 28}, classes "0" … "9", named {@code "mnist/<split>"}. */
    public static ImageSet mnist(Split split) {
        return load("mnist", split);
    }

    /**
     * Fashion-MNIST, {@code N × 1 × 28 × 28}, classes T-shirt/top … Ankle boot, named
     * {@code "fashion-mnist/<split>"}; also found in Debian's {@code /usr/share/datasets/fashion-mnist}.
     */
    public static ImageSet fashionMnist(Split split) {
        return load("fashion-mnist", split);
    }

    /** {@code name} is {@code "cifar10"}, {@code "mnist"} or {@code "fashion-mnist"} (other spellings such as {@code CIFAR-10} are accepted). */
    public static ImageSet load(String name, Split split) {
        return load(name, split, DataHome.defaults());
    }

    /** Loads from one directory the caller names: the layout directory itself, or a folder holding it. */
    public static ImageSet load(String name, Split split, Path dir) {
        return load(name, split, DataHome.of(dir));
    }

    /**
     * Loads from {@code home}.
     *
     * @throws DataNotFoundException no location holds the data set
     * @throws SqueezeDataException the data set was found but is corrupt or incomplete
     */
    public static ImageSet load(String name, Split split, DataHome home) {
        return load(source(name, split, home), split);
    }

    /** The canonical name of a data set ({@code "cifar10"}, {@code "mnist"}, {@code "fashion-mnist"}) for any accepted spelling. */
    public static String key(String name) {
        return DatasetSpec.of(name).key();
    }

    /** Where {@link #load(String, Split)} reads {@code split} of {@code name} from; see {@link #source(String, Split, DataHome)}. */
    public static DataHome.Location source(String name, Split split) {
        return source(name, split, DataHome.defaults());
    }

    /**
     * Where {@code split} of {@code name} is read from: the first location in {@code home} that holds it,
     * provided the other split, if it exists anywhere, comes from that same location. A data set's two
     * splits never come from two sources: binary training batches with JPEG test folders would score
     * the model on differently encoded images and report a number nobody asked for.
     *
     * @throws DataNotFoundException no location holds {@code split}
     * @throws SqueezeDataException the splits are found in different locations; the message names both,
     *     what the preferred one lacks, and the fix
     */
    public static DataHome.Location source(String name, Split split, DataHome home) {
        DatasetSpec spec = DatasetSpec.of(name);
        DataHome.Location mine = home.locate(spec.key(), split);
        Split otherSplit = split == Split.TRAIN ? Split.TEST : Split.TRAIN;
        DataHome.Location other;
        try {
            other = home.locate(spec.key(), otherSplit);
        } catch (DataNotFoundException e) {
            return mine; // one split is all there is: a single source
        }
        if (mine.equals(other)) return mine;
        // The location searched first is the preferred one; it lacks one split, which only the other has.
        int mi = home.candidates(spec.key()).indexOf(mine), oi = home.candidates(spec.key()).indexOf(other);
        DataHome.Location preferred = mi < oi ? mine : other, fallback = mi < oi ? other : mine;
        Split missing = preferred == mine ? otherSplit : split;
        throw new SqueezeDataException(spec.title() + "'s splits are in two places: " + (missing == Split.TRAIN ? "test" : "train")
                + " in " + preferred.path() + " (" + DataHome.describe(preferred.layout()) + "), " + missing.folder() + " only in "
                + fallback.path() + " (" + DataHome.describe(fallback.layout()) + "), because " + preferred.path() + " "
                + DataHome.whyNot(preferred, missing) + ". Squeeze takes both splits of a data set from one source, so that"
                + " a score never compares images from two encodings. Fix: add the " + missing.folder() + " split to " + preferred.path()
                + ", or move that folder aside to use " + fallback.path() + " for both splits.");
    }

    /** Reads {@code split} from a location {@link #source} or {@link DataHome#locate} returned. */
    public static ImageSet load(DataHome.Location loc, Split split) {
        DatasetSpec spec = DatasetSpec.of(loc.dataset());
        return switch (loc.layout()) {
            case CIFAR10_BINARY -> Cifar10Reader.read(loc.path(), split);
            case IMAGE_FOLDER -> {
                ImageSet set = ImageFolderReader.read(loc.path(), split, "cifar10-jpg/" + split.folder());
                if (!set.classes().equals(Cifar10Reader.CLASSES) || set.channels() != 3 || set.height() != 32
                        || set.width() != 32) {
                    throw new SqueezeDataException(loc.path() + " was taken for CIFAR-10 but holds "
                            + set.channels() + "×" + set.height() + "×" + set.width() + " images in classes "
                            + set.classes() + "; CIFAR-10 is 3×32×32 in " + Cifar10Reader.CLASSES + ". Fix: move"
                            + " other image folders out of the data home, or load them with ImageFolderReader.read.");
                }
                yield set;
            }
            case IDX -> IdxReader.read(loc.path(), split, spec.key(),
                    spec.key().equals("mnist") ? IdxReader.MNIST_CLASSES : IdxReader.FASHION_MNIST_CLASSES);
        };
    }

    /**
     * Downloads {@code name} into {@link DataHome#defaultHome()} from the publisher, verifying SHA-256.
     * Files already present and verified are not fetched again.
     *
     * @return the layout directory, e.g. {@code ~/.squeeze/data/cifar-10-batches-bin}
     */
    public static Path download(String name) {
        return download(name, DataHome.defaultHome());
    }

    /** As {@link #download(String)}, into the data home {@code home} (the layout folder is created inside it). */
    public static Path download(String name, Path home) {
        return download(name, home, System.err);
    }

    /** As {@link #download(String, Path)}, reporting progress lines to {@code log}. */
    public static Path download(String name, Path home, PrintStream log) {
        return Downloads.download(DatasetSpec.of(name), home.toAbsolutePath().normalize(), log);
    }
}
