package dev.squeeze.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir Path tmp;

    @Test
    void writtenFilesGetTheModeAnyNewFileGets() throws Exception {
        // A plain new file follows the umask (0644 under the usual 022); a result file must too, not
        // the 0600 of a private temp file, or a shared results folder is unreadable to the group.
        Set<PosixFilePermission> normal = Files.getPosixFilePermissions(Files.createFile(tmp.resolve("plain")));
        Path f = tmp.resolve("result.json");
        AtomicFiles.writeString(f, "{}\n");
        assertEquals(normal, Files.getPosixFilePermissions(f));
        assertEquals("{}\n", Files.readString(f));
        try (Stream<Path> s = Files.list(tmp)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().endsWith(".tmp")), "temp file left behind");
        }
    }
}
