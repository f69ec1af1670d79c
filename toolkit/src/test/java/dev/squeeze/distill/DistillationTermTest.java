package dev.squeeze.distill;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.squeeze.Environment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The loss terms against hand computations, their invariances, and the range checks. */
class DistillationTermTest {
    static final int N = 5, C = 4;

    @BeforeAll
    static void env() { Environment.ensure(); }

    static float[] random(long seed, int n, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return v;
    }

    static double[] softmax(float[] logits, int row, int classes, double t) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) max = Math.max(max, logits[row * classes + c] / t);
        double[] p = new double[classes];
        double sum = 0;
        for (int c = 0; c < classes; c++) sum += p[c] = Math.exp(logits[row * classes + c] / t - max);
        for (int c = 0; c < classes; c++) p[c] /= sum;
        return p;
    }

    /**
     * T² · KL(p_t ‖ p_s) averaged over the batch, and its gradient T · (p_s − p_t) / N with respect to the
     * student's logits: d/ds_c of −Σ p_t log softmax(s/T) is (p_s,c − p_t,c)/T, times T², over N rows.
     */
    @Test
    void hintonLossAndGradientMatchAHandComputation() {
        float[] s = random(1, N * C, 4), t = random(2, N * C, 6);
        for (double temp : new double[] {1, 3, 10}) {
            double expected = 0;
            double[][] grad = new double[N][];
            for (int i = 0; i < N; i++) {
                double[] ps = softmax(s, i, C, temp), pt = softmax(t, i, C, temp);
                grad[i] = new double[C];
                for (int c = 0; c < C; c++) {
                    expected += pt[c] * Math.log(pt[c] / ps[c]);
                    grad[i][c] = temp * (ps[c] - pt[c]) / N;
                }
            }
            expected = expected * temp * temp / N;
            try (NDManager m = NDManager.newBaseManager("PyTorch")) {
                NDArray sa = m.create(s, new Shape(N, C));
                sa.setRequiresGradient(true);
                NDArray ta = m.create(t, new Shape(N, C));
                NDArray loss;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    loss = new LogitsDistillation(temp).loss(sa, ta);
                    gc.backward(loss);
                }
                assertEquals(expected, loss.getFloat(), 1e-5 * Math.max(1, expected), "loss at T " + temp);
                float[] g = sa.getGradient().toFloatArray();
                for (int i = 0; i < N; i++) {
                    for (int c = 0; c < C; c++) assertEquals(grad[i][c], g[i * C + c], 1e-6, "gradient [" + i + "][" + c + "] at T " + temp);
                }
            }
        }
    }

    @Test
    void hintonLossIsZeroWhenTheStudentMatchesTheTeacher() {
        float[] t = random(3, N * C, 5);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray a = m.create(t, new Shape(N, C));
            assertEquals(0, new LogitsDistillation(2).loss(a, a.duplicate()).getFloat(), 1e-6);
            assertEquals(0, new LogitMse().loss(a, a.duplicate()).getFloat(), 1e-9);
        }
    }

    @Test
    void logitMseIsTheMeanSquaredDifference() {
        float[] s = random(4, N * C, 3), t = random(5, N * C, 3);
        double expected = 0;
        for (int i = 0; i < s.length; i++) expected += (s[i] - t[i]) * (s[i] - t[i]);
        expected /= s.length;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            assertEquals(expected, new LogitMse().loss(m.create(s, new Shape(N, C)), m.create(t, new Shape(N, C))).getFloat(), 1e-5);
        }
    }

    static double huber(double x) { double a = Math.abs(x); return a < 1 ? 0.5 * a * a : a - 0.5; }

    static double[][] normalisedDistances(float[] e, int n, int d) {
        double[][] dist = new double[n][n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double q = 0;
                for (int k = 0; k < d; k++) q += Math.pow(e[i * d + k] - e[j * d + k], 2);
                dist[i][j] = Math.sqrt(q);
                sum += dist[i][j];
            }
        }
        double mean = sum / (n * (n - 1));
        for (double[] row : dist) for (int j = 0; j < n; j++) row[j] /= mean;
        return dist;
    }

    @Test
    void rkdDistanceMatchesAHandComputation() {
        float[] s = random(6, N * C, 2), t = random(7, N * C, 5);
        double[][] ds = normalisedDistances(s, N, C), dt = normalisedDistances(t, N, C);
        double expected = 0;
        for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) expected += huber(ds[i][j] - dt[i][j]);
        expected /= N * N;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            assertEquals(expected, new RkdDistance().loss(m.create(s, new Shape(N, C)), m.create(t, new Shape(N, C))).getFloat(), 1e-5);
        }
    }

    @Test
    void rkdAngleMatchesAHandComputation() {
        float[] s = random(8, N * C, 2), t = random(9, N * C, 5);
        double expected = 0;
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                for (int k = 0; k < N; k++) expected += huber(cosine(s, i, j, k) - cosine(t, i, j, k));
            }
        }
        expected /= N * N * N;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            assertEquals(expected, new RkdAngle().loss(m.create(s, new Shape(N, C)), m.create(t, new Shape(N, C))).getFloat(), 1e-5);
        }
    }

    /** cos of the angle at e_i between e_j and e_k; 0 when j or k is i (a zero vector). */
    static double cosine(float[] e, int i, int j, int k) {
        if (j == i || k == i) return 0;
        double dot = 0, nj = 0, nk = 0;
        for (int c = 0; c < C; c++) {
            double a = e[j * C + c] - e[i * C + c], b = e[k * C + c] - e[i * C + c];
            dot += a * b; nj += a * a; nk += b * b;
        }
        return dot / Math.sqrt(nj * nk);
    }

    /** Dividing by the mean distance: scaling either embedding leaves the distance loss unchanged. */
    @Test
    void rkdDistanceIsInvariantToScalingEitherEmbedding() {
        float[] s = random(10, N * C, 2), t = random(11, N * C, 5);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray sa = m.create(s, new Shape(N, C)), ta = m.create(t, new Shape(N, C));
            float base = new RkdDistance().loss(sa, ta).getFloat();
            assertTrue(base > 1e-3, "a non-trivial loss to compare: " + base);
            assertEquals(base, new RkdDistance().loss(sa.mul(7.5f), ta).getFloat(), 1e-5);
            assertEquals(base, new RkdDistance().loss(sa, ta.mul(0.04f)).getFloat(), 1e-5);
            assertEquals(base, new RkdDistance().loss(sa.mul(0.3f), ta.mul(12f)).getFloat(), 1e-5);
            assertEquals(0, new RkdDistance().loss(sa.mul(3f), sa).getFloat(), 1e-6, "a scaled copy has the teacher's relations");
        }
    }

    /** Angles ignore scale and translation of either embedding. */
    @Test
    void rkdAngleIsInvariantToScaleAndTranslation() {
        float[] s = random(12, N * C, 2), t = random(13, N * C, 5);
        float[] shift = random(14, C, 10);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray sa = m.create(s, new Shape(N, C)), ta = m.create(t, new Shape(N, C));
            NDArray offset = m.create(shift, new Shape(1, C));
            float base = new RkdAngle().loss(sa, ta).getFloat();
            assertTrue(base > 1e-3, "a non-trivial loss to compare: " + base);
            assertEquals(base, new RkdAngle().loss(sa.mul(5f).add(offset), ta).getFloat(), 1e-5);
            assertEquals(base, new RkdAngle().loss(sa, ta.mul(0.1f).sub(offset)).getFloat(), 1e-5);
            assertEquals(0, new RkdAngle().loss(sa.mul(2f).add(offset), sa).getFloat(), 1e-6, "a moved, scaled copy keeps every angle");
        }
    }

    @Test
    void relationalTermsAreZeroWithFiniteGradientsOnBatchesTooSmallForARelation() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray one = m.create(random(15, C, 1), new Shape(1, C)), two = m.create(random(16, 2 * C, 1), new Shape(2, C));
            assertEquals(0, new RkdDistance().loss(one, one.duplicate()).getFloat(), 0);
            assertEquals(0, new RkdAngle().loss(two, two.mul(3f)).getFloat(), 0);
            NDArray s = m.create(random(17, N * C, 1), new Shape(N, C));
            s.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(new RkdDistance().loss(s, s.mul(2f).stopGradient().add(1f)).add(new RkdAngle().loss(s, m.create(random(18, N * C, 1), new Shape(N, C)))));
            }
            for (float g : s.getGradient().toFloatArray()) assertTrue(Float.isFinite(g), "finite gradients despite the zero diagonal");
        }
    }

    @Test
    void rangeErrorsNameTheFieldAndTheValidRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LogitsDistillation(0));
        assertTrue(e.getMessage().contains("LogitsDistillation.temperature") && e.getMessage().contains("> 0")
                && e.getMessage().contains("(0, ∞)") && e.getMessage().contains("got 0.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LogitsDistillation(Double.NaN));
        assertTrue(e.getMessage().contains("temperature") && e.getMessage().contains("NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LogitMse().weighted(-1));
        assertTrue(e.getMessage().contains("WeightedTerm.weight") && e.getMessage().contains("logit_mse")
                && e.getMessage().contains("≥ 0") && e.getMessage().contains("-1.0"), e.getMessage());
    }
}
