package dev.squeeze.exec;

/**
 * A fully connected layer packed for one kernel implementation (made by {@link Int8Kernels#linear}):
 * {@code [batch, in]} codes to {@code [batch, out]} codes. Immutable and thread-safe; each concurrent
 * call needs its own {@link Scratch}.
 */
public final class Int8Linear {
    private final int in, out;
    private final CodeType inType;
    private final int inZeroPoint;
    private final OutputStage stage;
    private final Int8KernelSupport.LinearKernel kernel;
    private final String note;

    Int8Linear(int in, int out, CodeType inType, int inZeroPoint, OutputStage stage, Int8KernelSupport.LinearKernel kernel, String note) {
        this.in = in;
        this.out = out;
        this.inType = inType;
        this.inZeroPoint = inZeroPoint;
        this.stage = stage;
        this.kernel = kernel;
        this.note = note;
    }

    public int inFeatures() { return in; }
    public int outFeatures() { return out; }
    public CodeType inType() { return inType; }
    public int inZeroPoint() { return inZeroPoint; }
    public OutputStage stage() { return stage; }
    public long macs() { return (long) in * out; }

    /** The code path that runs. */
    public String path() { return kernel.path() + note; }

    public Int8KernelSupport.Kernel kernel() { return kernel; }

    /** Runs the whole batch on the calling thread; {@code scratch} must be reserved for this layer and batch. */
    public void run(byte[] x, int inOff, int batch, byte[] y, int outOff, Scratch scratch) {
        check(x, inOff, batch, y, outOff, scratch);
        for (int phase = 0; phase < kernel.phases(); phase++) {
            kernel.run(phase, x, inOff, batch, y, outOff, scratch.shared(), scratch.ints(0), scratch.bytes(0), 0, 1);
        }
    }

    void check(byte[] x, int inOff, int batch, byte[] y, int outOff, Scratch scratch) {
        if (batch < 1) throw new IllegalArgumentException(this + ": batch must be ≥ 1, got " + batch);
        Int8Kernels.checkRange(x, inOff, (long) batch * in, this, " input");
        Int8Kernels.checkRange(y, outOff, (long) batch * out, this, " output");
        if (scratch.shared().length < kernel.sharedInts(batch) || scratch.ints(0).length < kernel.localInts(batch)
                || scratch.bytes(0).length < kernel.localBytes(batch)) {
            throw new IllegalArgumentException(this + ": scratch too small for batch " + batch + "; call scratch.reserve(linear.kernel(), "
                    + batch + ") once before running");
        }
    }

    void runPart(int phase, byte[] x, int inOff, int batch, byte[] y, int outOff, Scratch scratch, int worker, int workers) {
        kernel.run(phase, x, inOff, batch, y, outOff, scratch.shared(), scratch.ints(worker), scratch.bytes(worker), worker, workers);
    }

    @Override public String toString() { return "Int8Linear[" + in + "→" + out + ", " + path() + "]"; }
}
