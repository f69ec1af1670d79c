package dev.squeeze.exec.panama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.squeeze.exec.ConvSpec;
import dev.squeeze.exec.FloatKernels;
import dev.squeeze.exec.PoolSpec;
import dev.squeeze.ir.Activation;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Panama float kernels' internals against the scalar kernels: every micro-kernel shape in both modes
 * with reduction blocks and chunks that do not divide the problem, several images with a fused residual,
 * and the vector memory-bound ops against the plain loops. (Runs only with the Vector API module; the
 * executor-level tests in {@code FloatExecutorTest} cover the default plans.)
 */
class PanamaFloatKernelsTest {

    @BeforeEach
    void needsTheVectorModule() {
        Assumptions.assumeTrue(FloatKernels.panamaAvailable(), "jdk.incubator.vector not loaded");
    }

    @Test void everyPlanMatchesScalarOnSeveralImagesWithResidual() { Checks.everyPlanMatchesScalarOnSeveralImagesWithResidual(); }

    @Test void defaultPlansOnResNetShapesMatchScalar() { Checks.defaultPlansOnResNetShapesMatchScalar(); }

    @Test void vectorMemoryOpsMatchLoops() { Checks.vectorMemoryOpsMatchLoops(); }

    /** The checks, in a class of their own: test discovery without the Vector API module must not link the Panama classes. */
    static final class Checks {

        static float[] random(int n, SplittableRandom r) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
            return v;
        }

        static float[] scaled(float[] v, float f) {
            for (int i = 0; i < v.length; i++) v[i] *= f;
            return v;
        }

        static double relErr(float[] a, float[] b) {
            double d = 0, m = 1e-30;
            for (int i = 0; i < b.length; i++) {
                d = Math.max(d, Math.abs(a[i] - b[i]));
                m = Math.max(m, Math.abs(b[i]));
            }
            return d / m;
        }

        static void everyPlanMatchesScalarOnSeveralImagesWithResidual() {
            SplittableRandom r = new SplittableRandom(21);
            List<ConvSpec> specs = List.of(
                    new ConvSpec(5, 13, 3, 1, 1, 1, 9, 11),   // odd everything
                    new ConvSpec(8, 24, 3, 2, 1, 1, 12, 10),  // stride 2
                    new ConvSpec(6, 16, 1, 2, 0, 1, 8, 8),    // 1×1 stride 2: one phase
                    new ConvSpec(3, 9, 5, 1, 0, 1, 14, 14),   // 5×5 no padding
                    new ConvSpec(16, 32, 3, 1, 1, 1, 4, 4),   // tiny plane
                    new ConvSpec(4, 10, 3, 1, 1, 1, 5, 32),   // rows of two vectors (direct: whole rows, AVX-512)
                    new ConvSpec(3, 7, 3, 2, 1, 1, 6, 32),    // stride 2, rows of one vector (AVX-512; two at 256 bits)
                    new ConvSpec(5, 6, 1, 1, 0, 1, 3, 8),     // 1×1, rows of one 256-bit vector
                    new ConvSpec(4, 5, 3, 2, 0, 1, 9, 9),     // stride 2 without padding
                    new ConvSpec(2, 3, 5, 2, 2, 1, 11, 40),   // stride 2, padding 2, rows longer than a vector
                    new ConvSpec(3, 4, 2, 2, 0, 1, 8, 7));    // 2×2 stride 2 on an odd width
            int images = 3;
            List<Activation> acts = List.of(Activation.leaky(0.1f), Activation.RELU6, Activation.HARD_SWISH);
            for (ConvSpec s : specs) {
                Activation act = acts.get(specs.indexOf(s) % acts.size());
                // weights and bias scaled so that pre-activations reach the clamps of ReLU6 and hard-swish
                float[] w = scaled(random(s.weightCount(), r), 3), b = scaled(random(s.outChannels(), r), 3), in = random(images * s.inputSize(), r);
                float[] res = random(images * s.outputSize(), r);
                FloatKernels.BatchConv ref = FloatKernels.scalar().batchConv(s, w, b, act);
                float[] want = new float[images * s.outputSize()];
                ref.run(in, 0, images, want, 0, res, 0, 0, s.outChannels(), new float[ref.scratchFloats()]);
                int L = PanamaFloatKernels.L;
                for (int shape = 0; shape < PanamaFloatGemm.MRS.length; shape++) {
                    int nr = PanamaFloatGemm.NVS[shape] * L;
                    for (boolean direct : new boolean[] {true, false}) {
                        for (int kc : new int[] {s.reduction(), 7}) {
                            for (int chunk : new int[] {nr, 3 * nr, 1 << 12}) {
                                var plan = new PanamaFloatKernels.Plan(shape, direct, kc, chunk);
                                var c = new PanamaFloatKernels.Conv(s, w, 0, b, 0, act, plan);
                                float[] sc = new float[c.scratchFloats()], got = new float[want.length + 5];
                                c.run(in, 0, images, got, 0, res, 0, 0, s.outChannels(), sc);
                                double e = relErr(java.util.Arrays.copyOf(got, want.length), want);
                                assertTrue(e <= 1e-5, s + " " + plan + ": rel err " + e);
                                for (int i = want.length; i < got.length; i++) assertEquals(0f, got[i], s + " " + plan + " wrote past the output");
                                // two channel ranges at a tile boundary give the same values
                                int mid = Math.min(s.outChannels(), c.channelBlock() * Math.max(1, s.outChannels() / c.channelBlock() / 2));
                                float[] split = new float[want.length];
                                c.run(in, 0, images, split, 0, res, 0, 0, mid, sc);
                                c.run(in, 0, images, split, 0, res, 0, mid, s.outChannels(), sc);
                                for (int i = 0; i < want.length; i++) assertEquals(got[i], split[i], 0f, s + " " + plan + " split at " + mid);
                            }
                        }
                    }
                }
            }
        }

        static void defaultPlansOnResNetShapesMatchScalar() { // and grouped convolutions, which split into default plans
            SplittableRandom r = new SplittableRandom(22);
            List<ConvSpec> specs = List.of(
                    new ConvSpec(3, 64, 3, 1, 1, 1, 32, 32), new ConvSpec(64, 64, 3, 1, 1, 1, 32, 32),
                    new ConvSpec(64, 128, 3, 2, 1, 1, 32, 32), new ConvSpec(128, 128, 3, 1, 1, 1, 16, 16),
                    new ConvSpec(256, 256, 3, 1, 1, 1, 8, 8), new ConvSpec(256, 512, 1, 2, 0, 1, 8, 8),
                    new ConvSpec(512, 512, 3, 1, 1, 1, 4, 4),
                    new ConvSpec(12, 12, 3, 1, 1, 12, 10, 10), new ConvSpec(8, 16, 3, 2, 1, 2, 9, 7)); // depthwise, grouped
            for (ConvSpec s : specs) {
                int images = 2;
                float[] w = random(s.weightCount(), r), b = random(s.outChannels(), r), in = random(images * s.inputSize(), r);
                float[] res = random(images * s.outputSize(), r);
                FloatKernels.BatchConv ref = FloatKernels.scalar().batchConv(s, w, b, Activation.RELU);
                FloatKernels.BatchConv c = new PanamaFloatKernels().conv(s, w, b, Activation.RELU);
                float[] want = new float[images * s.outputSize()], got = new float[want.length];
                ref.run(in, 0, images, want, 0, res, 0, 0, s.outChannels(), new float[0]);
                c.run(in, 0, images, got, 0, res, 0, 0, s.outChannels(), new float[c.scratchFloats()]);
                assertTrue(relErr(got, want) <= 1e-5, s + " " + c + ": rel err " + relErr(got, want));
            }
        }

        static void vectorMemoryOpsMatchLoops() {
            SplittableRandom r = new SplittableRandom(23);
            PanamaFloatKernels p = new PanamaFloatKernels();
            FloatKernels.Elementwise loops = FloatKernels.loops();
            for (PoolSpec s : List.of(new PoolSpec(28, 28, 2, 2, 0), new PoolSpec(10, 10, 2, 2, 0), new PoolSpec(7, 9, 2, 2, 0),
                    new PoolSpec(70, 67, 2, 2, 0), new PoolSpec(8, 8, 3, 2, 1), new PoolSpec(5, 6, 3, 1, 1))) {
                int planes = 3;
                float[] in = random(planes * s.inPlane() + 4, r);
                float[] want = new float[planes * s.outPlane() + 9], got = new float[want.length];
                loops.maxPool(s, in, 2, want, 1, planes);
                p.maxPool(s, in, 2, got, 1, planes);
                assertEquals(java.util.Arrays.toString(want), java.util.Arrays.toString(got), "max pool " + s);
                loops.avgPool(s, in, 2, want, 1, planes);
                p.avgPool(s, in, 2, got, 1, planes);
                assertTrue(relErr(got, want) <= 1e-6, "avg pool " + s);
            }
            for (int n : new int[] {1, 15, 16, 17, 100, 1000}) {
                // spread over [−8, 8] so that ReLU6 and hard-swish meet every branch of their clamps
                float[] a = scaled(random(n + 3, r), 8), b = scaled(random(n + 3, r), 8);
                for (Activation act : List.of(Activation.NONE, Activation.RELU, Activation.leaky(0.2f), Activation.RELU6, Activation.HARD_SWISH)) {
                    float[] want = new float[n + 5], got = new float[n + 5];
                    loops.add(act, a, 1, b, 3, want, 2, n);
                    p.add(act, a, 1, b, 3, got, 2, n);
                    assertEquals(java.util.Arrays.toString(want), java.util.Arrays.toString(got), "add " + act + " n " + n);
                    float[] x = a.clone(), y = a.clone();
                    loops.activate(act, x, 2, n);
                    p.activate(act, y, 2, n);
                    assertEquals(java.util.Arrays.toString(x), java.util.Arrays.toString(y), "activate " + act + " n " + n);
                }
                float[] want = new float[4], got = new float[4];
                float[] x = random(3 * n + 1, r);
                loops.globalAvgPool(n, x, 1, want, 1, 3);
                p.globalAvgPool(n, x, 1, got, 1, 3);
                assertTrue(relErr(got, want) <= 1e-5, "global avg pool " + n);
            }
        }
    }
}
