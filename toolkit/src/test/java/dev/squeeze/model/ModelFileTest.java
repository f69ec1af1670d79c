package dev.squeeze.model;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFileTest {
    @TempDir Path dir;

    @Test
    void saveLoadRoundTripIsExactAndKeepsProvenance() throws Exception {
        Architecture a = Zoo.resnet18(new int[] {3, 32, 32}, 10);
        Path f = dir.resolve("r.sqz");
        float[] input = new float[2 * 3 * 32 * 32];
        for (int i = 0; i < input.length; i++) input[i] = (float) Math.sin(i);
        float[] before;
        try (Network n = Network.create(a, 3)) {
            n.provenance().put("note", "round trip");
            before = n.logits(input, 2);
            ModelFile.save(n, f);
        }
        try (Network m = ModelFile.load(f)) {
            assertEquals(a, m.architecture());
            assertArrayEquals(before, m.logits(input, 2));
            assertEquals("round trip", m.provenance().get("note"));
        }
        assertTrue(Files.size(f) > 11_173_962L * 4, "fp32 file holds every parameter");
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temp files left behind");
        }
    }

    @Test
    void loadingIntoADifferentArchitectureNamesTheParameter() {
        Path f = dir.resolve("s.sqz");
        try (Network n = Network.create(Zoo.seedCnn(new int[] {3, 32, 32}, 10), 1)) {
            ModelFile.save(n, f);
        }
        Architecture wider = new Architecture("seed-cnn", new int[] {3, 32, 32}, List.of(
                Layer.Conv2d.of(3, 20, 5), new Layer.Relu(), new Layer.MaxPool(2, 2, 0),
                Layer.Conv2d.of(20, 32, 5), new Layer.Relu(), new Layer.MaxPool(2, 2, 0), new Layer.Flatten(),
                new Layer.Linear(800, 120, true), new Layer.Relu(), new Layer.Linear(120, 84, true), new Layer.Relu(),
                new Layer.Linear(84, 10, true)));
        try (Network target = Network.create(wider, 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelFile.loadInto(target, f));
            assertTrue(e.getMessage().contains("[16, 3, 5, 5]") && e.getMessage().contains("[20, 3, 5, 5]"), e.getMessage());
            assertTrue(e.getMessage().contains("parameter #0"), e.getMessage());
        }
    }

    @Test
    void truncatedOrTamperedFilesAreOneClearError() throws Exception {
        Path f = dir.resolve("t.sqz");
        try (Network n = Network.create(Zoo.seedCnn(new int[] {3, 32, 32}, 10), 1)) {
            ModelFile.save(n, f);
        }
        byte[] all = Files.readAllBytes(f);
        Path cut = dir.resolve("cut.sqz");
        Files.write(cut, java.util.Arrays.copyOf(all, all.length - 100));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelFile.load(cut));
        assertTrue(e.getMessage().contains("SHA-256") && e.getMessage().contains("cut.sqz"), e.getMessage());
        all[all.length / 2] ^= 1;
        Path flipped = dir.resolve("flip.sqz");
        Files.write(flipped, all);
        assertThrows(IllegalArgumentException.class, () -> ModelFile.load(flipped));
        Path junk = dir.resolve("junk.sqz");
        Files.writeString(junk, "not a model at all, just some text that is long enough to pass the size check....");
        e = assertThrows(IllegalArgumentException.class, () -> ModelFile.load(junk));
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
    }

    @Test
    void halfWidthStorageHalvesTheFileAndRoundsWeights() throws Exception {
        Path f32 = dir.resolve("a.sqz"), f16 = dir.resolve("b.sqz"), b16 = dir.resolve("c.sqz");
        float[] w;
        try (Network n = Network.create(Zoo.seedCnn(new int[] {3, 32, 32}, 10), 2)) {
            w = n.parameters().get(0).values();
            ModelFile.save(n, f32);
            ModelFile.save(n, f16, ModelFile.Storage.FP16);
            ModelFile.save(n, b16, ModelFile.Storage.BF16);
        }
        long params = 121_182;
        assertEquals(Files.size(f32) - Files.size(f16), params * 2);
        assertEquals(Files.size(f16), Files.size(b16));
        try (Network h = ModelFile.load(f16); Network b = ModelFile.load(b16)) {
            float[] wh = h.parameters().get(0).values(), wb = b.parameters().get(0).values();
            boolean anyDiffers = false;
            for (int i = 0; i < w.length; i++) {
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(w[i])), wh[i]);
                assertEquals(w[i], wb[i], Math.abs(w[i]) / 128f); // bf16 keeps 8 significant bits
                assertEquals(0, Float.floatToRawIntBits(wb[i]) & 0xFFFF);
                anyDiffers |= wb[i] != w[i];
            }
            assertTrue(anyDiffers);
        }
    }
}
