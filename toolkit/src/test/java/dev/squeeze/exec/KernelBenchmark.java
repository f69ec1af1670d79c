package dev.squeeze.exec;

import dev.squeeze.Environment;
import dev.squeeze.ir.Activation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Micro-benchmark (not a unit test) of the int8 Panama kernels against the int8 scalar kernels and a
 * the float32 executor's kernels ({@link FloatKernels}) on the seed CNN's and ResNet18's (CIFAR, 32×32)
 * layer shapes. JMH-free: per layer every variant is warmed up, then measured in interleaved rounds
 * (variant A, B, C, A, B, C, …) of about 25 ms each, so that drift on a shared machine hits all
 * variants alike; the table gives median [min–max] GOP/s (2 ops per multiply-accumulate) over the rounds.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp <test-classes:classes> dev.squeeze.exec.KernelBenchmark [rounds] [--quick]}
 * (from Maven: {@code mvn -o -q test-compile} then the classpath {@code toolkit/target/test-classes:toolkit/target/classes}).
 */
public final class KernelBenchmark {

    record Layer(String net, String name, ConvSpec conv, int in, int out, int batch) {
        long macs() { return conv != null ? conv.macs() * batch : (long) in * out * batch; }
    }

    interface Variant { void run(); }

    public static void main(String[] args) {
        int rounds = args.length > 0 && !args[0].startsWith("--") ? Integer.parseInt(args[0]) : 9;
        boolean quick = Arrays.asList(args).contains("--quick");
        Int8Kernels panama = Int8Kernels.panama(), scalar = Int8Kernels.scalar();
        double load0 = loadAverage();
        List<Layer> layers = new ArrayList<>();
        layers.add(new Layer("seed-cnn", "conv1 3→16 5×5 @32", new ConvSpec(3, 16, 5, 1, 0, 1, 32, 32), 0, 0, 1));
        layers.add(new Layer("seed-cnn", "conv2 16→32 5×5 @14", new ConvSpec(16, 32, 5, 1, 0, 1, 14, 14), 0, 0, 1));
        layers.add(new Layer("seed-cnn", "fc1 800→120", null, 800, 120, 1));
        layers.add(new Layer("seed-cnn", "conv2 16→32 5×5 @14 b16", new ConvSpec(16, 32, 5, 1, 0, 1, 14, 14), 0, 0, 16));
        layers.add(new Layer("seed-cnn", "fc1 800→120 b16", null, 800, 120, 16));
        layers.add(new Layer("resnet18", "stem 3→64 3×3 @32", new ConvSpec(3, 64, 3, 1, 1, 1, 32, 32), 0, 0, 1));
        layers.add(new Layer("resnet18", "layer1 64→64 3×3 @32", new ConvSpec(64, 64, 3, 1, 1, 1, 32, 32), 0, 0, 1));
        layers.add(new Layer("resnet18", "layer2 64→128 3×3 s2 @32", new ConvSpec(64, 128, 3, 2, 1, 1, 32, 32), 0, 0, 1));
        layers.add(new Layer("resnet18", "layer2 128→128 3×3 @16", new ConvSpec(128, 128, 3, 1, 1, 1, 16, 16), 0, 0, 1));
        layers.add(new Layer("resnet18", "layer2 down 64→128 1×1 s2", new ConvSpec(64, 128, 1, 2, 0, 1, 32, 32), 0, 0, 1));
        layers.add(new Layer("resnet18", "layer3 256→256 3×3 @8", new ConvSpec(256, 256, 3, 1, 1, 1, 8, 8), 0, 0, 1));
        layers.add(new Layer("resnet18", "layer4 512→512 3×3 @4", new ConvSpec(512, 512, 3, 1, 1, 1, 4, 4), 0, 0, 1));
        layers.add(new Layer("resnet18", "layer4 512→512 3×3 @4 b16", new ConvSpec(512, 512, 3, 1, 1, 1, 4, 4), 0, 0, 16));
        layers.add(new Layer("resnet18", "fc 512→10", null, 512, 10, 1));
        if (quick) layers.removeIf(l -> l.batch() > 1);

        System.out.println("CPU: " + Environment.cpuName() + ", " + Runtime.getRuntime().availableProcessors() + " cores; Java " + Runtime.version());
        System.out.println("int8 kernels: " + panama.description());
        System.out.printf(Locale.ROOT, "load average at start: %.2f (the machine is shared; min–max show the spread)%n", load0);
        System.out.println("one thread; median [min–max] GOP/s over " + rounds + " interleaved rounds of ~25 ms; 2 ops per MAC");
        warmUp(panama, layers);
        System.out.printf(Locale.ROOT, "%-9s %-27s %8s  %-22s %-22s %-22s %6s  %s%n", "net", "layer", "MMAC", "int8 panama", "int8 scalar",
                "float32 executor", "i8/f32", "int8 path");
        for (Layer l : layers) {
            Random r = new Random(1);
            List<String> names = new ArrayList<>();
            List<Variant> vs = new ArrayList<>();
            String path;
            if (l.conv() != null) {
                ConvSpec s = l.conv();
                int[] w = new int[s.weightCount()];
                for (int i = 0; i < w.length; i++) w[i] = r.nextInt(255) - 127;
                OutputStage st = stage(s.outChannels());
                byte[] x = new byte[l.batch() * s.inputSize()], y = new byte[l.batch() * s.outputSize()];
                r.nextBytes(x);
                Int8Conv2d pc = panama.conv2d(s, CodeType.UINT8, 3, w, new int[s.outChannels()], st);
                Int8Conv2d sc = scalar.conv2d(s, CodeType.UINT8, 3, w, new int[s.outChannels()], st);
                Scratch ps = new Scratch(1).reserve(pc.kernel(), l.batch()), ss = new Scratch(1).reserve(sc.kernel(), l.batch());
                float[] fw = new float[w.length], fb = new float[s.outChannels()], fx = new float[x.length], fy = new float[y.length];
                for (int i = 0; i < fw.length; i++) fw[i] = w[i] * 0.01f;
                for (int i = 0; i < fx.length; i++) fx[i] = r.nextFloat();
                FloatKernels.BatchConv fc = FloatKernels.get().batchConv(s, fw, fb, Activation.NONE);
                float[] fs = new float[Math.max(1, fc.scratchFloats())];
                vs.add(() -> pc.run(x, 0, l.batch(), y, 0, ps));
                vs.add(() -> sc.run(x, 0, l.batch(), y, 0, ss));
                vs.add(() -> fc.run(fx, 0, l.batch(), fy, 0, null, 0, 0, s.outChannels(), fs));
                path = pc.path();
            } else {
                int[] w = new int[l.in() * l.out()];
                for (int i = 0; i < w.length; i++) w[i] = r.nextInt(255) - 127;
                OutputStage st = stage(l.out());
                byte[] x = new byte[l.batch() * l.in()], y = new byte[l.batch() * l.out()];
                r.nextBytes(x);
                Int8Linear pl = panama.linear(l.in(), l.out(), CodeType.UINT8, 3, w, new int[l.out()], st);
                Int8Linear sl = scalar.linear(l.in(), l.out(), CodeType.UINT8, 3, w, new int[l.out()], st);
                Scratch ps = new Scratch(1).reserve(pl.kernel(), l.batch()), ss = new Scratch(1).reserve(sl.kernel(), l.batch());
                float[] fw = new float[w.length], fx = new float[x.length], fy = new float[y.length];
                for (int i = 0; i < fw.length; i++) fw[i] = w[i] * 0.01f;
                FloatKernelSupport.LinearKernel fl = FloatKernels.get().linear(l.in(), l.out(), fw, new float[l.out()], Activation.NONE);
                vs.add(() -> pl.run(x, 0, l.batch(), y, 0, ps));
                vs.add(() -> sl.run(x, 0, l.batch(), y, 0, ss));
                vs.add(() -> fl.run(fx, 0, l.batch(), fy, 0, 0, l.out()));
                path = pl.path();
            }
            double[][] gops = measure(vs, l.macs(), rounds);
            System.out.printf(Locale.ROOT, "%-9s %-27s %8.2f  %-22s %-22s %-22s %6.2f  %s%n", l.net(), l.name(), l.macs() / 1e6, cell(gops[0]),
                    cell(gops[1]), cell(gops[2]), median(gops[0]) / median(gops[2]), path);
        }
        System.out.printf(Locale.ROOT, "peak (Int8Kernels.peakGops: best of conv 128→128 3×3 @16 and 256→256 3×3 @8): panama %.1f, scalar %.1f GOP/s%n", panama.peakGops(),
                scalar.peakGops());
        if (!Arrays.asList(args).contains("--no-nets")) networks(quick);
    }

    /** Whole networks through the Int8Executor: latency per batch and the per-op profile of one configuration. */
    static void networks(boolean quick) {
        System.out.println();
        System.out.println("End to end (Int8Executor, random int8 weights, real shapes): median ms per batch over the profiled runs");
        System.out.printf(Locale.ROOT, "%-9s %-8s %7s %5s %10s %10s %8s %7s%n", "net", "kernels", "threads", "batch", "ms/batch", "images/s", "GOP/s",
                "%peak");
        Int8Executor.Profile shown = null;
        for (String net : List.of("seed-cnn", "resnet18")) {
            for (Int8Kernels k : List.of(Int8Kernels.panama(), Int8Kernels.scalar())) {
                for (int threads : new int[] {1, 2}) {
                    for (int batch : new int[] {1, 16}) {
                        boolean slow = !k.vectorized() && net.equals("resnet18");
                        if ((slow && (batch > 1 || threads > 1)) || (quick && (batch > 1 || threads > 1))) continue;
                        Int8Executor.Options o = new Int8Executor.Options(threads, batch);
                        try (Int8Executor ex = net.equals("resnet18") ? BenchNets.resnet18(k, o) : BenchNets.seedCnn(k, o)) {
                            float[] x = BenchNets.input(batch);
                            long t0 = System.nanoTime();
                            while (System.nanoTime() - t0 < (slow ? 2_000_000_000L : 1_500_000_000L)) ex.run(x, batch); // warm-up
                            int reps = slow ? 5 : Math.max(5, (int) (2e9 / Math.max(1, ex.profile(x, batch, 1).totalMillis() * 1e6)));
                            Int8Executor.Profile p = ex.profile(x, batch, Math.min(reps, 200));
                            System.out.printf(Locale.ROOT, "%-9s %-8s %7d %5d %10.3f %10.1f %8.1f %7.0f%n", net, k.name(), threads, batch, p.totalMillis(),
                                    batch * 1000 / p.totalMillis(), p.gops(), 100 * p.gops() / (p.peakGops() * threads));
                            if (net.equals("resnet18") && k.vectorized() && threads == 1 && batch == 1) shown = p;
                        }
                    }
                }
            }
        }
        if (shown != null) {
            System.out.println();
            System.out.println("Int8Executor.profile of resnet18, panama, 1 thread, batch 1:");
            System.out.print(shown);
        }
    }

    /**
     * Before anything is timed, runs every int8 Panama layer for about 0.3 s: C2 compiles the shared
     * micro-kernels and epilogues once, on whichever layer comes first, and that compile (seconds on a
     * loaded machine) must not land in the first layer's numbers.
     */
    static void warmUp(Int8Kernels k, List<Layer> layers) {
        for (int pass = 0; pass < 2; pass++) {
            for (Layer l : layers) {
                long end = System.nanoTime() + 300_000_000L;
                if (l.conv() != null) {
                    ConvSpec s = l.conv();
                    Int8Conv2d c = k.conv2d(s, CodeType.UINT8, 3, new int[s.weightCount()], new int[s.outChannels()], stage(s.outChannels()));
                    Scratch sc = new Scratch(1).reserve(c.kernel(), l.batch());
                    byte[] x = new byte[l.batch() * s.inputSize()], y = new byte[l.batch() * s.outputSize()];
                    while (System.nanoTime() < end) c.run(x, 0, l.batch(), y, 0, sc);
                } else {
                    Int8Linear lin = k.linear(l.in(), l.out(), CodeType.UINT8, 3, new int[l.in() * l.out()], new int[l.out()], stage(l.out()));
                    Scratch sc = new Scratch(1).reserve(lin.kernel(), l.batch());
                    byte[] x = new byte[l.batch() * l.in()], y = new byte[l.batch() * l.out()];
                    while (System.nanoTime() < end) lin.run(x, 0, l.batch(), y, 0, sc);
                }
            }
        }
    }

    static double loadAverage() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    static OutputStage stage(int channels) {
        int[] m = new int[channels], s = new int[channels];
        Arrays.fill(m, 1 << 30);
        Arrays.fill(s, -14);
        return new OutputStage(m, s, m, s, 0, 0, 255);
    }

    /**
     * Warm-up per variant until two consecutive ~100 ms windows agree within 10% (at least 0.6 s, at most
     * 4 s: the Vector API code is only fast once C2 has compiled it), then interleaved rounds; returns
     * GOP/s per variant and round.
     */
    static double[][] measure(List<Variant> vs, long macs, int rounds) {
        int[] calls = new int[vs.size()];
        for (int v = 0; v < vs.size(); v++) {
            long start = System.nanoTime();
            double prev = 0, perCall = 0;
            while (true) {
                long t0 = System.nanoTime();
                int n = 0;
                while (n < 2 || System.nanoTime() - t0 < 100_000_000L) {
                    vs.get(v).run();
                    n++;
                }
                perCall = (System.nanoTime() - t0) / (double) n;
                long spent = System.nanoTime() - start;
                if (spent > 4_000_000_000L || (spent > 600_000_000L && Math.abs(perCall - prev) < 0.1 * perCall)) break;
                prev = perCall;
            }
            calls[v] = (int) Math.max(1, 25e6 / perCall);
        }
        double[][] out = new double[vs.size()][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int v = 0; v < vs.size(); v++) {
                Variant f = vs.get(v);
                long t0 = System.nanoTime();
                for (int i = 0; i < calls[v]; i++) f.run();
                long t = System.nanoTime() - t0;
                out[v][r] = 2.0 * macs * calls[v] / t;
            }
        }
        return out;
    }

    static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    static String cell(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return String.format(Locale.ROOT, "%6.1f [%.1f–%.1f]", c[c.length / 2], c[0], c[c.length - 1]);
    }
}
