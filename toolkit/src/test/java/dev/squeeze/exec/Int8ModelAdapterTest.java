package dev.squeeze.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer;
import dev.squeeze.model.Layer.AvgPool;
import dev.squeeze.model.Layer.BatchNorm;
import dev.squeeze.model.Layer.Conv2d;
import dev.squeeze.model.Layer.Linear;
import dev.squeeze.model.Layer.Residual;
import dev.squeeze.model.NamedTensor;
import dev.squeeze.model.Zoo;
import dev.squeeze.ir.FusedGraph;
import dev.squeeze.ir.FusedOp;
import dev.squeeze.quant.Int8Converter;
import dev.squeeze.ir.Int8Model;
import dev.squeeze.quant.IntegerReference;
import dev.squeeze.quant.QConfig;
import dev.squeeze.ir.QScheme;
import dev.squeeze.ir.QuantParams;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Converted models (seed CNN, a small residual net with LeakyReLU, grouped conv, pools and stand-alone activations, and
 * ResNet18) under several weight formats must give exactly IntegerReference's output codes, on both
 * kernel implementations and with 1 and 2 threads.
 */
class Int8ModelAdapterTest {

    /** The quantization fixtures' small ResNet with a depthwise conv in the identity residual. */
    static Architecture tinyResNet() { return dev.squeeze.quant.Int8Fixtures.tinyResNet(8, new AvgPool(2, 2, 0)); }

    static List<NamedTensor> randomParams(List<Layer> layers, List<NamedTensor> out, SplittableRandom r) {
        for (Layer l : layers) {
            switch (l) {
                case Conv2d c -> {
                    int fan = c.in() / c.groups() * c.kernel() * c.kernel();
                    out.add(tensor("w", c.out() * fan, 1 / Math.sqrt(fan), 0, r));
                    if (c.bias()) out.add(tensor("b", c.out(), 0.1, 0, r));
                }
                case Linear f -> {
                    out.add(tensor("w", f.out() * f.in(), 1 / Math.sqrt(f.in()), 0, r));
                    if (f.bias()) out.add(tensor("b", f.out(), 0.1, 0, r));
                }
                case BatchNorm b -> {
                    out.add(tensor("gamma", b.channels(), 0.3, 1, r));
                    out.add(tensor("beta", b.channels(), 0.2, 0, r));
                    out.add(tensor("mean", b.channels(), 0.2, 0, r));
                    out.add(tensor("var", b.channels(), 0.3, 1, r));
                }
                case Residual res -> {
                    randomParams(res.body(), out, r);
                    randomParams(res.shortcut(), out, r);
                }
                case Layer.Concat cat -> { for (List<Layer> branch : cat.branches()) randomParams(branch, out, r); }
                default -> { }
            }
        }
        return out;
    }

    static NamedTensor tensor(String name, int n, double bound, double center, SplittableRandom r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (center + (r.nextDouble() * 2 - 1) * bound);
        return new NamedTensor(name, new long[] {n}, v, "WEIGHT", true);
    }

    /** Mixed grids: uint8 affine and int8 symmetric, wide and narrow ranges. */
    static Map<Integer, QuantParams> grids(FusedGraph g, SplittableRandom r) {
        Map<Integer, QuantParams> m = new LinkedHashMap<>();
        m.put(-1, QuantParams.fromRange(-1f, 1f, r.nextBoolean() ? QScheme.PER_TENSOR_AFFINE : QScheme.PER_TENSOR_SYMMETRIC));
        for (FusedOp op : g.flatOps()) {
            if (!op.producesNewRange()) continue;
            float hi = (float) (0.5 + 4 * r.nextDouble()), lo = r.nextBoolean() ? 0f : -hi * (float) r.nextDouble();
            m.put(op.id(), QuantParams.fromRange(lo, hi, r.nextBoolean() ? QScheme.PER_TENSOR_AFFINE : QScheme.PER_TENSOR_SYMMETRIC));
        }
        return m;
    }

    @Test
    void convertedModelsMatchIntegerReference() {
        List<Int8Kernels> impls = Int8KernelsTest.impls();
        List<Architecture> archs = List.of(tinyResNet(), Zoo.seedCnn(new int[] {3, 32, 32}, 10), Zoo.resnet18(new int[] {3, 32, 32}, 10));
        List<QConfig> configs = List.of(QConfig.x86(), QConfig.qnnpack(), QConfig.int4Weights(), QConfig.ternaryWeights(), QConfig.binaryWeights());
        SplittableRandom r = new SplittableRandom(2024);
        int checked = 0;
        for (Architecture arch : archs) {
            boolean big = arch.name().equals("resnet18");
            for (QConfig config : big ? configs.subList(0, 1) : configs) {
                FusedGraph g = FusedGraph.of(arch, randomParams(arch.layers(), new ArrayList<>(), r));
                Int8Model m = Int8Converter.convert(g, grids(g, r), config, Map.of());
                int batch = big ? 1 : 3;
                float[] x = new float[batch * m.inputShape().size()];
                for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 0.6);
                int[] want = IntegerReference.run(m, x, batch);
                for (Int8Kernels k : impls) {
                    for (int threads : big ? new int[] {1} : new int[] {1, 2}) {
                        try (Int8Executor ex = Int8ModelAdapter.executor(m, k, new Int8Executor.Options(threads, batch))) {
                            assertArrayEquals(want, ex.runCodes(x, batch), () -> arch.name() + " " + config + " " + k.name() + "\n" + ex.describe());
                            float[] logits = ex.run(x, batch);
                            float[] ref = IntegerReference.logits(m, x, batch);
                            assertArrayEquals(ref, logits);
                            checked++;
                        }
                    }
                }
            }
        }
        // Every (model, config, kernels, threads) combination ran: tiny and seed CNN with 5 configs at 1 and
        // 2 threads, ResNet18 with one config at 1 thread.
        assertEquals(impls.size() * (5 * 2 + 5 * 2 + 1), checked);
        System.out.println("Int8Model adapter: " + checked + " model/kernel/thread combinations bit-exact against IntegerReference");
    }
}
