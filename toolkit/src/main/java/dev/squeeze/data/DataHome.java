package dev.squeeze.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where data sets are looked for. Nothing here touches the network.
 *
 * <p>The data home is {@code $SQUEEZE_DATA}, or {@code ~/.squeeze/data} when that is unset. In it the
 * official layouts are searched:
 *
 * <pre>
 *   &lt;home&gt;/cifar-10-batches-bin/   CIFAR-10 binary batches (preferred: exact pixels)
 *   &lt;home&gt;/cifar10-jpg/            CIFAR-10 as class folders train/&lt;class&gt;/, test/&lt;class&gt;/
 *   &lt;home&gt;/cifar10-jpg.zip         the same, zipped
 *   &lt;home&gt;/mnist/                  MNIST IDX files
 *   &lt;home&gt;/fashion-mnist/          Fashion-MNIST IDX files
 * </pre>
 *
 * plus {@code /usr/share/datasets/fashion-mnist/}, where Debian's {@code dataset-fashion-mnist} package
 * installs the four gzipped IDX files under their official names.
 *
 * <p>{@link #of(Path)} instead searches one directory the caller names: the directory itself may be
 * the layout directory (e.g. a {@code cifar-10-batches-bin} folder) or hold the sub-folders above.
 */
public final class DataHome {
    public static final String ENV = "SQUEEZE_DATA";
    public static final Path DEBIAN_FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

    /** How a found copy is laid out, i.e. which reader reads it. */
    public enum Layout { CIFAR10_BINARY, IMAGE_FOLDER, IDX }

    /** A place a data set may be, and how it would be laid out there. */
    public record Location(String dataset, Layout layout, Path path) {}

    private final Path root;
    private final boolean explicit;
    private final List<Path> systemDirs;

    private DataHome(Path root, boolean explicit, List<Path> systemDirs) {
        this.root = root.toAbsolutePath().normalize();
        this.explicit = explicit;
        this.systemDirs = systemDirs;
    }

    /**
     * A system property that, when set, wins over {@code $SQUEEZE_DATA}: a JVM cannot change its own
     * environment, so in-process callers (the CLI tests, an embedding application) point the default
     * search elsewhere with {@code -Dsqueeze.data=DIR} or {@code System.setProperty}.
     */
    public static final String PROPERTY = "squeeze.data";

    /**
     * {@code -Dsqueeze.data}, else {@code $SQUEEZE_DATA}, else {@code ~/.squeeze/data}; also where
     * {@link Datasets#download(String)} writes.
     */
    public static Path defaultHome() {
        String prop = System.getProperty(PROPERTY);
        if (prop != null && !prop.isBlank()) return Path.of(prop.strip()).toAbsolutePath().normalize();
        String env = System.getenv(ENV);
        if (env != null && !env.isBlank()) return Path.of(env.strip()).toAbsolutePath().normalize();
        return Path.of(System.getProperty("user.home"), ".squeeze", "data").toAbsolutePath().normalize();
    }

    /** The default search: {@link #defaultHome()} and Debian's Fashion-MNIST folder. */
    public static DataHome defaults() {
        return at(defaultHome());
    }

    /** A data home like {@code $SQUEEZE_DATA}: its official sub-folders, then the system folders. */
    public static DataHome at(Path home) {
        return new DataHome(home, false, List.of(DEBIAN_FASHION_MNIST));
    }

    /**
     * Exactly one directory the caller chose (or, for CIFAR-10 image folders, a {@code .zip}): the
     * directory itself, then its official sub-folders. Nothing else is searched.
     */
    public static DataHome of(Path dir) {
        return new DataHome(dir, true, List.of());
    }

    public Path root() { return root; }

    /** True for {@link #of(Path)}: the caller named this directory, so it alone is searched. */
    public boolean explicit() { return explicit; }

    /** Every place {@code dataset} is looked for, in search order. */
    public List<Location> candidates(String dataset) {
        DatasetSpec spec = DatasetSpec.of(dataset);
        String key = spec.key();
        List<Location> out = new ArrayList<>();
        switch (key) {
            case "cifar10" -> {
                if (explicit) {
                    boolean zip = root.getFileName() != null
                            && root.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".zip");
                    if (!zip) out.add(new Location(key, Layout.CIFAR10_BINARY, root));
                    out.add(new Location(key, Layout.IMAGE_FOLDER, root));
                    if (zip) return out;
                }
                out.add(new Location(key, Layout.CIFAR10_BINARY, root.resolve(spec.folder())));
                out.add(new Location(key, Layout.IMAGE_FOLDER, root.resolve("cifar10-jpg")));
                out.add(new Location(key, Layout.IMAGE_FOLDER, root.resolve("cifar10-jpg.zip")));
            }
            case "mnist", "fashion-mnist" -> {
                if (explicit) out.add(new Location(key, Layout.IDX, root));
                out.add(new Location(key, Layout.IDX, root.resolve(spec.folder())));
                if (key.equals("fashion-mnist")) {
                    for (Path p : systemDirs) out.add(new Location(key, Layout.IDX, p));
                }
            }
            default -> throw new IllegalStateException(key);
        }
        return out;
    }

    /**
     * The first candidate that holds {@code split}.
     *
     * @throws DataNotFoundException none does; the message lists every path searched, why each was
     *     passed over, and how to get the data
     */
    public Location locate(String dataset, Split split) {
        DatasetSpec spec = DatasetSpec.of(dataset);
        List<Location> all = candidates(spec.key());
        List<String> reasons = new ArrayList<>();
        for (Location loc : all) {
            String why = whyNot(loc, split);
            if (why == null) return loc;
            reasons.add(why);
        }
        throw notFound(spec, split, all, reasons);
    }

    /** {@code null} when {@code loc} holds {@code split}, else what is wrong, for the message. */
    static String whyNot(Location loc, Split split) {
        Path p = loc.path();
        switch (loc.layout()) {
            case CIFAR10_BINARY -> {
                if (!Files.isDirectory(p)) return Files.exists(p) ? "not a directory" : "missing";
                String first = Cifar10Reader.files(split).get(0);
                return Files.isRegularFile(p.resolve(first)) ? null : "exists, but has no " + first;
            }
            case IMAGE_FOLDER -> {
                if (Files.isRegularFile(p) && p.toString().toLowerCase(Locale.ROOT).endsWith(".zip")) return null;
                if (!Files.isDirectory(p)) return "missing";
                return Files.isDirectory(p.resolve(split.folder())) ? null
                        : "exists, but has no " + split.folder() + "/ class folders";
            }
            case IDX -> {
                if (!Files.isDirectory(p)) return Files.exists(p) ? "not a directory" : "missing";
                String stem = IdxReader.stem(split, true);
                return IdxReader.find(p, stem) != null ? null : "exists, but has no " + stem + "(.gz)";
            }
            default -> throw new IllegalStateException(loc.layout().toString());
        }
    }

    private DataNotFoundException notFound(DatasetSpec spec, Split split, List<Location> all, List<String> reasons) {
        StringBuilder m = new StringBuilder();
        m.append(spec.title()).append(" (").append(split.folder()).append(" split) was not found. Searched, in order:\n");
        List<Path> paths = new ArrayList<>();
        int width = 0;
        for (Location l : all) width = Math.max(width, l.path().toString().length());
        for (int i = 0; i < all.size(); i++) {
            Location l = all.get(i);
            if (!paths.contains(l.path())) paths.add(l.path());
            m.append("  ").append(String.format("%-" + width + "s", l.path())).append("  (")
                    .append(describe(l.layout())).append(": ").append(reasons.get(i)).append(")\n");
        }
        Path target = root.resolve(spec.folder());
        m.append("Get it either way:\n");
        m.append("  1. Put the official files in ").append(target).append("/: ").append(spec.filesText()).append('.');
        // The commands must write where this search looks: the default home needs no variable, any
        // other folder is passed as SQUEEZE_DATA / an explicit path.
        boolean isDefault = !explicit && root.equals(defaultHome());
        String prop = System.getProperty(PROPERTY);
        if (isDefault && prop != null && !prop.isBlank()) {
            m.append(" That folder is -D").append(PROPERTY).append("=").append(prop).append("/").append(spec.folder()).append('.');
        } else if (isDefault) {
            String env = System.getenv(ENV);
            m.append(" That folder is $").append(ENV).append("/").append(spec.folder()).append(" (")
                    .append(ENV).append(env == null || env.isBlank() ? " is unset, so ~/.squeeze/data is used"
                            : "=" + env).append(").");
        }
        if (spec.key().equals("fashion-mnist")) {
            m.append(" On Debian, apt-get install dataset-fashion-mnist provides ").append(DEBIAN_FASHION_MNIST)
                    .append(explicit ? " (searched when no directory is given)." : ".");
        }
        m.append("\n  2. Download them (").append(spec.sizeText()).append(", SHA-256 checked): ");
        if (!isDefault) m.append(ENV).append('=').append(root).append(' ');
        m.append("./squeeze data --download ").append(spec.key()).append(", or in a notebook Datasets.download(\"")
                .append(spec.key()).append('"');
        if (!isDefault) m.append(", Path.of(\"").append(root).append("\")");
        m.append(").");
        return new DataNotFoundException(spec.key(), paths, m.toString());
    }

    static String describe(Layout l) {
        return switch (l) {
            case CIFAR10_BINARY -> "CIFAR-10 binary batches";
            case IMAGE_FOLDER -> "image class folders";
            case IDX -> "IDX files";
        };
    }

    @Override
    public String toString() {
        return (explicit ? "data directory " : "data home ") + root;
    }
}
