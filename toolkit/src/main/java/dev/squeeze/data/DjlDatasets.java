package dev.squeeze.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.BatchSampler;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Sampler;
import ai.djl.training.dataset.SequenceSampler;
import java.nio.FloatBuffer;
import java.util.Iterator;
import java.util.SplittableRandom;
import java.util.stream.LongStream;

/**
 * Bridges an {@link ImageSet} to DJL, for users who want DJL's own {@code EasyTrain}.
 *
 * <p>The whole set is normalised once into one {@code float32} NDArray (CIFAR-10 train: 50,000 × 3 ×
 * 32 × 32 × 4 bytes = 614 MB), because {@link ArrayDataset} indexes into fixed arrays. For the same
 * reason augmentation cannot vary per epoch here and is not applied; Squeeze's own training loop uses
 * {@link BatchMaker}, which does augment.
 */
public final class DjlDatasets {
    private DjlDatasets() {}

    /**
     * @param prep normalisation (its augmentation settings are ignored, see the class comment)
     * @param shuffle draw a fresh seeded permutation each epoch; otherwise set order
     * @param seed seed of the shuffle: the same seed gives the same epoch orders
     * @return data {@code N × C × H × W} float32, labels {@code N} float32 (class index, as DJL's
     *     {@code SoftmaxCrossEntropyLoss} takes them), batches of {@code batchSize} (the last may be smaller)
     */
    public static ArrayDataset toArrayDataset(ImageSet set, Preprocessing prep, int batchSize, boolean shuffle,
            long seed, NDManager manager) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be ≥ 1, got " + batchSize + " for " + set.name());
        }
        int n = set.size();
        float[] x = new BatchMaker(set, prep).batch(0, n);
        float[] y = new float[n];
        for (int i = 0; i < n; i++) y[i] = set.label(i);
        NDArray data = manager.create(FloatBuffer.wrap(x), new Shape(n, set.channels(), set.height(), set.width()));
        NDArray labels = manager.create(y, new Shape(n));
        Sampler.SubSampler order = shuffle ? new SeededRandomSampler(seed) : new SequenceSampler();
        return new ArrayDataset.Builder()
                .setData(data)
                .optLabels(labels)
                .setSampling(new BatchSampler(order, batchSize, false))
                .build();
    }

    /**
     * DJL's own {@code RandomSampler} draws from a global generator, so runs could not be repeated;
     * this one draws each epoch's permutation from its own seeded stream.
     */
    static final class SeededRandomSampler implements Sampler.SubSampler {
        private final SplittableRandom rnd;

        SeededRandomSampler(long seed) {
            this.rnd = new SplittableRandom(seed);
        }

        @Override
        public synchronized Iterator<Long> sample(RandomAccessDataset dataset) {
            int[] perm = ImageSet.permutation(Math.toIntExact(dataset.size()), rnd);
            return LongStream.range(0, perm.length).map(i -> perm[(int) i]).boxed().iterator();
        }
    }
}
