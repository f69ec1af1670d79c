package dev.squeeze.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.squeeze.Environment;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.SplittableRandom;

/**
 * Checks that libtorch computes convolution gradients correctly on this machine.
 *
 * <p>Why it exists: the oneDNN 3.7.1 inside libtorch 2.7.1 has an AVX-512 convolution kernel
 * ({@code jit:avx512_core}, backward_data) that returns wrong input gradients — with 2 threads sometimes
 * NaN channels — on some CPUs when a conv's output-channel count is not a multiple of 16. Training then
 * runs on wrong gradients without any error. {@code ONEDNN_MAX_CPU_ISA=AVX2} avoids the kernel, but it
 * must be in the process environment before libtorch loads and costs throughput, so
 * {@code toolkit/scripts/onednn-env.sh} runs {@link #main} once per machine as a probe and sets the cap
 * only where this check fails.
 *
 * <p>Which shapes: the probe runs {@link #SHAPES} (dense 3×3 convs at the channel counts the bug hit);
 * {@link #shapesOf} lists every convolution of a model — MobileNetV2's and ShuffleNetV2's 24-, 58-, 116-
 * and 232-channel 1×1 and depthwise convs are exactly the widths the bug corrupts — and
 * {@code ./squeeze doctor --model NAME} runs those.
 *
 * <p>How: each conv (its kernel, stride, padding and groups) forward and backward through DJL, against a plain-Java
 * double-precision reference. Inputs, weights and the upstream gradient are multiples of 1/16 in [−1, 1],
 * so every product and partial sum is exactly representable in float32: a correct kernel reproduces
 * the reference exactly in any summation order, and any difference is the kernel's.
 */
public final class ConvGradientCheck {
    private ConvGradientCheck() {}

    /**
     * Part of the probe's per-machine cache key (with the CPU and the libtorch version): bump it when the
     * shapes, tolerance or inputs change so cached verdicts are re-probed. {@code onednn-env.sh} states
     * the same number; a test keeps the two equal.
     */
    public static final int VERSION = 2;

    /**
     * Largest error allowed, relative to the reference's largest magnitude. With the dyadic inputs a
     * correct kernel is exact (0); with N(0, 1) inputs float32 rounding measured at most 6.1e-7 on an
     * AMD EPYC (Zen 5) under the AVX2 cap ({@code main --gaussian}). The bug's errors measured 0.18 to
     * 0.76, or NaN: the tolerance sits 16× above rounding and four orders of magnitude below the bug.
     */
    public static final double TOLERANCE = 1e-5;

    /**
     * Each shape runs once on 1 libtorch thread, where the bug repeats exactly, then this many times on
     * the JVM's thread count, where it is intermittent (NaN channels on one run, exact on the next);
     * the worst result counts.
     */
    static final int THREADED_ROUNDS = 2;

    /** The environment variable that caps oneDNN's instruction set, read by libtorch when it loads. */
    public static final String ISA_VARIABLE = "ONEDNN_MAX_CPU_ISA";

    /**
     * The cap this check proved exact on the machine where the bug was found: the highest oneDNN level
     * below AVX-512, so only the AVX-512 kernels go (for fp32 convolutions it runs the same jit:avx2
     * kernels as {@code AVX2}). Every AVX-512 level (AVX512_CORE, _VNNI, _BF16) was wrong there.
     */
    public static final String CAP = "AVX2_VNNI_2";

    /**
     * One convolution: NCHW input {@code batch×in×size×size}, {@code out} filters of
     * {@code kernel×kernel} over {@code in/groups} channels each, {@code stride}, {@code padding}.
     */
    public record Shape(int batch, int in, int out, int kernel, int stride, int padding, int groups, int size) {
        public Shape {
            if (batch < 1 || in < 1 || out < 1 || kernel < 1 || stride < 1 || padding < 0 || groups < 1 || size < 1
                    || in % groups != 0 || out % groups != 0 || size + 2 * padding < kernel) {
                throw new IllegalArgumentException("not a convolution: batch " + batch + ", " + in + "→" + out + ", kernel " + kernel
                        + ", stride " + stride + ", padding " + padding + ", groups " + groups + " on " + size + "×" + size);
            }
        }

        /** A dense 3×3 conv, stride 1, padding 1 (the probe's shapes). */
        public Shape(int batch, int in, int out, int size) {
            this(batch, in, out, 3, 1, 1, 1, size);
        }

        int outSize() {
            return (size + 2 * padding - kernel) / stride + 1;
        }

        @Override
        public String toString() {
            return in + "→" + out + " (" + batch + "×" + in + "×" + size + "×" + size + ", " + kernel + "×" + kernel
                    + (stride != 1 ? " /" + stride : "") + ", pad " + padding + (groups != 1 ? ", " + groups + " groups" : "") + ")";
        }
    }

    /**
     * Every distinct convolution of {@code arch} (residual bodies, shortcuts and concat branches included)
     * at its own channel counts, kernel, stride, groups and input size, with {@code batch} images: the
     * shapes a training run of that model sends through libtorch's kernels. Input sizes are the heights
     * (the zoo's inputs are square).
     */
    public static List<Shape> shapesOf(Architecture arch, int batch) {
        java.util.LinkedHashSet<Shape> out = new java.util.LinkedHashSet<>();
        collect(arch.name(), arch.layers(), arch.inputShape(), batch, out);
        return List.copyOf(out);
    }

    /** Adds the convolutions of {@code layers} seen from per-image shape {@code in}; returns the output shape (null after Flatten). */
    private static int[] collect(String name, List<Layer> layers, int[] in, int batch, java.util.Set<Shape> out) {
        int[] s = in;
        for (Layer l : layers) {
            switch (l) {
                case Layer.Conv2d c -> out.add(new Shape(batch, c.in(), c.out(), c.kernel(), c.stride(), c.padding(), c.groups(), s[1]));
                case Layer.Residual r -> {
                    collect(name, r.body(), s, batch, out);
                    collect(name, r.shortcut(), s, batch, out);
                }
                case Layer.Concat c -> { for (List<Layer> b : c.branches()) collect(name, b, s, batch, out); }
                case Layer.Flatten f -> { return null; } // no convolution can follow
                default -> { }
            }
            s = new Architecture(name, s, List.of(l)).outputShape();
        }
        return s;
    }

    /**
     * Channel counts that were wrong (not multiples of 16 at the output) and controls that were exact,
     * then the other kernels MobileNetV2 and ShuffleNetV2 train through, at ShuffleNetV2's widths: a
     * depthwise 3×3 at stride 1 and 2 over 116 channels and a 1×1 conv 24→58, so that the probe's verdict
     * (cap or not) covers them too.
     */
    public static final List<Shape> SHAPES = List.of(
            new Shape(4, 8, 8, 8), new Shape(4, 24, 24, 8), new Shape(4, 3, 8, 8), new Shape(4, 16, 8, 8),
            new Shape(4, 8, 16, 8), new Shape(4, 16, 16, 8),
            new Shape(4, 116, 116, 3, 1, 1, 116, 8), new Shape(4, 116, 116, 3, 2, 1, 116, 8), new Shape(4, 24, 58, 1, 1, 0, 1, 8));

    /** Largest absolute difference from the reference, and that over the reference's largest magnitude. */
    public record Error(double maxAbs, double rel) {
        static final Error NAN = new Error(Double.NaN, Double.NaN);

        boolean within() {
            return rel <= TOLERANCE; // false for NaN
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "abs %.1e rel %.1e", maxAbs, rel);
        }
    }

    /** How far libtorch was from the reference for one shape; {@code nonFinite} when it returned NaN or ∞. */
    public record ShapeResult(Shape shape, Error output, Error inputGrad, Error weightGrad, boolean nonFinite) {
        public boolean exact() {
            return !nonFinite && output.within() && inputGrad.within() && weightGrad.within();
        }

        public String line() {
            return String.format(Locale.ROOT, "%-5s %-36s input grad %s, weight grad %s, output %s%s",
                    exact() ? "ok" : "WRONG", shape, inputGrad, weightGrad, output, nonFinite ? ", NaN/Inf" : "");
        }
    }

    /**
     * The whole check: per shape, plus the cap it ran under and the JVM's libtorch thread count (each
     * shape also ran on 1 thread).
     */
    public record Result(List<ShapeResult> shapes, String isaCap, int threads) {
        public boolean exact() {
            return shapes.stream().allMatch(ShapeResult::exact);
        }

        public List<ShapeResult> wrong() {
            return shapes.stream().filter(s -> !s.exact()).toList();
        }

        /** One line naming what ran where, for logs and the probe's message. */
        public String summary() {
            String where = (isaCap == null ? ISA_VARIABLE + " unset" : ISA_VARIABLE + "=" + isaCap)
                    + (threads == 1 ? ", 1 thread" : ", 1 and " + threads + " threads");
            if (exact()) return "conv gradients exact (" + shapes.size() + " shapes, " + where + ")";
            return "conv gradients WRONG for " + wrong().stream().map(s -> s.shape().in() + "→" + s.shape().out()).toList()
                    + " (" + where + "): libtorch's oneDNN AVX-512 conv kernels on this CPU; start Java with "
                    + ISA_VARIABLE + "=" + CAP + " or AVX2 (toolkit/scripts/onednn-env.sh sets it where needed)";
        }
    }

    /** Runs every shape in {@link #SHAPES} through libtorch in this JVM. */
    public static Result run() {
        return run(SHAPES, false);
    }

    /** Runs the given shapes (e.g. {@link #shapesOf} a model) through libtorch in this JVM, with a line per shape to {@code progress}. */
    public static Result run(List<Shape> shapes, java.util.function.Consumer<String> progress) {
        return run(shapes, false, progress);
    }

    /**
     * @param gaussian inputs from N(0, 1) instead of multiples of 1/16: then a correct kernel differs by
     *     float32 rounding, which is what {@link #TOLERANCE} must stay above ({@code main --gaussian} shows it)
     */
    static Result run(List<Shape> shapes, boolean gaussian) {
        return run(shapes, gaussian, line -> { });
    }

    static Result run(List<Shape> shapes, boolean gaussian, java.util.function.Consumer<String> progress) {
        Environment.ensure();
        List<ShapeResult> results = new ArrayList<>();
        int threads;
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            threads = JniUtils.getNumThreads();
            long seed = 1;
            for (Shape s : shapes) {
                ShapeResult worst;
                JniUtils.setNumThreads(1);
                try {
                    worst = check(manager, s, seed++, gaussian);
                } finally {
                    JniUtils.setNumThreads(threads);
                }
                for (int round = 0; round < THREADED_ROUNDS; round++) worst = worse(worst, check(manager, s, seed++, gaussian));
                results.add(worst);
                progress.accept(String.format(Locale.ROOT, "[%d/%d] %s", results.size(), shapes.size(), worst.line()));
            }
        }
        return new Result(List.copyOf(results), System.getenv(ISA_VARIABLE), threads);
    }

    private static ShapeResult worse(ShapeResult a, ShapeResult b) {
        return new ShapeResult(b.shape(), worse(a.output(), b.output()), worse(a.inputGrad(), b.inputGrad()),
                worse(a.weightGrad(), b.weightGrad()), a.nonFinite() || b.nonFinite());
    }

    private static Error worse(Error a, Error b) {
        if (Double.isNaN(a.rel())) return a;
        if (Double.isNaN(b.rel())) return b;
        return new Error(Math.max(a.maxAbs(), b.maxAbs()), Math.max(a.rel(), b.rel()));
    }

    static ShapeResult check(NDManager parent, Shape s, long seed, boolean gaussian) {
        int n = s.batch(), c = s.in(), o = s.out(), h = s.size(), w = s.size(), k = s.kernel(), pad = s.padding(), st = s.stride();
        int groups = s.groups(), cg = c / groups, og = o / groups, ho = s.outSize(), wo = s.outSize();
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = draw(r, n * c * h * w, gaussian), wt = draw(r, o * cg * k * k, gaussian), g = draw(r, n * o * ho * wo, gaussian);
        float[] y, dx, dw;
        try (NDManager m = parent.newSubManager()) {
            NDArray xa = m.create(x, new ai.djl.ndarray.types.Shape(n, c, h, w));
            NDArray wa = m.create(wt, new ai.djl.ndarray.types.Shape(o, cg, k, k));
            NDArray ga = m.create(g, new ai.djl.ndarray.types.Shape(n, o, ho, wo));
            xa.setRequiresGradient(true);
            wa.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray out = Conv2d.conv2d(xa, wa, null, new ai.djl.ndarray.types.Shape(st, st),
                        new ai.djl.ndarray.types.Shape(pad, pad), new ai.djl.ndarray.types.Shape(1, 1), groups).singletonOrThrow();
                y = out.toFloatArray();
                // loss = Σ y·g, so dloss/dy = g: an arbitrary upstream gradient, as in training.
                gc.backward(out.mul(ga).sum());
            }
            dx = xa.getGradient().toFloatArray();
            dw = wa.getGradient().toFloatArray();
        }
        double[] ry = new double[n * o * ho * wo], rdx = new double[n * c * h * w], rdw = new double[o * cg * k * k];
        for (int b = 0; b < n; b++) {
            for (int oc = 0; oc < o; oc++) {
                int firstIn = oc / og * cg; // the input channels of this output's group
                for (int i = 0; i < ho; i++) {
                    for (int j = 0; j < wo; j++) {
                        int yi = ((b * o + oc) * ho + i) * wo + j;
                        double gy = g[yi], acc = 0;
                        for (int ic = 0; ic < cg; ic++) {
                            for (int ki = 0; ki < k; ki++) {
                                int ii = i * st + ki - pad;
                                if (ii < 0 || ii >= h) continue;
                                for (int kj = 0; kj < k; kj++) {
                                    int jj = j * st + kj - pad;
                                    if (jj < 0 || jj >= w) continue;
                                    int xi = ((b * c + firstIn + ic) * h + ii) * w + jj, wi = ((oc * cg + ic) * k + ki) * k + kj;
                                    acc += (double) x[xi] * wt[wi];
                                    rdx[xi] += gy * wt[wi];
                                    rdw[wi] += gy * x[xi];
                                }
                            }
                        }
                        ry[yi] = acc;
                    }
                }
            }
        }
        boolean nonFinite = !finite(y) || !finite(dx) || !finite(dw);
        return new ShapeResult(s, error(y, ry), error(dx, rdx), error(dw, rdw), nonFinite);
    }

    /** Multiples of 1/16 in [−1, 1]: products and sums of a few thousand stay exact in float32. */
    private static float[] draw(SplittableRandom r, int count, boolean gaussian) {
        float[] a = new float[count];
        for (int i = 0; i < count; i++) a[i] = gaussian ? (float) r.nextGaussian() : (r.nextInt(33) - 16) / 16f;
        return a;
    }

    private static boolean finite(float[] a) {
        for (float v : a) if (!Float.isFinite(v)) return false;
        return true;
    }

    /** Largest |got − want|, and that over the largest |want|; NaN when libtorch returned NaN. */
    static Error error(float[] got, double[] want) {
        double err = 0, scale = 0;
        for (int i = 0; i < got.length; i++) {
            double d = Math.abs(got[i] - want[i]);
            if (Double.isNaN(d)) return Error.NAN;
            err = Math.max(err, d);
            scale = Math.max(scale, Math.abs(want[i]));
        }
        return new Error(err, scale == 0 ? err : err / scale);
    }

    /**
     * The probe's verdict for this machine, as {@code onednn-env.sh} cached it: {@code "exact"},
     * {@code "wrong"}, or {@code null} when this machine was never probed (or the CPU, libtorch or this
     * check changed since).
     */
    public static String cachedVerdict() {
        String key = cacheKey();
        if (key == null) return null;
        Path file = cacheDir().resolve("onednn-check-" + key);
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith("verdict=")) return line.substring("verdict=".length()).strip();
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    static Path cacheDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("squeeze");
    }

    /**
     * The same key {@code onednn-env.sh} computes: the first 16 hex digits of SHA-256 over four lines —
     * the CPU's model name, its flags, the libtorch version and {@link #VERSION}. {@code null} when
     * {@code /proc/cpuinfo} or the libtorch version cannot be read.
     */
    static String cacheKey() {
        String model = null, flags = null;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                String field = line.contains(":") ? line.substring(0, line.indexOf(':')).strip() : "";
                if (model == null && field.equals("model name")) model = line.substring(line.indexOf(':') + 1).strip();
                if (flags == null && field.equals("flags")) flags = line.substring(line.indexOf(':') + 1).strip();
            }
        } catch (IOException e) {
            return null;
        }
        String torch = libtorchVersion();
        if (model == null || flags == null || torch == null) return null;
        return cacheKey(model, flags, torch, VERSION);
    }

    static String cacheKey(String model, String flags, String torch, int checkVersion) {
        String text = model + "\n" + flags + "\n" + torch + "\n" + checkVersion + "\n";
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return HexFormat.of().formatHex(dev.squeeze.util.Sha256.of(bytes, bytes.length)).substring(0, 16);
    }

    /**
     * libtorch's version as the native jar states it ({@code 2.7.1-20250812} → {@code 2.7.1}), read
     * without loading the engine; the shell script takes the same from the jar's file name.
     */
    static String libtorchVersion() {
        try (InputStream in = ConvGradientCheck.class.getClassLoader().getResourceAsStream("native/lib/pytorch.properties")) {
            if (in == null) return null;
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version");
            return v == null ? null : v.split("-")[0];
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Prints one line per shape and a summary; exits 0 when every gradient is exact, 3 when not.
     * {@code --gaussian}: N(0, 1) inputs (shows float32 rounding against {@link #TOLERANCE}).
     */
    public static void main(String[] args) {
        Result r = run(SHAPES, List.of(args).contains("--gaussian"));
        for (ShapeResult s : r.shapes()) System.out.println(s.line());
        System.out.println(r.summary());
        System.exit(r.exact() ? 0 : 3);
    }
}
