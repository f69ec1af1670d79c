package dev.squeeze.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ImageSetSubsetTest {
    /** 1000 images of 1×1×2 bytes holding their own index (big-endian), classes 50 % / 30 % / 20 %. */
    private static ImageSet skewed() {
        int n = 1000;
        byte[] px = new byte[n * 2];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            px[2 * i] = (byte) (i >> 8);
            px[2 * i + 1] = (byte) i;
            labels[i] = i % 10 < 5 ? 0 : i % 10 < 8 ? 1 : 2;
        }
        return new ImageSet("skewed", px, labels, 1, 1, 2, List.of("a", "b", "c"));
    }

    private static int[] ids(ImageSet s) {
        int[] out = new int[s.size()];
        for (int i = 0; i < s.size(); i++) out[i] = s.pixel(i, 0, 0, 0) << 8 | s.pixel(i, 0, 0, 1);
        return out;
    }

    @Test
    void sameSeedSameSubsetDifferentSeedDifferent() {
        ImageSet s = skewed();
        for (boolean stratified : new boolean[] {true, false}) {
            int[] a = ids(s.subset(100, 7, stratified));
            int[] b = ids(s.subset(100, 7, stratified));
            int[] c = ids(s.subset(100, 8, stratified));
            assertArrayEquals(a, b);
            assertFalse(Arrays.equals(a, c));
            assertEquals(100, new HashSet<>(Arrays.stream(a).boxed().toList()).size(), "no image twice");
        }
    }

    @Test
    void stratifiedKeepsClassProportions() {
        ImageSet s = skewed();
        for (long seed = 0; seed < 5; seed++) {
            assertArrayEquals(new int[] {50, 30, 20}, s.subset(100, seed, true).classCounts());
            assertArrayEquals(new int[] {5, 3, 2}, s.subset(10, seed, true).classCounts());
        }
        // 7 of 1000: exact shares 3.5 / 2.1 / 1.4 → largest remainders give 4 / 2 / 1.
        assertArrayEquals(new int[] {4, 2, 1}, s.subset(7, 1, true).classCounts());
    }

    @Test
    void subsetKeepsPixelsWithTheirLabels() {
        ImageSet s = skewed();
        ImageSet sub = s.subset(50, 3, true);
        int[] id = ids(sub);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < sub.size(); i++) {
            assertEquals(s.label(id[i]), sub.label(i));
            assertTrue(seen.add(id[i]));
        }
        assertSame(s, s.subset(5000, 1, true));
    }
}
