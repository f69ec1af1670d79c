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

    Int8Conv2d(ConvSpec spec, CodeType inType, int inZeroPoint, OutputStage stage, Int8KernelSupport.ConvKernel kernel, String note) {
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
        Int8Kernels.checkRange(out, outOff, (long) batch * spec.outputSize(), spec, " output");
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

    @Override public String toString() { return "Int8Conv2d[" + spec + ", " + path() + "]"; }
}
