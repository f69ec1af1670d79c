package dev.squeeze.exec;

/**
 * A convolution packed for one kernel implementation (made by {@link Int8Kernels#conv2d}): immutable
 * and thread-safe; each concurrent call needs its own {@link Scratch}.
 *
 * <p>Input {@code [batch, inChannels, H, W]} codes at {@code in[inOff ..]}, output
 * {@code [batch, outChannels, H', W']} codes at {@code out[outOff ..]} (NCHW, row-major). The arithmetic
 * is documented on {@link Int8Kernels}.
 */
public final class Int8Conv2d {
    private final ConvSpec spec;
    private final CodeType inType;
    private final int inZeroPoint;
    private final OutputStage stage;
    private final Int8KernelSupport.ConvKernel kernel;
    private final String note;
    private final boolean pooled;

    Int8Conv2d(ConvSpec spec, CodeType inType, int inZeroPoint, OutputStage stage, Int8KernelSupport.ConvKernel kernel, String note) {
        this(spec, inType, inZeroPoint, stage, kernel, note, false);
    }

    private Int8Conv2d(ConvSpec spec, CodeType inType, int inZeroPoint, OutputStage stage, Int8KernelSupport.ConvKernel kernel, String note,
            boolean pooled) {
        this.pooled = pooled;
        this.spec = spec;
        this.inType = inType;
        this.inZeroPoint = inZeroPoint;
        this.stage = stage;
        this.kernel = kernel;
        this.note = note;
    }

    public ConvSpec spec() { return spec; }
    public CodeType inType() { return inType; }
    public int inZeroPoint() { return inZeroPoint; }
    public OutputStage stage() { return stage; }

    /** Whether a 2×2 stride-2 max pool is fused after the output stage ({@link #withMaxPool2x2()}). */
    public boolean pooled() { return pooled; }

    /** Output height: {@code spec.outHeight()}, halved (floor) when pooled. */
    public int outHeight() { return pooled ? spec.outHeight() / 2 : spec.outHeight(); }

    /** Output width: {@code spec.outWidth()}, halved (floor) when pooled. */
    public int outWidth() { return pooled ? spec.outWidth() / 2 : spec.outWidth(); }

    /** Output codes per image. */
    public long outputSize() { return (long) spec.outChannels() * outHeight() * outWidth(); }

    /**
     * This convolution followed by a 2×2 stride-2 max pool (no padding, floor), fused: the same codes as
     * running the two in turn, with one requantization per window instead of four. Null when the kernels do
     * not fuse this layer (the scalar kernels never do; the Panama ones need a single-multiplier output
     * stage, i.e. no LeakyReLU, since only then does requantization commute with max).
     */
    public Int8Conv2d withMaxPool2x2() {
        if (pooled) return null;
        Int8KernelSupport.ConvKernel k = kernel.withMaxPool2x2();
        return k == null ? null : new Int8Conv2d(spec, inType, inZeroPoint, stage, k, note, true);
    }

    /** The code path that runs, e.g. {@code "panama direct 4×32"}; says when the layer fell back to scalar. */
    public String path() { return kernel.path() + note; }

    /** For {@link Scratch#reserve(Int8KernelSupport.Kernel, int)}. */
    public Int8KernelSupport.Kernel kernel() { return kernel; }

    /** Runs the whole batch on the calling thread; {@code scratch} must be reserved for this layer and batch. */
    public void run(byte[] in, int inOff, int batch, byte[] out, int outOff, Scratch scratch) {
        check(in, inOff, batch, out, outOff, scratch);
        for (int phase = 0; phase < kernel.phases(); phase++) {
            kernel.run(phase, in, inOff, batch, out, outOff, scratch.shared(), scratch.ints(0), scratch.bytes(0), 0, 1);
        }
    }

    void check(byte[] in, int inOff, int batch, byte[] out, int outOff, Scratch scratch) {
        if (batch < 1) throw new IllegalArgumentException(spec + ": batch must be ≥ 1, got " + batch);
        Int8Kernels.checkRange(in, inOff, (long) batch * spec.inputSize(), spec, " input");
        Int8Kernels.checkRange(out, outOff, (long) batch * outputSize(), spec, " output");
        if (scratch.shared().length < kernel.sharedInts(batch) || scratch.ints(0).length < kernel.localInts(batch)
                || scratch.bytes(0).length < kernel.localBytes(batch)) {
            throw new IllegalArgumentException(spec + ": scratch too small for batch " + batch + "; call scratch.reserve(conv.kernel(), "
                    + batch + ") once before running");
        }
    }

    /** One phase of one worker's share (for executors that run intra-op threads); arguments as checked by {@link #check}. */
    void runPart(int phase, byte[] in, int inOff, int batch, byte[] out, int outOff, Scratch scratch, int worker, int workers) {
        kernel.run(phase, in, inOff, batch, out, outOff, scratch.shared(), scratch.ints(worker), scratch.bytes(worker), worker, workers);
    }

    @Override public String toString() { return "Int8Conv2d[" + spec + (pooled ? " + max-pool 2" : "") + ", " + path() + "]"; }
}
