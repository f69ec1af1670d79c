package dev.squeeze.prune.compress;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.model.NamedTensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class SparseSizesTest {

    @Test
    void handExample() {
        // A 2×10 weight with 3 non-zeros and a dense bias of 2.
        float[] w = new float[20];
        w[0] = 1f; w[7] = -2f; w[19] = 0.5f;
        List<NamedTensor> tensors = List.of(new NamedTensor("w", new long[] {2, 10}, w, "WEIGHT", true),
                new NamedTensor("b", new long[] {2}, new float[] {0.1f, 0.2f}, "BIAS", true));
        SparseSizes s = SparseSizes.of(tensors);
        assertEquals(22, s.parameters());
        assertEquals(5, s.nonZero());
        assertEquals(88, s.denseFp32Bytes());
        // Bitmask: ceil(20/8) = 3 bytes + 3·4 for w; 1 byte + 2·4 for b.
        assertEquals(3 + 12 + 1 + 8, s.bitmaskFp32Bytes());
        // Relative: w's gaps are 0, 6, 11. With 3-bit gaps (escape 7, real gaps ≤ 6) the 11 needs one escape:
        // 4 fields · 3 bits + 3 · 32 = 108 bits; 4 bits: 3 · 4 + 96 = 108 too (ties go to the narrower width),
        // 2 bits: escape 3, 6 → 3,3,0 and 11 → 3,3,3,2: 1+3+4 = 8 fields · 2 + 96 = 112. So 108 bits → 14 bytes.
        // b: gaps 0, 0 with 1 bit: 2 + 64 = 66 bits → 9 bytes.
        assertEquals(14 + 9, s.relativeIndexFp32Bytes());
        // int8: w mask 3 + 3 values + 2 channel scales · 4; b mask 1 + 2 values + 1 scale · 4.
        assertEquals(3 + 3 + 8 + 1 + 2 + 4, s.int8BitmaskBytes());
        assertEquals(1 - 5.0 / 22, s.sparsity(), 1e-12);
        assertTrue(s.gzipDenseBytes() > 0 && s.gzipBitmaskBytes() > 0);
        var t = s.table("hand");
        assertEquals(6, t.rowCount());
        assertEquals(1.0, t.doubleColumn("ratio").get(0), 1e-12);
        assertEquals(88.0 / 24, t.doubleColumn("ratio").get(1), 0.005);
    }

    @Test
    void relativeIndexingMatchesTheFileFormat() throws Exception {
        float[] w = WeightSharingTest.prunedGaussian(50_000, 0.07, 3);
        SparseSizes s = SparseSizes.of(List.of(new NamedTensor("w", new long[] {50_000}, w, "WEIGHT", true)));
        byte[] payload = SparseTensorFile.payload(SparseTensorFile.Entry.of("w", new long[] {50_000}, SparseTensorFile.Encoding.RELATIVE_FP32, w));
        assertEquals(s.relativeIndexFp32Bytes() + 5, payload.length, "the file adds the gap width byte and the count");
        assertTrue(s.gzipBitmaskBytes() < s.gzipDenseBytes());
    }
}
