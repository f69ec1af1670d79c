package dev.squeeze.data;

import dev.squeeze.util.Sha256;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * The only code that touches the network, and only when {@link Datasets#download} is called. Every
 * file is streamed to a temporary file beside its destination, its SHA-256 compared with the
 * publisher's sum in {@code datasets/SHA256SUMS} (packaged into the jar), and only then moved into
 * place atomically, so an interrupted or corrupted download never leaves a file a loader would read.
 */
final class Downloads {
    /** Classpath location of the repository's {@code datasets/SHA256SUMS}, relative to this class. */
    static final String SUMS_RESOURCE = "datasets/SHA256SUMS";

    private Downloads() {}

    /** {@code home}-relative path → lower-case SHA-256, from {@code datasets/SHA256SUMS} on the classpath. */
    static Map<String, String> publishedSums() {
        try (InputStream in = Downloads.class.getResourceAsStream(SUMS_RESOURCE)) {
            if (in == null) {
                throw new SqueezeDataException("The checksum list dev/squeeze/data/" + SUMS_RESOURCE + " is not on"
                        + " the classpath, so no download can be verified. Fix: rebuild the toolkit jar with Maven"
                        + " (it packages the repository's datasets/ folder).");
            }
            return parseSums(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses {@code sha256sum} output: {@code <64 hex>  <path>} (or {@code " *<path>"}), {@code #} comments. */
    static Map<String, String> parseSums(String text) {
        Map<String, String> sums = new LinkedHashMap<>();
        try (BufferedReader r = new BufferedReader(new java.io.StringReader(text))) {
            String line;
            while ((line = r.readLine()) != null) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) continue;
                String[] parts = line.split("\\s+", 2);
                if (parts.length != 2 || !parts[0].matches("[0-9a-fA-F]{64}")) continue;
                String path = parts[1].startsWith("*") ? parts[1].substring(1) : parts[1];
                sums.put(path, parts[0].toLowerCase(java.util.Locale.ROOT));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sums;
    }

    /** Downloads and installs {@code spec} under {@code home}; returns the layout directory. */
    static Path download(DatasetSpec spec, Path home, PrintStream log) {
        Map<String, String> sums = publishedSums();
        for (DatasetSpec.Download d : spec.downloads()) {
            if (!sums.containsKey(d.path())) {
                throw new SqueezeDataException("datasets/SHA256SUMS has no sum for " + d.path() + ", so its download"
                        + " cannot be verified and is refused. Fix: add the publisher's SHA-256 for " + d.url()
                        + " to datasets/SHA256SUMS and rebuild.");
            }
        }
        try {
            Files.createDirectories(home);
        } catch (IOException e) {
            throw new SqueezeDataException("Cannot create the data home " + home + ": " + e + ". Fix: set "
                    + DataHome.ENV + " to a writable folder.", e);
        }
        Path target = home.resolve(spec.folder());
        if (spec.key().equals("cifar10")) {
            if (cifarComplete(target)) {
                log.println("CIFAR-10 is already in " + target + "; nothing downloaded.");
                return target;
            }
            DatasetSpec.Download d = spec.downloads().get(0);
            Path archive = home.resolve(d.path());
            String sha = sums.get(d.path());
            if (!(Files.isRegularFile(archive) && sha256(archive).equals(sha))) {
                fetch(d.url(), archive, sha, log);
            }
            installCifarArchive(archive, home);
            try {
                Files.delete(archive); // the extracted batches are what loaders read; 163 MiB less on disk
            } catch (IOException e) {
                log.println("Could not delete " + archive + " (" + e + "); it may be removed by hand.");
            }
            log.println("CIFAR-10 is in " + target);
            return target;
        }
        for (DatasetSpec.Download d : spec.downloads()) {
            Path dest = home.resolve(d.path());
            String sha = sums.get(d.path());
            if (Files.isRegularFile(dest) && sha256(dest).equals(sha)) {
                log.println(dest + " is already there and verified.");
                continue;
            }
            fetch(d.url(), dest, sha, log);
        }
        log.println(spec.title() + " is in " + target);
        return target;
    }

    /**
     * Streams {@code url} to a temporary file beside {@code dest}, checks its SHA-256 against
     * {@code expectedSha256}, then moves it to {@code dest} atomically (replacing any old file). On any
     * failure nothing is left behind.
     */
    static void fetch(URI url, Path dest, String expectedSha256, PrintStream log) {
        Path tmp = null;
        try (HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30)).build()) {
            Files.createDirectories(dest.toAbsolutePath().getParent());
            tmp = Files.createTempFile(dest.toAbsolutePath().getParent(), "." + dest.getFileName() + ".", ".part");
            log.println("Downloading " + url + " -> " + dest);
            HttpRequest req = HttpRequest.newBuilder(url).timeout(Duration.ofMinutes(2))
                    .header("User-Agent", "squeeze-toolkit").GET().build();
            HttpResponse<InputStream> resp = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
            MessageDigest md = Sha256.digest();
            try (InputStream in = resp.body()) {
                if (resp.statusCode() != 200) {
                    throw new SqueezeDataException("Download of " + url + " failed: HTTP status " + resp.statusCode()
                            + "; nothing was saved. Fix: retry later; if the publisher moved the file, put it in "
                            + dest + " by hand.");
                }
                try (OutputStream out = new DigestOutputStream(Files.newOutputStream(tmp), md)) {
                    in.transferTo(out);
                }
            }
            String got = HexFormat.of().formatHex(md.digest());
            if (!got.equalsIgnoreCase(expectedSha256)) {
                throw new SqueezeDataException("Downloaded " + url + " has SHA-256 " + got + ", but the publisher's"
                        + " sum in datasets/SHA256SUMS is " + expectedSha256 + "; nothing was saved to " + dest
                        + ". Fix: retry (the transfer may have been cut or altered); if it keeps differing, the"
                        + " publisher changed the file: compare with the publisher's page before updating SHA256SUMS.");
            }
            try {
                Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dest, StandardCopyOption.REPLACE_EXISTING);
            }
            log.println("Verified SHA-256 " + got + "  " + dest.getFileName());
        } catch (IOException e) {
            throw new SqueezeDataException("Download of " + url + " to " + dest + " failed: " + e + "; nothing was"
                    + " saved. Fix: check the network connection and retry, or put the official file in " + dest
                    + " by hand.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SqueezeDataException("Download of " + url + " was interrupted; nothing was saved.", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: a leftover hidden .part file is harmless and never read
                }
            }
        }
    }

    /**
     * Extracts {@code cifar-10-batches-bin/*} from the official {@code cifar-10-binary.tar.gz} into
     * {@code home/cifar-10-batches-bin/}, via a temporary folder so a cut-short extraction leaves no
     * partial batch file where the loader looks.
     */
    static void installCifarArchive(Path archive, Path home) {
        Path target = home.resolve(DatasetSpec.CIFAR10.folder());
        Path tmp = null;
        try {
            tmp = Files.createTempDirectory(home, ".cifar-10-extract-");
            try (TarArchiveInputStream tar = new TarArchiveInputStream(
                    new GZIPInputStream(new BufferedInputStream(Files.newInputStream(archive), 1 << 16)))) {
                TarArchiveEntry e;
                while ((e = tar.getNextEntry()) != null) {
                    if (!e.isFile()) continue;
                    Path rel = Path.of(e.getName()).normalize();
                    // Only the flat files of cifar-10-batches-bin/ belong to the layout; anything else
                    // (and any "../" entry) is skipped rather than written outside the folder.
                    if (rel.isAbsolute() || rel.getNameCount() != 2
                            || !rel.getName(0).toString().equals(DatasetSpec.CIFAR10.folder())) {
                        continue;
                    }
                    Files.copy(tar, tmp.resolve(rel.getFileName().toString()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            for (String f : Cifar10Reader.TRAIN_FILES) requireExtracted(archive, tmp, f);
            requireExtracted(archive, tmp, Cifar10Reader.TEST_FILE);
            Files.createDirectories(target);
            try (Stream<Path> s = Files.list(tmp)) {
                for (Path f : s.toList()) {
                    try {
                        Files.move(f, target.resolve(f.getFileName().toString()), StandardCopyOption.ATOMIC_MOVE,
                                StandardCopyOption.REPLACE_EXISTING);
                    } catch (AtomicMoveNotSupportedException ex) {
                        Files.move(f, target.resolve(f.getFileName().toString()), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        } catch (IOException e) {
            throw new SqueezeDataException("Extracting " + archive + " into " + target + " failed: " + e
                    + ". Fix: delete " + archive + " and download again with ./squeeze data --download cifar10.", e);
        } finally {
            deleteTree(tmp);
        }
    }

    private static void requireExtracted(Path archive, Path dir, String name) {
        if (!Files.isRegularFile(dir.resolve(name))) {
            throw new SqueezeDataException(archive + " has no cifar-10-batches-bin/" + name + "; it is not the"
                    + " official CIFAR-10 binary archive. Fix: delete it and download again with"
                    + " ./squeeze data --download cifar10.");
        }
    }

    /** True when all six official batch files are present at their official size. */
    static boolean cifarComplete(Path dir) {
        for (String f : Stream.concat(Cifar10Reader.TRAIN_FILES.stream(), Stream.of(Cifar10Reader.TEST_FILE)).toList()) {
            Path p = dir.resolve(f);
            try {
                if (!Files.isRegularFile(p) || Files.size(p) != 10_000L * Cifar10Reader.RECORD_BYTES) return false;
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    static String sha256(Path file) {
        MessageDigest md = Sha256.digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
        } catch (IOException e) {
            throw new SqueezeDataException("Cannot read " + file + " to check its SHA-256: " + e + ".", e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort: a leftover hidden temporary folder is never read by the loaders
        }
    }
}
