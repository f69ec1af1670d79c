package dev.squeeze.exec;

import dev.squeeze.ir.QuantParams;
import dev.squeeze.ir.Requantizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The seed CNN and ResNet18 (CIFAR, 3×32×32) as executor graphs with random int8 weights and plausible
 * grids (uint8 after ReLU, int8 before a residual add), for timing only: the shapes and op mix are the
 * real ones, the numbers are not a trained model.
 */
final class BenchNets {
    private final Int8Kernels k;
    private final Random r = new Random(7);
    private QuantParams grid = new QuantParams(1f / 64, 128, 0, 255);
    private int c, h, w;

    private BenchNets(Int8Kernels k, int c, int h, int w) {
        this.k = k;
        this.c = c;
        this.h = h;
        this.w = w;
    }

    static final QuantParams INPUT = new QuantParams(1f / 64, 128, 0, 255);
    static final QuantParams RELU = new QuantParams(1f / 32, 0, 0, 255);
    static final QuantParams SIGNED = new QuantParams(1f / 32, 0, -128, 127);

    private OutputStage stage(int channels, int reduction, QuantParams out, boolean relu) {
        Requantizer[] q = new Requantizer[channels];
        for (int i = 0; i < channels; i++) {
            q[i] = Requantizer.of(1.0 / (reduction * 24.0) * (0.75 + 0.5 * r.nextDouble()), out.zeroPoint(), relu ? out.zeroPoint() : out.qmin(),
                    out.qmax());
        }
        return OutputStage.of(q, q);
    }

    private ExecOp conv(int out, int kernel, int stride, int pad, boolean relu, QuantParams og) {
        ConvSpec s = new ConvSpec(c, out, kernel, stride, pad, 1, h, w);
        int[] wt = new int[s.weightCount()];
        for (int i = 0; i < wt.length; i++) wt[i] = r.nextInt(255) - 127;
        ExecOp op = new ExecOp.Conv(s.toString(), k.conv2d(s, CodeType.of(grid.qmin(), grid.qmax()), grid.zeroPoint(), wt,
                new int[out], stage(out, s.reduction(), og, relu)), og);
        c = out;
        h = s.outHeight();
        w = s.outWidth();
        grid = og;
        return op;
    }

    private ExecOp linear(int out, boolean relu) {
        int in = c * h * w;
        int[] wt = new int[in * out];
        for (int i = 0; i < wt.length; i++) wt[i] = r.nextInt(255) - 127;
        QuantParams og = relu ? RELU : SIGNED;
        ExecOp op = new ExecOp.Linear("linear " + in + "→" + out, k.linear(in, out, CodeType.of(grid.qmin(), grid.qmax()), grid.zeroPoint(), wt,
                new int[out], stage(out, in, og, relu)), og);
        c = out;
        h = 1;
        w = 1;
        grid = og;
        return op;
    }

    private ExecOp pool(int kernel) {
        h = (h - kernel) / kernel + 1;
        w = (w - kernel) / kernel + 1;
        return new ExecOp.MaxPool("max-pool " + kernel, kernel, kernel, 0);
    }

    static Int8Executor seedCnn(Int8Kernels k, Int8Executor.Options o) {
        BenchNets b = new BenchNets(k, 3, 32, 32);
        List<ExecOp> ops = new ArrayList<>(List.of(b.conv(16, 5, 1, 0, true, RELU), b.pool(2), b.conv(32, 5, 1, 0, true, RELU), b.pool(2),
                new ExecOp.Flatten("flatten")));
        ops.add(b.linear(120, true));
        ops.add(b.linear(84, true));
        ops.add(b.linear(10, false));
        return Int8Executor.of(k, new int[] {3, 32, 32}, INPUT, ops, o);
    }

    static Int8Executor resnet18(Int8Kernels k, Int8Executor.Options o) {
        BenchNets b = new BenchNets(k, 3, 32, 32);
        List<ExecOp> ops = new ArrayList<>();
        ops.add(b.conv(64, 3, 1, 1, true, RELU));
        int[] widths = {64, 128, 256, 512};
        for (int stage = 0; stage < 4; stage++) {
            for (int block = 0; block < 2; block++) {
                int stride = stage > 0 && block == 0 ? 2 : 1, out = widths[stage];
                int c0 = b.c, h0 = b.h, w0 = b.w;
                QuantParams in = b.grid;
                List<ExecOp> body = List.of(b.conv(out, 3, stride, 1, true, RELU), b.conv(out, 3, 1, 1, false, SIGNED));
                int c1 = b.c, h1 = b.h, w1 = b.w;
                List<ExecOp> shortcut = List.of();
                QuantParams bq = in;
                if (stride != 1 || c0 != out) {
                    b.c = c0;
                    b.h = h0;
                    b.w = w0;
                    b.grid = in;
                    shortcut = List.of(b.conv(out, 1, stride, 0, false, SIGNED));
                    bq = SIGNED;
                }
                double twice = 2 * Math.max(SIGNED.scale(), bq.scale());
                Requantizer ra = Requantizer.of(SIGNED.scale() / twice, 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
                Requantizer rb = Requantizer.of(bq.scale() / twice, 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
                Requantizer outq = Requantizer.of(twice / (1 << 20) / RELU.scale(), RELU.zeroPoint(), RELU.zeroPoint(), RELU.qmax());
                ops.add(new ExecOp.Residual("add " + stage + "." + block, body, shortcut, 20, ra, rb, OutputStage.of(outq), RELU));
                b.c = c1;
                b.h = h1;
                b.w = w1;
                b.grid = RELU;
            }
        }
        ops.add(new ExecOp.GlobalAvgPool("global-avg-pool"));
        b.h = 1;
        b.w = 1;
        ops.add(new ExecOp.Flatten("flatten"));
        ops.add(b.linear(10, false));
        return Int8Executor.of(k, new int[] {3, 32, 32}, INPUT, ops, o);
    }

    static float[] input(int batch) {
        float[] x = new float[batch * 3 * 32 * 32];
        Random r = new Random(3);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    static String shape(int[] s) { return Arrays.toString(s); }
}
