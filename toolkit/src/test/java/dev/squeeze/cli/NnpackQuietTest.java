package dev.squeeze.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.squeeze.data.DataHome;
import dev.squeeze.model.ModelFile;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * libtorch writes "Could not initialize NNPACK!" straight to file descriptor 2, once per batch-1
 * convolution with a small 3×3 kernel, on CPUs NNPACK does not support (this machine's EPYC among
 * them): about 240 lines per Keras-model eval. Only a separate process shows what reaches the
 * terminal, so this test runs {@code eval} in one.
 */
class NnpackQuietTest {
    @TempDir Path tmp;

    @Test
    void kerasEvalPrintsNoNnpackLines() throws Exception {
        Path home = tmp.resolve("data");
        CliFixtures.idx(home.resolve("mnist"), 40, 20);
        Path model = tmp.resolve("keras-student.sqz");
        try (Network net = Network.create(Zoo.get("keras-student", new int[] {1, 28, 28}, 10), 5)) {
            net.provenance().put("dataset", "mnist");
            ModelFile.save(net, model);
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-D" + DataHome.PROPERTY + "=" + home, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "eval", "--model-file", model.toString(), "--dataset", "mnist", "--out", tmp.resolve("eval").toString()));
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        System.out.print(output);
        assertEquals(0, p.exitValue(), output);
        long nnpack = output.lines().filter(l -> l.contains("NNPACK")).count();
        assertEquals(0, nnpack, "lines about NNPACK in:\n" + output);
        assertTrue(output.contains("accuracy"), output);
    }
}
