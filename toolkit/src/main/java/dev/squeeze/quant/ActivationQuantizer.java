package dev.squeeze.quant;

import ai.djl.ndarray.NDArray;
import dev.squeeze.ir.Activation;
import dev.squeeze.ir.FusedOp;
import dev.squeeze.ir.QScheme;
import dev.squeeze.ir.QuantParams;

/**
 * The fake-quantization point on one activation tensor (the output of one {@link FusedOp}, or the
 * model input): an observer that learns the range, and the quantize–dequantize that simulates int8
 * in float. Gradients use the straight-through estimator: they pass unchanged where the input lies
 * inside the representable range and are zero outside it (the clipped region), as in PyTorch's
 * {@code FakeQuantize}.
 */
public final class ActivationQuantizer {

    /** What the quantizer does on a forward pass. */
    public enum Mode {
        /** Pass through untouched. */
        OFF,
        /** Record statistics, pass through (post-training calibration). */
        OBSERVE,
        /** QAT: while training, observe the batch then fake-quantize with the updated range; in evaluation, fake-quantize only. */
        QAT,
        /** Fake-quantize with the frozen range. */
        QUANTIZE,
        /** Fake-quantize each batch with its own min/max range (dynamic quantization). */
        DYNAMIC
    }

    private final int opId;
    private final String label;
    private final QScheme scheme;
    private final RangeObserver observer;
    private Mode mode = Mode.OFF;
    private QuantParams frozen;

    ActivationQuantizer(int opId, String label, QScheme scheme, RangeObserver observer) {
        this.opId = opId;
        this.label = label;
        this.scheme = scheme;
        this.observer = observer;
    }

    /** -1 for the model input, else the id of the {@link FusedOp} whose output this is. */
    public int opId() { return opId; }
    public String label() { return label; }
    public RangeObserver observer() { return observer; }
    public Mode mode() { return mode; }
    public QScheme scheme() { return scheme; }

    void setMode(Mode mode) { this.mode = mode; }

    /** DataFixHints the range from what the observer has seen (after calibration or QAT). */
    void freeze() {
        frozen = params();
        mode = Mode.QUANTIZE;
    }

    /**
     * The quantization parameters now in force.
     *
     * @throws IllegalStateException when nothing was ever observed, naming the layer and the missing call
     */
    public QuantParams params() {
        if (frozen != null) return frozen;
        if (observer.count() == 0) {
            throw new IllegalStateException("Activation '" + label + "' (op " + opId + ") was never calibrated: call "
                    + "Quantization.calibrate(...) with calibration data, or train the prepareQat(...) network, before convert()");
        }
        return observer.params(scheme);
    }

    public boolean calibrated() { return frozen != null || observer.count() > 0; }

    NDArray apply(NDArray x, boolean training) {
        return switch (mode) {
            case OFF -> x;
            case OBSERVE -> {
                observe(x);
                yield x;
            }
            case QAT -> {
                if (training) {
                    frozen = null;
                    observe(x);
                }
                yield fakeQuantize(x, params());
            }
            case QUANTIZE -> fakeQuantize(x, params());
            case DYNAMIC -> {
                float lo = x.min().getFloat(), hi = x.max().getFloat();
                yield fakeQuantize(x, QuantParams.fromRange(lo, hi, scheme));
            }
        };
    }

    /**
     * Min/max observers only need the batch's extremes: reduce them in libtorch and hand over two
     * floats instead of copying the whole activation to the heap on every training step. Histogram
     * observers need every value.
     */
    private void observe(NDArray x) {
        if (observer instanceof MinMaxObserver || observer instanceof MovingAverageMinMaxObserver) {
            observer.observe(new float[] {x.min().getFloat(), x.max().getFloat()});
        } else {
            observer.observe(x.toFloatArray());
        }
    }

    /**
     * {@code clip(x) + stopGradient(q(x) − clip(x))} where {@code q(x) = (clamp(round(x/s) + zp) − zp)·s}.
     * Forward value: the quantize–dequantize; backward: identity inside [lo, hi], zero outside.
     */
    static NDArray fakeQuantize(NDArray x, QuantParams p) {
        float s = p.scale();
        int zp = p.zeroPoint();
        float lo = (p.qmin() - zp) * s, hi = (p.qmax() - zp) * s;
        NDArray clipped = x.clip(lo, hi);
        NDArray q = x.mul(1f / s).round().add(zp).clip(p.qmin(), p.qmax()).sub(zp).mul(s); // 1/s: as QuantParams.quantize
        return clipped.add(q.sub(clipped).stopGradient());
    }

    @Override public String toString() {
        return label + " [" + mode + (calibrated() ? ", " + params() : ", not calibrated") + "]";
    }
}
