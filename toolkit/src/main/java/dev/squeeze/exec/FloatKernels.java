package dev.squeeze.exec;

import dev.squeeze.ir.Activation;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Float32 kernels of {@link FloatExecutor}: convolution and fully connected with bias and fused
 * activation, plus the memory-bound ops (pools, add, activation) as plain loops, which an implementation
 * may replace with its own ({@link Elementwise}; the Panama one does). Selected exactly like {@link Int8Kernels}: the <b>panama</b> implementation
 * ({@code dev.squeeze.exec.panama.PanamaFloatKernels}, loaded by name) when {@code jdk.incubator.vector}
 * is in the boot layer, else <b>scalar</b> with one warning per JVM (shared with the int8 kernels);
 * {@value Int8Kernels#SCALAR_PROPERTY}{@code =true} forces scalar.
 *
 * <p>Both compute {@code act(bias[o] + Σ in · w)} in float32 with padding as 0, but sum in different
 * orders, so they agree to rounding (relative ~1e-6 per layer), not bit for bit.
 */
public final class FloatKernels {

    static final String PANAMA_CLASS = "dev.squeeze.exec.panama.PanamaFloatKernels";

    private static final class Holder {
        static final FloatKernels SCALAR = new FloatKernels(new ScalarFloatKernels());
        static final FloatKernels DEFAULT = lookup();
    }

    private final FloatKernelSupport impl;

    private FloatKernels(FloatKernelSupport impl) { this.impl = impl; }

    /** The kernels this JVM uses by default (decided once). */
    public static FloatKernels get() { return Holder.DEFAULT; }

    /** The scalar kernels. */
    public static FloatKernels scalar() { return Holder.SCALAR; }

    /**
     * The Panama kernels regardless of the property.
     *
     * @throws UnsupportedOperationException when the module is not loaded, naming the flag
     */
    public static FloatKernels panama() {
        if (!moduleLoaded()) {
            throw new UnsupportedOperationException("Panama float kernels unavailable: the jdk.incubator.vector module is not loaded;"
                    + " start Java with --add-modules jdk.incubator.vector");
        }
        return new FloatKernels(loadPanama());
    }

    /** Whether {@link #panama()} would succeed. */
    public static boolean panamaAvailable() {
        try {
            panama();
            return true;
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    static FloatKernels lookup() {
        return select(Boolean.getBoolean(Int8Kernels.SCALAR_PROPERTY), moduleLoaded(), Int8Kernels::warnOnce);
    }

    /** The selection logic, testable without restarting the JVM; {@code warn} gets the reason whenever scalar is chosen. */
    static FloatKernels select(boolean forceScalar, boolean moduleAvailable, Consumer<String> warn) {
        if (forceScalar) {
            warn.accept("Squeeze float executor: scalar kernels forced by -D" + Int8Kernels.SCALAR_PROPERTY + "=true (remove it and start"
                    + " Java with --add-modules jdk.incubator.vector for the Panama kernels)");
            return scalar();
        }
        if (!moduleAvailable) {
            warn.accept("Squeeze float executor: the Vector API module is not loaded, using the scalar float kernels (several times"
                    + " slower); start Java with --add-modules jdk.incubator.vector to use the Panama kernels");
            return scalar();
        }
        try {
            return new FloatKernels(loadPanama());
        } catch (RuntimeException | LinkageError e) {
            warn.accept("Squeeze float executor: Panama kernels unavailable (" + e.getMessage() + "), using the scalar float kernels");
            return scalar();
        }
    }

    private static boolean moduleLoaded() { return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(); }

    private static FloatKernelSupport loadPanama() {
        try {
            return (FloatKernelSupport) Class.forName(PANAMA_CLASS).getConstructor().newInstance();
        } catch (java.lang.reflect.InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(String.valueOf(e.getCause()), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot load " + PANAMA_CLASS + ": " + e, e);
        }
    }

    // ---- extensions both implementations provide (kept here, next to the facade, so that the kernel
    //      SPI FloatKernelSupport stays as it is; a kernel set without them gets the plain loops below) --

    /**
     * A {@link FloatKernelSupport.ConvKernel} that also runs several images per call (so a kernel may share
     * packed panels and weight traffic across images) and fuses a residual: output channel {@code o} of
     * image {@code b} is {@code act(bias[o] + Σ in · w + res[b, o, ..])} when {@code res != null}, the
     * activation being the one the kernel was packed with. Images are contiguous: input image {@code b} at
     * {@code inOff + b · inputSize}, output and residual at {@code b · outputSize}. {@link #scratchFloats()}
     * does not depend on the number of images.
     */
    public interface BatchConv extends FloatKernelSupport.ConvKernel {
        void run(float[] in, int inOff, int images, float[] out, int outOff, float[] res, int resOff, int oc0, int oc1, float[] scratch);

        @Override default void run(float[] in, int inOff, float[] out, int outOff, int oc0, int oc1, float[] scratch) {
            run(in, inOff, 1, out, outOff, null, 0, oc0, oc1, scratch);
        }
    }

    /** The memory-bound ops in an implementation's own (e.g. vector) form; same contracts as the static loops below. */
    public interface Elementwise {
        void activate(Activation act, float[] x, int off, int n);
        void add(Activation act, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);
        void maxPool(PoolSpec s, float[] in, int inOff, float[] out, int outOff, int planes);
        void avgPool(PoolSpec s, float[] in, int inOff, float[] out, int outOff, int planes);
        void globalAvgPool(int size, float[] in, int inOff, float[] out, int outOff, int planes);
    }

    /** The plain loops as an {@link Elementwise} (the reference, and the fallback for cases a vector form does not cover). */
    public static Elementwise loops() { return LOOPS; }

    private static final Elementwise LOOPS = new Elementwise() {
        @Override public void activate(Activation act, float[] x, int off, int n) { FloatKernels.activate(act, x, off, n); }
        @Override public void add(Activation act, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
            FloatKernels.add(act, a, aOff, b, bOff, out, outOff, n);
        }
        @Override public void maxPool(PoolSpec s, float[] in, int inOff, float[] out, int outOff, int planes) {
            FloatKernels.maxPool(s, in, inOff, out, outOff, planes);
        }
        @Override public void avgPool(PoolSpec s, float[] in, int inOff, float[] out, int outOff, int planes) {
            FloatKernels.avgPool(s, in, inOff, out, outOff, planes);
        }
        @Override public void globalAvgPool(int size, float[] in, int inOff, float[] out, int outOff, int planes) {
            FloatKernels.globalAvgPool(size, in, inOff, out, outOff, planes);
        }
    };

    /** The implementation's memory-bound ops, or the plain loops. */
    Elementwise elementwise() { return impl instanceof Elementwise e ? e : LOOPS; }

    public String description() { return impl.description(); }
    public String name() { return impl.name(); }
    public boolean vectorized() { return !"scalar".equals(impl.name()); }
    FloatKernelSupport support() { return impl; }
    @Override public String toString() { return "FloatKernels[" + description() + "]"; }

    // ---- packing ---------------------------------------------------------------------------------

    /** Packs a convolution once; {@code weight [out, in/groups, k, k]} row-major, {@code bias [out]}. */
    public FloatKernelSupport.ConvKernel conv(ConvSpec spec, float[] weight, float[] bias, Activation act) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(act, "act");
        if (weight.length != spec.weightCount()) {
            throw new IllegalArgumentException(spec + " needs " + spec.weightCount() + " weights ([out, in/groups, k, k]), got " + weight.length);
        }
        if (bias.length != spec.outChannels()) {
            throw new IllegalArgumentException(spec + " needs " + spec.outChannels() + " biases, got " + bias.length);
        }
        return impl.conv(spec, weight, bias, act);
    }

    /**
     * {@link #conv} as a {@link BatchConv}: the implementation's own when it has one, else its per-image
     * kernel (packed without the activation) followed by the residual add and the activation as loops.
     */
    public BatchConv batchConv(ConvSpec spec, float[] weight, float[] bias, Activation act) {
        FloatKernelSupport.ConvKernel k = conv(spec, weight, bias, act);
        if (k instanceof BatchConv b) return b;
        FloatKernelSupport.ConvKernel plain = impl.conv(spec, weight, bias, Activation.NONE);
        int inSize = spec.inputSize(), outSize = spec.outputSize(), p = spec.outHeight() * spec.outWidth();
        return new BatchConv() {
            @Override public int scratchFloats() { return plain.scratchFloats(); }
            @Override public int channelBlock() { return plain.channelBlock(); }
            @Override public void run(float[] in, int inOff, int images, float[] out, int outOff, float[] res, int resOff, int oc0, int oc1,
                    float[] scratch) {
                for (int b = 0; b < images; b++) {
                    int o = outOff + b * outSize + oc0 * p, n = (oc1 - oc0) * p;
                    plain.run(in, inOff + b * inSize, out, outOff + b * outSize, oc0, oc1, scratch);
                    if (res == null) activate(act, out, o, n);
                    else add(act, out, o, res, resOff + b * outSize + oc0 * p, out, o, n);
                }
            }
        };
    }

    /** Packs a fully connected layer; {@code weight [out, in]}, {@code bias [out]}. */
    public FloatKernelSupport.LinearKernel linear(int in, int out, float[] weight, float[] bias, Activation act) {
        if (in < 1 || out < 1) throw new IllegalArgumentException("linear needs in, out ≥ 1, got " + in + ", " + out);
        if (weight.length != (long) in * out) {
            throw new IllegalArgumentException("linear " + in + " → " + out + " needs " + (long) in * out + " weights ([out, in]), got " + weight.length);
        }
        if (bias.length != out) throw new IllegalArgumentException("linear " + in + " → " + out + " needs " + out + " biases, got " + bias.length);
        return impl.linear(in, out, weight, bias, act);
    }

    // ---- memory-bound ops (plain loops: they move bytes, the arithmetic is negligible) -------------

    /** {@code x[off .. off+n) = act(x)} in place. */
    static void activate(Activation act, float[] x, int off, int n) {
        switch (act.kind()) {
            case NONE -> { }
            case RELU -> { for (int i = off, e = off + n; i < e; i++) x[i] = x[i] > 0 ? x[i] : 0f; }
            case LEAKY_RELU -> {
                float a = act.alpha();
                for (int i = off, e = off + n; i < e; i++) x[i] = x[i] >= 0 ? x[i] : a * x[i];
            }
            // as Activation.apply, operation for operation, so that the vector kernels can match bit for bit
            case RELU6 -> { for (int i = off, e = off + n; i < e; i++) x[i] = Math.min(Math.max(x[i], 0f), 6f); }
            case HARD_SWISH -> { for (int i = off, e = off + n; i < e; i++) x[i] = x[i] * Math.min(Math.max(x[i] + 3f, 0f), 6f) / 6f; }
        }
    }

    /** Max pool of {@code planes} planes; padding never wins (PyTorch). */
    static void maxPool(PoolSpec s, float[] in, int inOff, float[] out, int outOff, int planes) {
        int H = s.height(), W = s.width(), OH = s.outHeight(), OW = s.outWidth(), k = s.kernel(), st = s.stride(), p = s.padding();
        for (int c = 0; c < planes; c++) {
            int src = inOff + c * H * W, dst = outOff + c * OH * OW;
            for (int y = 0; y < OH; y++) {
                int y0 = Math.max(0, y * st - p), y1 = Math.min(H, y * st - p + k);
                for (int x = 0; x < OW; x++) {
                    int x0 = Math.max(0, x * st - p), x1 = Math.min(W, x * st - p + k);
                    float m = Float.NEGATIVE_INFINITY;
                    for (int iy = y0; iy < y1; iy++) for (int ix = x0; ix < x1; ix++) m = Math.max(m, in[src + iy * W + ix]);
                    out[dst + y * OW + x] = m;
                }
            }
        }
    }

    /** Average pool, padding counted as zeros (divide by k², PyTorch's count_include_pad). */
    static void avgPool(PoolSpec s, float[] in, int inOff, float[] out, int outOff, int planes) {
        int H = s.height(), W = s.width(), OH = s.outHeight(), OW = s.outWidth(), k = s.kernel(), st = s.stride(), p = s.padding();
        float inv = 1f / (k * k);
        for (int c = 0; c < planes; c++) {
            int src = inOff + c * H * W, dst = outOff + c * OH * OW;
            for (int y = 0; y < OH; y++) {
                int y0 = Math.max(0, y * st - p), y1 = Math.min(H, y * st - p + k);
                for (int x = 0; x < OW; x++) {
                    int x0 = Math.max(0, x * st - p), x1 = Math.min(W, x * st - p + k);
                    float sum = 0;
                    for (int iy = y0; iy < y1; iy++) for (int ix = x0; ix < x1; ix++) sum += in[src + iy * W + ix];
                    out[dst + y * OW + x] = sum * inv;
                }
            }
        }
    }

    /** Mean of each of {@code planes} planes of {@code size} values. */
    static void globalAvgPool(int size, float[] in, int inOff, float[] out, int outOff, int planes) {
        for (int c = 0; c < planes; c++) {
            float sum = 0;
            for (int i = inOff + c * size, e = i + size; i < e; i++) sum += in[i];
            out[outOff + c] = sum / size;
        }
    }

    /** {@code out = act(a + b)} over {@code n} values. */
    static void add(Activation act, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) out[outOff + i] = a[aOff + i] + b[bOff + i];
        activate(act, out, outOff, n);
    }
}
