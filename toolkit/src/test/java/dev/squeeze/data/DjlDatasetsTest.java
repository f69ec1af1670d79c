package dev.squeeze.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DjlDatasetsTest {
    private static ImageSet tiny() {
        int n = 10;
        byte[] px = new byte[n * 2 * 2 * 2];
        int[] labels = new int[n];
        for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 3);
        for (int i = 0; i < n; i++) labels[i] = i % 3;
        return new ImageSet("tiny", px, labels, 2, 2, 2, List.of("a", "b", "c"));
    }

    private static List<Float> labelOrder(ArrayDataset ds, NDManager m) throws Exception {
        List<Float> out = new ArrayList<>();
        for (Batch b : ds.getData(m)) {
            for (float f : b.getLabels().singletonOrThrow().toFloatArray()) out.add(f);
            b.close();
        }
        return out;
    }

    @Test
    void shapesValuesAndSeededOrder() throws Exception {
        ImageSet s = tiny();
        try (NDManager m = NDManager.newBaseManager()) {
            ArrayDataset ds = DjlDatasets.toArrayDataset(s, Preprocessing.unitScale(), 4, false, 0, m);
            assertEquals(10, ds.size());
            // DJL's iterator frees a batch's arrays when it moves on, so each batch is checked in place.
            List<long[]> shapes = new ArrayList<>();
            int k = 0;
            for (Batch b : ds.getData(m)) {
                shapes.add(b.getData().singletonOrThrow().getShape().getShape());
                if (k++ == 0) {
                    assertArrayEquals(new BatchMaker(s, Preprocessing.unitScale()).batch(0, 4),
                            b.getData().singletonOrThrow().toFloatArray(), 0f);
                    assertArrayEquals(new float[] {0, 1, 2, 0}, b.getLabels().singletonOrThrow().toFloatArray(), 0f);
                }
                b.close();
            }
            assertEquals(3, shapes.size());
            assertArrayEquals(new long[] {4, 2, 2, 2}, shapes.get(0));
            assertArrayEquals(new long[] {2, 2, 2, 2}, shapes.get(2));

            List<Float> a = labelOrder(DjlDatasets.toArrayDataset(s, Preprocessing.unitScale(), 3, true, 5, m), m);
            List<Float> b = labelOrder(DjlDatasets.toArrayDataset(s, Preprocessing.unitScale(), 3, true, 5, m), m);
            assertEquals(a, b);
            ArrayDataset shuffled = DjlDatasets.toArrayDataset(s, Preprocessing.unitScale(), 10, true, 5, m);
            List<Float> epoch1 = labelOrder(shuffled, m), epoch2 = labelOrder(shuffled, m);
            assertEquals(10, epoch1.size());
            assertNotEquals(epoch1.toString() + epoch2, epoch1.toString() + epoch1, "epochs draw fresh orders");
        }
    }
}
