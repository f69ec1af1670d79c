package dev.squeeze.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import dev.squeeze.quant.Int8Fixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchNormRecalibrationTest {

    /** The first BatchNorm's running mean becomes the per-channel mean of conv1's outputs over the data. */
    @Test
    void runningStatisticsBecomeTheDataAverages() {
        ImageSet data = Int8Fixtures.images(64, 3, 32, 32, 4);
        Preprocessing prep = Preprocessing.halfHalf();
        Architecture arch = Zoo.resnet18(new int[] {3, 32, 32}, 10);
        try (Network net = Network.create(arch, 3)) {
            float[] junk = new float[64];
            java.util.Arrays.fill(junk, 5f);
            net.setParameter("bn1.running_mean", junk);
            float[] conv = net.parameter("conv1.weight").values();
            Training.recalibrateBatchNorm(net, data, prep, 0, 16);
            float[] mean = net.parameter("bn1.running_mean").values();
            float[] var = net.parameter("bn1.running_var").values();
            // conv1 alone, same weights: its outputs' per-channel mean over all 64 images.
            Architecture probe = new Architecture("conv1", new int[] {3, 32, 32}, List.of(new Layer.Conv2d(3, 64, 3, 1, 1, 1, false)));
            try (Network c = Network.create(probe, 1)) {
                c.setParameter("conv1.weight", conv);
                float[] out = c.logits(new dev.squeeze.data.BatchMaker(data, prep).batch(0, 64), 64);
                int hw = 32 * 32;
                for (int ch = 0; ch < 64; ch += 9) {
                    double s = 0;
                    for (int i = 0; i < 64; i++) for (int p = 0; p < hw; p++) s += out[(i * 64 + ch) * hw + p];
                    double want = s / (64.0 * hw);
                    assertEquals(want, mean[ch], 1e-4 + 1e-4 * Math.abs(want), "channel " + ch);
                    assertTrue(var[ch] > 0, "variance " + var[ch]);
                }
            }
            assertTrue(net.provenance().get("batchnorm_recalibrated").contains("4 batches of 16"), net.provenance().toString());
        }
    }
}
