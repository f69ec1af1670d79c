package dev.squeeze.ir;

/**
 * The integer grid a tensor is quantized onto: bit width, symmetric or asymmetric (affine) mapping,
 * signed or unsigned integer range, per-tensor or per-channel granularity, and optionally the
 * "narrow" range that drops the most negative code.
 *
 * <p>Integer range ({@code b = bits}):
 * <pre>
 *   signed:    qmin = -2^(b-1) (+1 if narrowRange)   qmax = 2^(b-1) - 1
 *   unsigned:  qmin = 0        (+1 if narrowRange)   qmax = 2^b - 1
 * </pre>
 * int8 symmetric is {@code [-128, 127]} like PyTorch's {@code qint8}; with {@code narrowRange} it is
 * {@code [-127, 127]} like TensorRT and TFLite weights, so that the grid is exactly symmetric and
 * scale = amax / 127.
 *
 * <p>How a float range becomes scale and zero point for each kind of scheme is specified in
 * {@link QuantParams#fromRange(float, float, QScheme)}.
 *
 * @param bits bit width, 1–8
 * @param symmetric true: zero point fixed (0 signed, 2^(b-1) unsigned), scale from max|x|; false:
 *     affine, scale and zero point from [min, max]
 * @param signed true: signed integer range; false: unsigned
 * @param perChannel true: one scale/zero point per output channel (axis 0 of a weight); false: one
 *     per tensor
 * @param narrowRange true: qmin raised by one (needs bits ≥ 2)
 */
public record QScheme(int bits, boolean symmetric, boolean signed, boolean perChannel, boolean narrowRange) {

    /** quint8 affine per tensor: PyTorch's default activation scheme ({@code torch.per_tensor_affine}). */
    public static final QScheme PER_TENSOR_AFFINE = new QScheme(8, false, false, false, false);
    /** qint8 symmetric per tensor ({@code torch.per_tensor_symmetric}, range [-128, 127]). */
    public static final QScheme PER_TENSOR_SYMMETRIC = new QScheme(8, true, true, false, false);
    /** qint8 symmetric per channel ({@code torch.per_channel_symmetric}): fbgemm/x86 weights. */
    public static final QScheme PER_CHANNEL_SYMMETRIC = new QScheme(8, true, true, true, false);
    /** qint8 affine per channel ({@code torch.per_channel_affine}). */
    public static final QScheme PER_CHANNEL_AFFINE = new QScheme(8, false, true, true, false);

    public QScheme {
        if (bits < 1 || bits > 8) {
            throw new IllegalArgumentException("QScheme.bits must be in [1, 8], got " + bits);
        }
        if (narrowRange && bits < 2) {
            throw new IllegalArgumentException("QScheme.narrowRange needs bits ≥ 2 (a 1-bit narrow range has a"
                    + " single code), got bits " + bits);
        }
    }

    /** Symmetric per-tensor scheme with the given width and sign. */
    public static QScheme symmetric(int bits, boolean signed) {
        return new QScheme(bits, true, signed, false, false);
    }

    /** Asymmetric (affine) per-tensor scheme with the given width and sign. */
    public static QScheme affine(int bits, boolean signed) {
        return new QScheme(bits, false, signed, false, false);
    }

    /** Smallest integer code. */
    public int qmin() {
        int base = signed ? -(1 << (bits - 1)) : 0;
        return narrowRange ? base + 1 : base;
    }

    /** Largest integer code. */
    public int qmax() {
        return signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
    }

    /** Number of codes, {@code qmax - qmin + 1}. */
    public int levels() { return qmax() - qmin() + 1; }

    /**
     * The zero point of a symmetric scheme: 0 when signed, 2^(b-1) when unsigned (128 for uint8 as in
     * PyTorch), so the unsigned grid is the signed grid shifted by 2^(b-1).
     */
    public int symmetricZeroPoint() { return signed ? 0 : 1 << (bits - 1); }

    public QScheme withBits(int newBits) { return new QScheme(newBits, symmetric, signed, perChannel, narrowRange); }
    public QScheme withPerChannel(boolean pc) { return new QScheme(bits, symmetric, signed, pc, narrowRange); }
    public QScheme withSigned(boolean s) { return new QScheme(bits, symmetric, s, perChannel, narrowRange); }
    public QScheme withNarrowRange(boolean n) { return new QScheme(bits, symmetric, signed, perChannel, n); }
    public QScheme withSymmetric(boolean s) { return new QScheme(bits, s, signed, perChannel, narrowRange); }

    @Override public String toString() {
        return (signed ? "int" : "uint") + bits + (symmetric ? " symmetric" : " affine")
                + (perChannel ? " per-channel" : " per-tensor") + (narrowRange ? " narrow" : "")
                + " [" + qmin() + ", " + qmax() + "]";
    }
}
