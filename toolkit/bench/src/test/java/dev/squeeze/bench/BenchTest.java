package dev.squeeze.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import dev.squeeze.train.Budget;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The harness on fake runtimes: interleaving, agreement, speed-up, failures and output files. */
class BenchTest {

    /** Every call of every fake runtime, in order, as "name:batch". */
    final List<String> calls = new ArrayList<>();

    /** A runtime that returns fixed logits: class {@code shift + i} for image i, after {@code sleepMs}. */
    final class Fake implements Runtime {
        final String name;
        final int shift;
        final long sleepMs;
        final boolean failPrepare;
        int preparedThreads;

        Fake(String name, int shift, long sleepMs, boolean failPrepare) {
            this.name = name; this.shift = shift; this.sleepMs = sleepMs; this.failPrepare = failPrepare;
        }
        @Override public String name() { return name; }
        @Override public void prepare(int batch, int threads) {
            if (failPrepare) throw new IllegalStateException("cannot run " + threads + " threads");
            preparedThreads = threads;
        }
        @Override public float[] run(float[] input, int batch) {
            calls.add(name + ":" + batch);
            if (sleepMs > 0) {
                try { Thread.sleep(sleepMs); } catch (InterruptedException e) { throw new RuntimeException(e); }
            }
            float[] out = new float[batch * 10];
            for (int b = 0; b < batch; b++) out[b * 10 + Math.floorMod(b + shift, 10)] = 1f;
            return out;
        }
        @Override public String note() { return preparedThreads + " threads"; }
        @Override public void close() { }
    }

    RuntimeFactory factory(String name, int shift, long sleepMs, boolean failPrepare) {
        return new RuntimeFactory() {
            @Override public String name() { return name; }
            @Override public Runtime create(BenchModel m) { return new Fake(name, shift, sleepMs, failPrepare); }
        };
    }

    static ImageSet images(int n) {
        SplittableRandom rnd = new SplittableRandom(1);
        byte[] px = new byte[n * 3 * 32 * 32];
        for (int i = 0; i < px.length; i++) px[i] = (byte) rnd.nextInt(256);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = i % 10;
        return new ImageSet("fake/test", px, labels, 3, 32, 32, List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
    }

    BenchConfig config() {
        return BenchConfig.defaults(Budget.QUICK).withModels(List.of("seed-cnn")).withBatches(List.of(1, 4)).withThreads(List.of(1, 2))
                .withReference("ref").withRepeats(2, 4, 4, 0).withAgreementImages(20);
    }

    @Test
    void interleavesRoundsAndComparesWithTheReference(@TempDir Path dir) throws Exception {
        List<RuntimeFactory> factories = List.of(factory("ref", 0, 2, false), factory("same", 0, 0, false),
                factory("off", 1, 0, false), factory("broken", 0, 0, true));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        BenchReport report;
        try (Network net = Network.create(Zoo.seedCnn(new int[] {3, 32, 32}, 10), 1)) {
            BenchModel model = new BenchModel("seed-cnn", net, Preprocessing.halfHalf(), images(8), Double.NaN, "untrained");
            report = new Bench(config(), factories, new PrintStream(log)).run(List.of(model), images(40));
        }
        // 2 batches × 2 thread counts × 4 runtimes
        assertEquals(16, report.rows().size());
        assertEquals(20, report.models().get(0).agreementImages(), "agreement images rounded to whole calls");
        for (BenchRow r : report.rows()) {
            switch (r.runtime()) {
                case "ref" -> { assertEquals(1.0, r.top1Agreement()); assertEquals(1.0, r.speedupVsReference()); }
                case "same" -> { assertEquals(1.0, r.top1Agreement()); assertTrue(r.speedupVsReference() > 1, "no sleep, so faster than ref"); }
                case "off" -> assertEquals(0.0, r.top1Agreement(), "predicts class+1 for every image");
                case "broken" -> { assertTrue(Double.isNaN(r.medianMs())); assertTrue(r.note().contains("cannot run"), r.note()); }
                default -> throw new AssertionError(r.runtime());
            }
            if (!r.runtime().equals("broken")) {
                assertEquals(4, r.repeats());
                assertEquals(r.threads() + " threads", r.note());
                assertTrue(r.minMs() <= r.medianMs() && r.medianMs() <= r.maxMs());
            }
        }
        // The last case (batch 4, threads 2): after warm-ups, rounds of one call each, rotating who starts.
        List<String> last = calls.subList(calls.size() - 12, calls.size());
        assertEquals(List.of("ref:4", "same:4", "off:4", "same:4", "off:4", "ref:4", "off:4", "ref:4", "same:4", "ref:4", "same:4", "off:4"),
                last);

        List<Path> files = Bench.write(report, dir);
        assertTrue(Files.readString(dir.resolve("bench.json")).contains("\"top1_agreement\""));
        assertTrue(Files.readString(dir.resolve("bench.json")).contains("\"speedup_vs_reference\""));
        assertTrue(Files.size(dir.resolve("latency-seed-cnn-b1.png")) > 1000);
        assertTrue(Files.exists(dir.resolve("latency-seed-cnn-b4.png")));
        assertEquals(3, files.size());
        String table = Bench.summary(report).printAll();
        assertTrue(table.contains("speedup_vs_reference") && table.contains("off"), table);
        assertFalse(log.toString().isEmpty());
    }

    @Test
    void unknownRuntimeNameIsRejectedUpFront() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Bench(config().withRuntimes(List.of("ort-int8")), List.of(factory("ref", 0, 0, false)), System.err));
        assertTrue(e.getMessage().contains("ort-int8") && e.getMessage().contains("ref"), e.getMessage());
    }

    @Test
    void builtInsAreRegistered() {
        List<String> names = Runtimes.defaults().stream().map(RuntimeFactory::name).toList();
        assertTrue(names.containsAll(List.of(DjlRuntime.NAME, Nd4jRuntime.NAME)), names.toString());
    }

    @Test
    void cliRejectsBadOptionsWithTheFix() {
        BenchMain.UsageException e = assertThrows(BenchMain.UsageException.class,
                () -> BenchMain.run(new String[] {"--batch", "1"}, Runtimes.builtIn()));
        assertTrue(e.getMessage().contains("--batches"), e.getMessage());
        assertThrows(BenchMain.UsageException.class, () -> BenchMain.run(new String[] {"--threads", "0"}, Runtimes.builtIn()));
    }
}
