package dev.squeeze.exec;

import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Integer kernels of the int8 executor: convolution, fully connected, pooling, residual add,
 * stand-alone activation and requantization on 8-bit activation codes, with int32 accumulation and the
 * exact fixed-point requantization of {@link dev.squeeze.ir.Requantizer} (see {@link OutputStage}).
 * This facade checks every argument and delegates to one implementation:
 * <ul>
 *   <li><b>panama</b> ({@code dev.squeeze.exec.panama}, the only code that imports
 *       {@code jdk.incubator.vector}): loaded by name, and only when the module is in the boot layer
 *       (Java started with {@code --add-modules jdk.incubator.vector}) and its preferred vector is at
 *       least 256 bits wide;</li>
 *   <li><b>scalar</b>: plain Java loops, used otherwise, with one warning per JVM naming the flag.</li>
 * </ul>
 * The system property {@value #SCALAR_PROPERTY}{@code =true} forces the scalar kernels (tests and
 * comparisons); {@link #scalar()} and {@link #panama()} give either one explicitly in the same JVM.
 * {@link #kernels()} says which runs by default, e.g. for a notebook to print.
 *
 * <h2>Arithmetic (what every implementation computes, bit for bit)</h2>
 * Codes are read per {@link CodeType}. With {@code w} the weight codes minus their zero point:
 * <pre>
 *   conv:    acc[o, y, x] = bias[o] + Σ_{i,ky,kx} (in[g·Cg + i, y·s − p + ky, x·s − p + kx] − zp_in) · w[o, i, ky, kx]
 *            (padded positions hold zp_in, so they add 0; g = o / (C_out/groups))
 *   linear:  acc[o] = bias[o] + Σ_i (in[i] − zp_in) · w[o, i]
 *   both:    out = stage.requantize(o, acc)                   (int32 accumulator, wrapping like Java int)
 *   max pool:       max of the window's codes inside the input (padding never wins)
 *   avg pool:       zp + divRoundHalfAway(Σ_{window ∩ input} (q − zp), k²)     (padding counts as real 0)
 *   global avg:     zp + divRoundHalfAway(Σ_plane (q − zp), H·W)
 *   add:            {@link AddSpec#apply}
 *   activation:     stage.requantize(0, q − zp_in)
 *   divRoundHalfAway(s, n) = sign(s) · floor((2|s| + n) / (2n))
 * </pre>
 * These are the formulas of the {@code IntegerReference} oracle of {@code Int8Model}.
 */
public final class Int8Kernels {

    /** System property that forces the scalar kernels when {@code true}. */
    public static final String SCALAR_PROPERTY = "squeeze.exec.scalar";

    static final String PANAMA_CLASS = "dev.squeeze.exec.panama.PanamaInt8Kernels";
    private static final AtomicBoolean WARNED = new AtomicBoolean();
    private static volatile Consumer<String> warningSink = System.err::println;
    private static final ConcurrentHashMap<String, Double> PEAKS = new ConcurrentHashMap<>();

    private static final class Holder {
        static final Int8Kernels SCALAR = new Int8Kernels(new ScalarInt8Kernels());
        static final Int8Kernels DEFAULT = lookup();
    }

    private final Int8KernelSupport impl;

    private Int8Kernels(Int8KernelSupport impl) { this.impl = impl; }

    // ---- selection ------------------------------------------------------------------------------

    /** The kernels this JVM uses by default (decided once, on first use). */
    public static Int8Kernels get() { return Holder.DEFAULT; }

    /** The scalar kernels. */
    public static Int8Kernels scalar() { return Holder.SCALAR; }

    /**
     * The Panama kernels, regardless of {@value #SCALAR_PROPERTY}.
     *
     * @throws UnsupportedOperationException when they cannot be loaded (module absent, vectors narrower
     *     than 256 bits), naming the reason and the flag
     */
    public static Int8Kernels panama() {
        String why = panamaUnavailableReason();
        if (why != null) throw new UnsupportedOperationException("Panama int8 kernels unavailable: " + why);
        return new Int8Kernels(loadPanama());
    }

    /** Whether {@link #panama()} would succeed. */
    public static boolean panamaAvailable() { return panamaUnavailableReason() == null; }

    /** Description of the default kernels, e.g. {@code "panama: IntVector 512-bit (16 lanes) …"} or {@code "scalar: …"}. */
    public static String kernels() { return get().description(); }

    /** A fresh lookup with the current system property (the default instance is looked up once). */
    static Int8Kernels lookup() {
        return select(Boolean.getBoolean(SCALAR_PROPERTY), ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                Int8Kernels::warnOnce);
    }

    /**
     * The selection logic, testable without restarting the JVM.
     *
     * @param forceScalar the {@value #SCALAR_PROPERTY} property
     * @param moduleAvailable whether {@code jdk.incubator.vector} is in the boot layer
     * @param warn receives the one-line reason whenever the scalar kernels are chosen
     */
    static Int8Kernels select(boolean forceScalar, boolean moduleAvailable, Consumer<String> warn) {
        if (forceScalar) {
            warn.accept("Squeeze int8 executor: scalar kernels forced by -D" + SCALAR_PROPERTY + "=true (remove it and start Java with"
                    + " --add-modules jdk.incubator.vector for the Panama kernels)");
            return scalar();
        }
        if (!moduleAvailable) {
            warn.accept("Squeeze int8 executor: the Vector API module is not loaded, using the scalar int8 kernels (several times"
                    + " slower); start Java with --add-modules jdk.incubator.vector to use the Panama kernels");
            return scalar();
        }
        try {
            return new Int8Kernels(loadPanama());
        } catch (RuntimeException | LinkageError e) {
            warn.accept("Squeeze int8 executor: Panama kernels unavailable (" + e.getMessage() + "), using the scalar int8 kernels");
            return scalar();
        }
    }

    private static String panamaUnavailableReason() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return "the jdk.incubator.vector module is not loaded; start Java with --add-modules jdk.incubator.vector";
        }
        try {
            loadPanama();
            return null;
        } catch (RuntimeException | LinkageError e) {
            return e.getMessage();
        }
    }

    private static Int8KernelSupport loadPanama() {
        try {
            Class<?> c = Class.forName(PANAMA_CLASS);
            return (Int8KernelSupport) c.getConstructor(Int8KernelSupport.class).newInstance(new ScalarInt8Kernels());
        } catch (java.lang.reflect.InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) throw r;
            throw new IllegalStateException(String.valueOf(cause), cause);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot load " + PANAMA_CLASS + ": " + e, e);
        }
    }

    /** Prints {@code message} to the warning sink unless a warning was printed already in this JVM. */
    static void warnOnce(String message) {
        if (WARNED.compareAndSet(false, true)) warningSink.accept(message);
    }

    /** Test hook: redirect warnings and re-arm the once-per-JVM flag; returns the previous sink. */
    static Consumer<String> redirectWarnings(Consumer<String> sink) {
        Consumer<String> old = warningSink;
        warningSink = sink;
        WARNED.set(false);
        return old;
    }

    // ---- description ----------------------------------------------------------------------------

    /** One line naming the implementation and its vector shapes. */
    public String description() { return impl.description(); }

    /** {@code "scalar"} or {@code "panama"}. */
    public String name() { return impl.name(); }

    /** True for the Panama kernels. */
    public boolean vectorized() { return !"scalar".equals(impl.name()); }

    Int8KernelSupport support() { return impl; }

    @Override public String toString() { return "Int8Kernels[" + description() + "]"; }

    // ---- packed layers --------------------------------------------------------------------------

    /**
     * Packs a convolution once (at model load); run it with {@link Int8Conv2d#run}.
     *
     * @param inType code type of the input activations
     * @param inZeroPoint input zero point (the value of padded positions)
     * @param weights weight codes minus their channel's zero point, {@code [outChannels, inChannels/groups, k, k]}
     *     row-major. Vectorized kernels need them in [−128, 127]; a layer with others (e.g. an asymmetric
     *     weight grid) is packed for the scalar kernels, which {@link Int8Conv2d#path()} reports.
     * @param bias int32 bias per output channel (on the accumulator's scale)
     * @param stage output stage with one channel per output channel
     */
    public Int8Conv2d conv2d(ConvSpec spec, CodeType inType, int inZeroPoint, int[] weights, int[] bias, OutputStage stage) {
        Objects.requireNonNull(spec, "spec");
        checkZeroPoint(inType, inZeroPoint, "conv2d input");
        if (weights.length != spec.weightCount()) {
            throw new IllegalArgumentException(spec + " needs " + spec.weightCount() + " weights ([out, in/groups, k, k]), got " + weights.length);
        }
        checkChannels(spec.outChannels(), bias, stage, spec.toString());
        Int8KernelSupport use = fitsInt8(weights) ? impl : Holder.SCALAR.impl;
        return new Int8Conv2d(spec, inType, inZeroPoint, stage, use.conv(spec, inType, inZeroPoint, weights, bias, stage),
                use != impl ? " (weights outside [-128, 127])" : "");
    }

    /** {@link #conv2d(ConvSpec, CodeType, int, int[], int[], OutputStage)} with int8 weight codes (zero point 0). */
    public Int8Conv2d conv2d(ConvSpec spec, CodeType inType, int inZeroPoint, byte[] weights, int[] bias, OutputStage stage) {
        return conv2d(spec, inType, inZeroPoint, widen(weights), bias, stage);
    }

    /**
     * Packs a fully connected layer once; run it with {@link Int8Linear#run}.
     *
     * @param weights {@code [out, in]} weight codes minus their channel's zero point (see {@link #conv2d})
     */
    public Int8Linear linear(int in, int out, CodeType inType, int inZeroPoint, int[] weights, int[] bias, OutputStage stage) {
        if (in < 1 || out < 1) throw new IllegalArgumentException("linear needs ≥ 1 input and output feature, got " + in + " → " + out);
        checkZeroPoint(inType, inZeroPoint, "linear input");
        if (weights.length != (long) in * out) {
            throw new IllegalArgumentException("linear " + in + "→" + out + " needs " + (long) in * out + " weights ([out, in]), got " + weights.length);
        }
        checkChannels(out, bias, stage, "linear " + in + "→" + out);
        Int8KernelSupport use = fitsInt8(weights) ? impl : Holder.SCALAR.impl;
        return new Int8Linear(in, out, inType, inZeroPoint, stage, use.linear(in, out, inType, inZeroPoint, weights, bias, stage),
                use != impl ? " (weights outside [-128, 127])" : "");
    }

    /** {@link #linear(int, int, CodeType, int, int[], int[], OutputStage)} with int8 weight codes. */
    public Int8Linear linear(int in, int out, CodeType inType, int inZeroPoint, byte[] weights, int[] bias, OutputStage stage) {
        return linear(in, out, inType, inZeroPoint, widen(weights), bias, stage);
    }

    private static int[] widen(byte[] w) {
        int[] out = new int[w.length];
        for (int i = 0; i < w.length; i++) out[i] = w[i];
        return out;
    }

    private static boolean fitsInt8(int[] w) {
        for (int v : w) if (v < -128 || v > 127) return false;
        return true;
    }

    private static void checkZeroPoint(CodeType t, int zp, String what) {
        Objects.requireNonNull(t, "code type");
        if (zp < t.min() || zp > t.max()) {
            throw new IllegalArgumentException(what + ": zero point " + zp + " is outside the " + t + " range [" + t.min() + ", " + t.max() + "]");
        }
    }

    private static void checkChannels(int channels, int[] bias, OutputStage stage, String what) {
        if (bias.length != channels || stage.channels() != channels) {
            throw new IllegalArgumentException(what + " has " + channels + " output channels but " + bias.length + " biases and an output"
                    + " stage of " + stage.channels() + " channels");
        }
        checkStageFits(stage, what);
    }

    private static void checkStageFits(OutputStage stage, String what) {
        if (!CodeType.INT8.holds(stage.qmin(), stage.qmax()) && !CodeType.UINT8.holds(stage.qmin(), stage.qmax())) {
            throw new IllegalArgumentException(what + ": output clamp [" + stage.qmin() + ", " + stage.qmax() + "] does not fit 8-bit codes");
        }
    }

    // ---- element-wise and pooling ops -----------------------------------------------------------

    /**
     * Max pooling of {@code planes} consecutive {@code [H, W]} planes (e.g. batch·channels of an NCHW
     * tensor) from {@code in[inOff ..]} to {@code [OH, OW]} planes at {@code out[outOff ..]}; the maximum
     * is over window positions inside the input.
     */
    public void maxPool(PoolSpec spec, CodeType type, byte[] in, int inOff, byte[] out, int outOff, int planes) {
        checkRange(in, inOff, (long) planes * spec.inPlane(), "max pool input");
        checkRange(out, outOff, (long) planes * spec.outPlane(), "max pool output");
        Objects.requireNonNull(type, "type");
        impl.maxPool(spec, type, in, inOff, out, outOff, planes);
    }

    /** Average pooling (divisor k², padding counts as real 0, ties away from zero); layout as {@link #maxPool}. */
    public void avgPool(PoolSpec spec, CodeType type, int zeroPoint, byte[] in, int inOff, byte[] out, int outOff, int planes) {
        checkZeroPoint(type, zeroPoint, "avg pool");
        checkRange(in, inOff, (long) planes * spec.inPlane(), "avg pool input");
        checkRange(out, outOff, (long) planes * spec.outPlane(), "avg pool output");
        impl.avgPool(spec, type, zeroPoint, in, inOff, out, outOff, planes);
    }

    /** Global average pooling of {@code planes} planes of {@code plane} codes each to one code per plane. */
    public void globalAvgPool(int plane, CodeType type, int zeroPoint, byte[] in, int inOff, byte[] out, int outOff, int planes) {
        if (plane < 1) throw new IllegalArgumentException("globalAvgPool: plane size must be ≥ 1, got " + plane);
        checkZeroPoint(type, zeroPoint, "global avg pool");
        checkRange(in, inOff, (long) planes * plane, "global avg pool input");
        checkRange(out, outOff, planes, "global avg pool output");
        impl.globalAvgPool(plane, type, zeroPoint, in, inOff, out, outOff, planes);
    }

    /** Residual add of {@code count} code pairs, see {@link AddSpec}. */
    public void add(AddSpec spec, byte[] a, int aOff, byte[] b, int bOff, byte[] out, int outOff, int count) {
        Objects.requireNonNull(spec, "spec");
        checkRange(a, aOff, count, "add operand a");
        checkRange(b, bOff, count, "add operand b");
        checkRange(out, outOff, count, "add output");
        checkStageFits(spec.output(), "add");
        impl.add(spec, a, aOff, b, bOff, out, outOff, count);
    }

    /** Stand-alone activation: {@code out = stage.requantize(0, q − inZeroPoint)} on {@code count} codes. */
    public void activation(CodeType inType, int inZeroPoint, OutputStage stage, byte[] in, int inOff, byte[] out, int outOff, int count) {
        checkZeroPoint(inType, inZeroPoint, "activation input");
        if (stage.channels() != 1) throw new IllegalArgumentException("activation needs a one-channel stage, got " + stage.channels());
        checkStageFits(stage, "activation");
        checkRange(in, inOff, count, "activation input");
        checkRange(out, outOff, count, "activation output");
        impl.activation(inType, inZeroPoint, stage, in, inOff, out, outOff, count);
    }

    /**
     * A table activation ({@code out = table[q − qmin]} for codes {@code q} of type {@code inType} on a grid
     * starting at {@code qmin}) as 256 output bytes indexed by the stored input byte {@code b & 0xFF}, so that
     * {@link #lookup} needs no decoding. Bytes that hold no code of the grid map to the nearest end of the
     * table; codes on the grid never reach them.
     *
     * @param table one output code per input code {@code qmin, qmin + 1, …}
     */
    public static byte[] byteTable(CodeType inType, int qmin, int[] table) {
        Objects.requireNonNull(inType, "inType");
        if (table.length == 0 || qmin < inType.min() || qmin + table.length - 1 > inType.max()) {
            throw new IllegalArgumentException("byteTable: " + table.length + " codes from " + qmin + " do not fit " + inType + " [" + inType.min()
                    + ", " + inType.max() + "]");
        }
        byte[] t = new byte[256];
        for (int b = 0; b < 256; b++) t[b] = (byte) table[Math.clamp(inType.decode((byte) b) - qmin, 0, table.length - 1)];
        return t;
    }

    /** Table activation of {@code count} codes: {@code out[i] = byteTable[in[i] & 0xFF]} (see {@link #byteTable}). */
    public void lookup(byte[] byteTable, byte[] in, int inOff, byte[] out, int outOff, int count) {
        if (byteTable.length != 256) throw new IllegalArgumentException("lookup needs a 256-entry byte table, got " + byteTable.length);
        checkRange(in, inOff, count, "lookup input");
        checkRange(out, outOff, count, "lookup output");
        // memory-bound and a gather per byte: a plain loop is as fast as a vector form would be
        for (int i = 0; i < count; i++) out[outOff + i] = byteTable[in[inOff + i] & 0xFF];
    }

    /**
     * Quantizes {@code count} floats to codes exactly as {@code QuantParams.quantize}: float32
     * {@code x · inverseScale}, rounded half to even, {@code + zeroPoint}, clamped to {@code [qmin, qmax]}.
     *
     * @throws IllegalArgumentException on a NaN input, naming its index
     */
    public void quantize(float[] in, int inOff, float inverseScale, int zeroPoint, int qmin, int qmax, byte[] out, int outOff, int count) {
        if (!(inverseScale > 0) || Float.isInfinite(inverseScale)) {
            throw new IllegalArgumentException("quantize: inverse scale must be positive and finite, got " + inverseScale);
        }
        if (qmin > qmax || qmin < -128 || qmax > 255 || zeroPoint < qmin || zeroPoint > qmax) {
            throw new IllegalArgumentException("quantize: need qmin ≤ zeroPoint ≤ qmax within [-128, 255], got qmin " + qmin + ", zero point "
                    + zeroPoint + ", qmax " + qmax);
        }
        if (in == null) throw new NullPointerException("quantize input");
        if (inOff < 0 || count < 0 || (long) inOff + count > in.length) {
            throw new IllegalArgumentException("quantize: floats [" + inOff + ", " + ((long) inOff + count) + ") exceed the array of " + in.length);
        }
        checkRange(out, outOff, count, "quantize output");
        impl.quantize(in, inOff, inverseScale, zeroPoint, qmin, qmax, out, outOff, count);
    }

    /** Requantizes {@code count} int32 accumulators of one channel to codes. */
    public void requantize(OutputStage stage, int channel, int[] acc, int accOff, byte[] out, int outOff, int count) {
        if (channel < 0 || channel >= stage.channels()) {
            throw new IllegalArgumentException("requantize: channel " + channel + " outside the stage's " + stage.channels() + " channels");
        }
        checkStageFits(stage, "requantize");
        if (accOff < 0 || count < 0 || (long) accOff + count > acc.length) {
            throw new IllegalArgumentException("requantize: accumulators [" + accOff + ", " + ((long) accOff + count) + ") exceed the array of "
                    + acc.length);
        }
        checkRange(out, outOff, count, "requantize output");
        impl.requantize(stage, channel, acc, accOff, out, outOff, count);
    }

    static void checkRange(byte[] a, int off, long count, String what) {
        checkRange(a, off, count, what, "");
    }

    /** Checks {@code a[off, off + count)}; the message {@code what + part} is only built on failure (hot paths call this). */
    static void checkRange(byte[] a, int off, long count, Object what, String part) {
        if (a == null) throw new NullPointerException(what + part);
        if (off < 0 || count < 0 || off + count > a.length) {
            throw new IllegalArgumentException(what + part + ": codes [" + off + ", " + (off + count) + ") exceed the array of " + a.length
                    + " bytes; check the batch size and offsets");
        }
    }

    /** {@code s / n} rounded to nearest, ties away from zero: {@code sign(s) · floor((2|s| + n) / (2n))}, n &gt; 0. */
    public static long divRoundHalfAway(long s, long n) {
        long q = (2 * Math.abs(s) + n) / (2 * n);
        return s < 0 ? -q : q;
    }

    // ---- peak -----------------------------------------------------------------------------------

    /**
     * The practical one-thread peak of these kernels in GOP/s (2 ops per multiply-accumulate), measured
     * once per JVM and implementation on two ResNet18 (CIFAR) layers that suit the micro-kernel best —
     * 3×3, 128 → 128 channels over 16×16 pixels and 3×3, 256 → 256 over 8×8, batch 1 (37.7 M MAC per
     * call each, long reductions, whole tiles) — each run for about 0.5 s to warm up, then 9 samples of
     * about 40 ms; the best sample of either counts (on a shared machine other load only ever slows a
     * sample down). It is the ceiling of this kernel family on well-shaped layers, not the CPU's
     * theoretical peak, so a layer's share of it says how much the layer loses to its shape (short
     * reductions, small planes, junk columns) and to memory. Takes about 1.5 s the first time.
     */
    public double peakGops() {
        return PEAKS.computeIfAbsent(name(), n -> Math.max(measurePeak(new ConvSpec(128, 128, 3, 1, 1, 1, 16, 16), 1),
                measurePeak(new ConvSpec(256, 256, 3, 1, 1, 1, 8, 8), 1)));
    }

    private double measurePeak(ConvSpec spec, int batch) {
        Random r = new Random(42);
        int[] w = new int[spec.weightCount()];
        for (int i = 0; i < w.length; i++) w[i] = r.nextInt(255) - 127;
        int ch = spec.outChannels();
        int[] bias = new int[ch];
        int[] m = new int[ch], s = new int[ch];
        java.util.Arrays.fill(m, 1 << 30);
        java.util.Arrays.fill(s, -12);
        OutputStage stage = new OutputStage(m, s, m, s, 0, -128, 127);
        Int8Conv2d conv = conv2d(spec, CodeType.UINT8, 3, w, bias, stage);
        byte[] in = new byte[batch * spec.inputSize()], out = new byte[batch * spec.outputSize()];
        r.nextBytes(in);
        Scratch scratch = new Scratch(1).reserve(conv.kernel(), batch);
        // Time-boxed and robust to a slow start (JIT compilation on a busy machine): ~20 ms samples, the best
        // one counts; stop once 8 samples in a row fail to beat it by 1 % (at least 0.5 s, at most 4 s).
        long t0 = System.nanoTime(), minEnd = t0 + 500_000_000L, maxEnd = t0 + 4_000_000_000L;
        int perSample = 1;
        double best = 0;
        int stale = 0;
        while (true) {
            long a = System.nanoTime();
            for (int i = 0; i < perSample; i++) conv.run(in, 0, batch, out, 0, scratch);
            long t = System.nanoTime() - a;
            if (t < 20_000_000L && perSample < 1 << 20) {
                perSample *= 2; // too short to time well: grow the sample first
            } else {
                double rate = 2.0 * spec.macs() * batch * perSample / t;
                if (rate > best * 1.01) {
                    best = rate;
                    stale = 0;
                } else {
                    stale++;
                }
            }
            long now = System.nanoTime();
            if (now > maxEnd || (now > minEnd && stale >= 8)) break;
        }
        return best;
    }
}
