package dev.squeeze.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Download mechanics against a local HTTP server; no test reaches the internet. */
class DownloadsTest {
    @TempDir Path tmp;
    private HttpServer server;
    private final byte[] payload = "some bytes the server sends".getBytes();
    private final PrintStream quiet = new PrintStream(new ByteArrayOutputStream());

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/file.bin", ex -> {
            ex.sendResponseHeaders(200, payload.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(payload);
            }
        });
        server.createContext("/gone", ex -> {
            ex.sendResponseHeaders(404, -1);
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    void verifiedFileIsMovedIntoPlace() throws Exception {
        Path dest = tmp.resolve("sub/file.bin");
        Downloads.fetch(url("/file.bin"), dest, sha(payload), quiet);
        assertEquals(new String(payload), Files.readString(dest));
        try (var s = Files.list(dest.getParent())) {
            assertEquals(1, s.count(), "no temporary file left");
        }
    }

    @Test
    void wrongSumSavesNothingAndNamesBothSums() throws Exception {
        Path dest = tmp.resolve("file.bin");
        String wrong = "0".repeat(64);
        SqueezeDataException e = assertThrows(SqueezeDataException.class,
                () -> Downloads.fetch(url("/file.bin"), dest, wrong, quiet));
        assertTrue(e.getMessage().contains(sha(payload)) && e.getMessage().contains(wrong), e.getMessage());
        assertFalse(Files.exists(dest));
        try (var s = Files.list(tmp)) {
            assertEquals(0, s.count(), "no temporary file left");
        }
    }

    @Test
    void httpErrorIsReported() {
        SqueezeDataException e = assertThrows(SqueezeDataException.class,
                () -> Downloads.fetch(url("/gone"), tmp.resolve("x"), "0".repeat(64), quiet));
        assertTrue(e.getMessage().contains("HTTP status 404"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("x")));
    }

    @Test
    void publishedSumsAreOnTheClasspath() {
        Map<String, String> sums = Downloads.publishedSums();
        for (DatasetSpec spec : DatasetSpec.ALL) {
            for (DatasetSpec.Download d : spec.downloads()) {
                assertTrue(sums.containsKey(d.path()), "SHA256SUMS lacks " + d.path());
                assertTrue(sums.get(d.path()).matches("[0-9a-f]{64}"), d.path());
            }
        }
        assertEquals("c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd", sums.get("cifar-10-binary.tar.gz"));
    }

    @Test
    void parsesSha256sumFormat() {
        Map<String, String> m = Downloads.parseSums("# comment\n" + "A".repeat(64) + " *bin/file\n" + "b".repeat(64) + "  text file\n\nbad line\n");
        assertEquals(Map.of("bin/file", "a".repeat(64), "text file", "b".repeat(64)), m);
    }

    @Test
    void cifarArchiveIsExtractedIntoTheOfficialLayout() throws Exception {
        Path archive = tmp.resolve("cifar-10-binary.tar.gz");
        try (OutputStream os = Files.newOutputStream(archive); GZIPOutputStream gz = new GZIPOutputStream(os);
                TarArchiveOutputStream tar = new TarArchiveOutputStream(gz)) {
            int i = 0;
            for (String f : new String[] {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                    "data_batch_5.bin", "test_batch.bin"}) {
                put(tar, "cifar-10-batches-bin/" + f, TestFiles.cifarBatch(i++, 2));
            }
            put(tar, "cifar-10-batches-bin/batches.meta.txt", (String.join("\n", Cifar10Reader.CLASSES) + "\n").getBytes());
            put(tar, "cifar-10-batches-bin/../../escape.txt", new byte[] {1});
        }
        Downloads.installCifarArchive(archive, tmp);
        assertFalse(Files.exists(tmp.getParent().resolve("escape.txt")));
        ImageSet s = Datasets.load("cifar10", Split.TRAIN, tmp);
        assertEquals(10, s.size());
        assertEquals(TestFiles.cifarLabel(4, 1), s.label(9));
        try (var l = Files.list(tmp)) {
            assertEquals(2, l.count(), "only the archive and cifar-10-batches-bin remain");
        }
    }

    @Test
    void archiveWithoutBatchesIsRejected() throws Exception {
        Path archive = tmp.resolve("cifar-10-binary.tar.gz");
        try (OutputStream os = Files.newOutputStream(archive); GZIPOutputStream gz = new GZIPOutputStream(os);
                TarArchiveOutputStream tar = new TarArchiveOutputStream(gz)) {
            put(tar, "cifar-10-batches-bin/test_batch.bin", TestFiles.cifarBatch(0, 1));
        }
        SqueezeDataException e = assertThrows(SqueezeDataException.class, () -> Downloads.installCifarArchive(archive, tmp));
        assertTrue(e.getMessage().contains("data_batch_1.bin"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("cifar-10-batches-bin")));
    }

    private static void put(TarArchiveOutputStream tar, String name, byte[] data) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, true);
        e.setSize(data.length);
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
    }
}
