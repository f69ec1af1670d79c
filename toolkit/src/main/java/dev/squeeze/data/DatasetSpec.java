package dev.squeeze.data;

import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * What Squeeze knows about each data set it can find and download: where it lives under a data home,
 * which files make it up, and where the publisher serves them.
 *
 * @param key name as {@link Datasets#load} takes it
 * @param title name for people, e.g. {@code "Fashion-MNIST"}
 * @param folder sub-folder of a data home holding the official layout
 * @param filesText the files expected in {@code folder}, for messages
 * @param downloads publisher URL → path relative to the home, which is also the key in {@code SHA256SUMS}
 */
record DatasetSpec(String key, String title, String folder, String filesText, String sizeText,
        List<Download> downloads) {

    /** One file to fetch: {@code url} is saved as {@code home/path} (for an archive: then extracted). */
    record Download(URI url, String path) {}

    static final String MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/";
    // Zalando publishes only this plain-HTTP S3 website endpoint; integrity comes from the SHA-256 check.
    static final String FASHION_MNIST_MIRROR = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";
    static final String CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
    static final List<String> IDX_FILES = List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz");

    static final DatasetSpec CIFAR10 = new DatasetSpec("cifar10", "CIFAR-10", "cifar-10-batches-bin",
            "data_batch_1.bin … data_batch_5.bin and test_batch.bin, as extracted from cifar-10-binary.tar.gz"
                    + " (or JPEG/PNG class folders in cifar10-jpg/train/<class>/ and cifar10-jpg/test/<class>/)",
            "about 163 MiB", List.of(new Download(URI.create(CIFAR10_URL), "cifar-10-binary.tar.gz")));
    static final DatasetSpec MNIST = new DatasetSpec("mnist", "MNIST", "mnist",
            String.join(", ", IDX_FILES) + " (gzipped or not)", "about 11 MiB", idx(MNIST_MIRROR, "mnist"));
    static final DatasetSpec FASHION_MNIST = new DatasetSpec("fashion-mnist", "Fashion-MNIST", "fashion-mnist",
            String.join(", ", IDX_FILES) + " (gzipped or not)", "about 29 MiB",
            idx(FASHION_MNIST_MIRROR, "fashion-mnist"));
    static final List<DatasetSpec> ALL = List.of(CIFAR10, MNIST, FASHION_MNIST);

    private static List<Download> idx(String base, String folder) {
        return IDX_FILES.stream().map(f -> new Download(URI.create(base + f), folder + "/" + f)).toList();
    }

    /**
     * The spec for {@code name}, accepting common spellings ({@code CIFAR-10}, {@code fashion_mnist},
     * {@code FashionMNIST}, …).
     *
     * @throws SqueezeDataException for an unknown name, listing the known ones
     */
    static DatasetSpec of(String name) {
        String n = name == null ? "" : name.strip().toLowerCase(Locale.ROOT).replace("_", "-");
        String squashed = n.replace("-", "");
        for (DatasetSpec s : ALL) {
            if (s.key.replace("-", "").equals(squashed)) return s;
        }
        throw new SqueezeDataException("Unknown data set '" + name + "'. Known data sets: "
                + String.join(", ", ALL.stream().map(DatasetSpec::key).toList()) + ".");
    }
}
