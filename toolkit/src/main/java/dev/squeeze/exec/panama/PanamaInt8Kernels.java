package dev.squeeze.exec.panama;

import static dev.squeeze.exec.panama.Int16PairKernel.L;

import dev.squeeze.exec.AddSpec;
import dev.squeeze.exec.CodeType;
import dev.squeeze.exec.ConvSpec;
import dev.squeeze.exec.Int8KernelSupport;
import dev.squeeze.exec.OutputStage;
import dev.squeeze.exec.PoolSpec;

/**
 * The Vector API kernels. Loaded by name from {@code Int8Kernels} only when {@code jdk.incubator.vector}
 * is in the boot layer; this package is the only code in Squeeze that imports it (Lucene's isolation),
 * so the rest of the toolkit runs on any JDK without the flag.
 *
 * <p>Convolutions and fully connected layers run on the int16-pair micro-kernel of {@link Int16PairKernel}
 * ({@link PanamaConv}, {@link PanamaDepthwise}, {@link PanamaLinear}); residual add, stand-alone
 * activations and requantization are vectorized element-wise with the same requantization; the 2×2
 * stride-2 max pool runs on {@link PanamaPool}; the other pools (a small share of any network's time) use
 * the scalar kernels given to the constructor.
 */
public final class PanamaInt8Kernels implements Int8KernelSupport {
    private final Int8KernelSupport fallback;

    /**
     * @param fallback the scalar kernels, for pooling and for the tails shorter than a vector
     * @throws UnsupportedOperationException when the preferred vector is narrower than 256 bits
     */
    public PanamaInt8Kernels(Int8KernelSupport fallback) {
        if (!Int16PairKernel.supported()) {
            throw new UnsupportedOperationException("the preferred int vector is " + Int16PairKernel.IS.vectorBitSize()
                    + " bits; the Panama int8 kernels need at least 256 (AVX2)");
        }
        this.fallback = fallback;
    }

    @Override public String description() { return "panama: " + Int16PairKernel.describe(); }

    @Override public String name() { return "panama"; }

    @Override public ConvKernel conv(ConvSpec spec, CodeType inType, int inZeroPoint, int[] weights, int[] bias, OutputStage stage) {
        if (spec.groupInChannels() == 1 && spec.groups() > 1) return new PanamaDepthwise(spec, inType, inZeroPoint, weights, bias, stage);
        return new PanamaConv(spec, inType, inZeroPoint, weights, bias, stage);
    }

    @Override public LinearKernel linear(int in, int out, CodeType inType, int inZeroPoint, int[] weights, int[] bias, OutputStage stage) {
        return new PanamaLinear(in, out, inType, inZeroPoint, weights, bias, stage);
    }

    @Override public void quantize(float[] in, int inOff, float inv, int zp, int qmin, int qmax, byte[] out, int outOff, int count) {
        int vec = count / L * L;
        int done = Int16PairKernel.quantize(in, inOff, inv, zp, qmin, qmax, out, outOff, vec);
        if (done < vec) { // a vector holding a NaN: name it as the scalar kernel would
            for (int i = done; ; i++) {
                if (Float.isNaN(in[inOff + i])) throw new IllegalArgumentException("input value " + i + " is NaN; check the preprocessing");
            }
        }
        for (int i = vec; i < count; i++) {
            if (Float.isNaN(in[inOff + i])) throw new IllegalArgumentException("input value " + i + " is NaN; check the preprocessing");
        }
        fallback.quantize(in, inOff + vec, inv, zp, qmin, qmax, out, outOff + vec, count - vec);
    }

    @Override public void maxPool(PoolSpec spec, CodeType type, byte[] in, int inOff, byte[] out, int outOff, int planes) {
        if (!PanamaPool.maxPool(spec, type, in, inOff, out, outOff, planes)) fallback.maxPool(spec, type, in, inOff, out, outOff, planes);
    }

    @Override public void avgPool(PoolSpec spec, CodeType type, int zeroPoint, byte[] in, int inOff, byte[] out, int outOff, int planes) {
        fallback.avgPool(spec, type, zeroPoint, in, inOff, out, outOff, planes);
    }

    @Override public void globalAvgPool(int plane, CodeType type, int zeroPoint, byte[] in, int inOff, byte[] out, int outOff, int planes) {
        fallback.globalAvgPool(plane, type, zeroPoint, in, inOff, out, outOff, planes);
    }

    // Element-wise ops go through int chunks so that no vector crosses a method call (see Int16PairKernel).
    private static final int CHUNK = 512;
    private final ThreadLocal<int[]> chunks = ThreadLocal.withInitial(() -> new int[2 * CHUNK]);

    @Override public void add(AddSpec spec, byte[] a, int aOff, byte[] b, int bOff, byte[] out, int outOff, int count) {
        boolean au8 = spec.aType() == CodeType.UINT8, bu8 = spec.bType() == CodeType.UINT8;
        OutputStage st = spec.output();
        int vec = count / L * L;
        int[] buf = vec > 0 ? chunks.get() : null;
        for (int i = 0; i < vec; i += CHUNK) {
            int n = Math.min(CHUNK, vec - i);
            Int16PairKernel.centre(a, aOff + i, au8, spec.aZeroPoint(), spec.leftShift(), buf, 0, n);
            Int16PairKernel.rescale(buf, 0, n, spec.aMultiplier(), spec.aShift());
            Int16PairKernel.centre(b, bOff + i, bu8, spec.bZeroPoint(), spec.leftShift(), buf, CHUNK, n);
            Int16PairKernel.rescale(buf, CHUNK, n, spec.bMultiplier(), spec.bShift());
            Int16PairKernel.addInto(buf, 0, buf, CHUNK, n);
            Int16PairKernel.row(buf, 0, n, 0, st.multiplier(0), st.shift(0), st.negativeMultiplier(0), st.negativeShift(0), st.zeroPoint(), st.qmin(),
                    st.qmax(), out, outOff + i);
        }
        if (vec < count) fallback.add(spec, a, aOff + vec, b, bOff + vec, out, outOff + vec, count - vec);
    }

    @Override public void activation(CodeType inType, int inZeroPoint, OutputStage st, byte[] in, int inOff, byte[] out, int outOff,
            int count) {
        boolean u8 = inType == CodeType.UINT8;
        int vec = count / L * L;
        int[] buf = vec > 0 ? chunks.get() : null;
        for (int i = 0; i < vec; i += CHUNK) {
            int n = Math.min(CHUNK, vec - i);
            Int16PairKernel.centre(in, inOff + i, u8, inZeroPoint, 0, buf, 0, n);
            Int16PairKernel.row(buf, 0, n, 0, st.multiplier(0), st.shift(0), st.negativeMultiplier(0), st.negativeShift(0), st.zeroPoint(), st.qmin(),
                    st.qmax(), out, outOff + i);
        }
        if (vec < count) fallback.activation(inType, inZeroPoint, st, in, inOff + vec, out, outOff + vec, count - vec);
    }

    @Override public void requantize(OutputStage st, int c, int[] acc, int accOff, byte[] out, int outOff, int count) {
        int vec = count / L * L;
        Int16PairKernel.row(acc, accOff, vec, 0, st.multiplier(c), st.shift(c), st.negativeMultiplier(c), st.negativeShift(c), st.zeroPoint(), st.qmin(),
                st.qmax(), out, outOff);
        if (vec < count) fallback.requantize(st, c, acc, accOff + vec, out, outOff + vec, count - vec);
    }
}
