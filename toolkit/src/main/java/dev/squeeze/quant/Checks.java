package dev.squeeze.quant;

import dev.squeeze.ir.QScheme;
import java.util.Objects;

/** Argument checks shared by the observers. */
final class Checks {
    private Checks() {}

    /**
     * Checks bounds and that every value in {@code values[off .. off+len)} is finite.
     *
     * @throws IllegalArgumentException naming the observer, the value and its index
     */
    static void finite(String observer, float[] values, int off, int len) {
        Objects.checkFromIndexSize(off, len, values.length);
        for (int i = off; i < off + len; i++) {
            float v = values[i];
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException(observer + ": cannot calibrate on non-finite value " + v
                        + " at index " + i + "; check the inputs and the layers before this one for overflow");
            }
        }
    }

    static void perTensor(String observer, QScheme scheme) {
        if (scheme.perChannel()) {
            throw new IllegalArgumentException(observer + " observes whole tensors; scheme " + scheme
                    + " is per-channel: use PerChannelMinMaxObserver.channelParams");
        }
    }

    static IllegalStateException empty(String observer) {
        return new IllegalStateException(observer + ": no values observed yet; run calibration data through it first");
    }

    static double percentile(String owner, double percentile) {
        if (!(percentile > 50 && percentile <= 100)) {
            throw new IllegalArgumentException(owner + ".percentile must be in (50, 100], got " + percentile);
        }
        return percentile;
    }
}
