package dev.squeeze.exec;

/**
 * Internal service interface behind {@link Int8Kernels}: one implementation per instruction set, as
 * Lucene's {@code VectorizationProvider}. Public only because the Panama implementation lives in
 * {@code dev.squeeze.exec.panama} (the one package allowed to import {@code jdk.incubator.vector});
 * use {@link Int8Kernels}, which checks every argument, instead of calling this directly.
 *
 * <p>Implementations trust their arguments (the facade validated them) and must produce exactly the
 * codes that the scalar definitions ({@link OutputStage#requantize}, {@link AddSpec#apply} and the
 * formulas on {@link Int8Kernels}) give, bit for bit.
 */
public interface Int8KernelSupport {

    /** One line naming the implementation and its vector shapes, e.g. {@code "panama: IntVector 512-bit (16 lanes) …"}. */
    String description();

    /** {@code "scalar"} or {@code "panama"}. */
    String name();

    /**
     * Packs a convolution (weights once, at load time). {@code weights} are the offset codes
     * {@code w − zp_w}, {@code [outChannels, inChannels/groups, k, k]} row-major; the facade passes only
     * weights in [−128, 127] to vectorized implementations.
     */
    ConvKernel conv(ConvSpec spec, CodeType inType, int inZeroPoint, int[] weights, int[] bias, OutputStage stage);

    /** Packs a fully connected layer; {@code weights} {@code [out, in]} offset codes. */
    LinearKernel linear(int in, int out, CodeType inType, int inZeroPoint, int[] weights, int[] bias, OutputStage stage);

    /** Max pooling over {@code planes} consecutive planes: see {@link Int8Kernels#maxPool}. */
    void maxPool(PoolSpec spec, CodeType type, byte[] in, int inOff, byte[] out, int outOff, int planes);

    /** See {@link Int8Kernels#avgPool}. */
    void avgPool(PoolSpec spec, CodeType type, int zeroPoint, byte[] in, int inOff, byte[] out, int outOff, int planes);

    /** See {@link Int8Kernels#globalAvgPool}. */
    void globalAvgPool(int plane, CodeType type, int zeroPoint, byte[] in, int inOff, byte[] out, int outOff, int planes);

    /** See {@link Int8Kernels#add}. */
    void add(AddSpec spec, byte[] a, int aOff, byte[] b, int bOff, byte[] out, int outOff, int count);

    /** See {@link Int8Kernels#activation}. */
    void activation(CodeType inType, int inZeroPoint, OutputStage stage, byte[] in, int inOff, byte[] out, int outOff, int count);

    /** See {@link Int8Kernels#quantize}. */
    void quantize(float[] in, int inOff, float inverseScale, int zeroPoint, int qmin, int qmax, byte[] out, int outOff, int count);

    /** See {@link Int8Kernels#requantize}. */
    void requantize(OutputStage stage, int channel, int[] acc, int accOff, byte[] out, int outOff, int count);

    /**
     * A packed op that may run in several workers. Contract: for each phase {@code 0 .. phases()−1} in
     * order, every worker {@code w ∈ [0, workers)} calls {@code run(phase, …, w, workers)} exactly once and
     * all calls of a phase finish before the next phase starts. A worker only writes its own local
     * arrays, its share of {@code out}, and (in phase 0) its share of {@code shared}.
     */
    interface Kernel {
        /** Ints shared by all workers for a batch of {@code batch}. */
        long sharedInts(int batch);
        /** Ints each worker needs. */
        long localInts(int batch);
        /** Bytes each worker needs. */
        long localBytes(int batch);
        /** Number of phases, 1 or 2. */
        int phases();
        /** A short text naming the code path, e.g. {@code "panama direct 4×32"}. */
        String path();
    }

    /** A packed convolution: {@code [batch, inChannels, H, W]} codes to {@code [batch, outChannels, H', W']} codes. */
    interface ConvKernel extends Kernel {
        void run(int phase, byte[] in, int inOff, int batch, byte[] out, int outOff, int[] shared, int[] local, byte[] localBytes,
                int worker, int workers);

        /**
         * This convolution with a 2×2 stride-2 max pool fused after its output stage, writing
         * {@code [batch, outChannels, H'/2, W'/2]}; the same codes as the two ops in turn. Null when the
         * implementation does not fuse this layer (the default).
         */
        default ConvKernel withMaxPool2x2() { return null; }
    }

    /** A packed fully connected layer: {@code [batch, in]} codes to {@code [batch, out]} codes. */
    interface LinearKernel extends Kernel {
        void run(int phase, byte[] in, int inOff, int batch, byte[] out, int outOff, int[] shared, int[] local, byte[] localBytes,
                int worker, int workers);
    }
}
