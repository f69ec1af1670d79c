package dev.squeeze.quant;

import dev.squeeze.ir.QScheme;
import dev.squeeze.ir.QuantParams;

/**
 * The clipping-threshold searches of {@link HistogramObserver}. Each search walks a list of candidate
 * ranges, scores how far the quantized distribution is from the float one, and keeps the best.
 *
 * The specification (candidates, scores, tie-breaking) is in {@link HistogramObserver}'s documentation.
 */
final class ClippingSearch {
    private ClippingSearch() {}

    static Clipping search(CalibrationMethod method, QScheme scheme, GrowingHistogram signed, GrowingHistogram abs) {
        if (!method.isSearch()) throw new IllegalArgumentException("ClippingSearch: " + method + " is not a search method");
        if (signed.binWidth() == 0) return new Clipping(0f, 0f, 0, 1); // only zeros seen
        return scheme.symmetric() ? symmetric(method, scheme, signed, abs) : affine(method, scheme, signed);
    }

    private static Clipping symmetric(CalibrationMethod method, QScheme scheme, GrowingHistogram signed,
                                      GrowingHistogram abs) {
        int levels = scheme.bits() >= 2 ? 1 << (scheme.bits() - 1) : 1;
        double w = abs.binWidth();
        double amax = abs.max();
        int n = (int) abs.occupiedTo() + 1;
        double[] p = abs.dense(0, n - 1);
        p[0] -= abs.exactZeros();
        Scorer scorer = new Scorer(method, scheme, signed, levels);
        int first = Math.min(minBins(method, scheme), n);
        double best = Double.POSITIVE_INFINITY;
        int bestI = n;
        int candidates = 0;
        for (int i = first; i <= n; i++) {
            double t = Math.min(i * w, amax);
            double s = scorer.score(p, 0, i - 1, (float) -t, (float) t);
            candidates++;
            if (s <= best) { // ties: the larger threshold
                best = s;
                bestI = i;
            }
        }
        float t = (float) Math.min(bestI * w, amax);
        return new Clipping(-t, t, best, candidates);
    }

    private static Clipping affine(CalibrationMethod method, QScheme scheme, GrowingHistogram signed) {
        int levels = scheme.qmax() - scheme.qmin();
        double w = signed.binWidth();
        long from = signed.occupiedFrom(), to = signed.occupiedTo();
        double[] p = signed.dense(from, to);
        int z = (int) -from; // index of bin 0
        p[z] -= signed.exactZeros();
        int n = p.length;
        int minBins = minBins(method, scheme);
        Scorer scorer = new Scorer(method, scheme, signed, levels);
        int l = 0, r = n - 1;
        double leftTail = 0, rightTail = 0;
        double best = Double.POSITIVE_INFINITY;
        int bestL = l, bestR = r, candidates = 0;
        while (true) {
            float lo = windowLo(signed, from + l), hi = windowHi(signed, from + r);
            double s = scorer.score(p, l, r, lo, hi);
            candidates++;
            if (s < best) { // ties: the earlier, wider window
                best = s;
                bestL = l;
                bestR = r;
            }
            boolean canL = l < z, canR = r > z;
            if (!(canL || canR) || r - l < minBins) break; // trimming would leave fewer than minBins bins
            double massL = leftTail + p[l], massR = rightTail + p[r];
            boolean trimLeft;
            if (!canR) trimLeft = true;
            else if (!canL) trimLeft = false;
            else if (massL != massR) trimLeft = massL < massR;
            else trimLeft = (z - l) > (r - z);
            if (trimLeft) {
                leftTail = massL;
                l++;
            } else {
                rightTail = massR;
                r--;
            }
        }
        float lo = windowLo(signed, from + bestL), hi = windowHi(signed, from + bestR);
        return new Clipping(lo, hi, best, candidates);
    }

    /** Lower edge of bin a, clamped to the observed minimum, and never above 0. */
    private static float windowLo(GrowingHistogram h, long a) {
        return (float) Math.min(0, Math.max(h.min(), a * h.binWidth()));
    }

    /** Upper edge of bin a, clamped to the observed maximum, and never below 0. */
    private static float windowHi(GrowingHistogram h, long a) {
        return (float) Math.max(0, Math.min(h.max(), (a + 1) * h.binWidth()));
    }

    private static int minBins(CalibrationMethod method, QScheme scheme) {
        return method == CalibrationMethod.MSE ? 1 : Math.max(2, 1 << (scheme.bits() - 1));
    }

    /** Scores one candidate window; reuses its buffers across candidates. */
    private static final class Scorer {
        final CalibrationMethod method;
        final QScheme scheme;
        final GrowingHistogram signed;
        final int levels;
        final double[] groupSum, groupNonEmpty;
        double[] pBuf = new double[0], qBuf = new double[0];

        Scorer(CalibrationMethod method, QScheme scheme, GrowingHistogram signed, int levels) {
            this.method = method;
            this.scheme = scheme;
            this.signed = signed;
            this.levels = levels;
            groupSum = new double[levels];
            groupNonEmpty = new double[levels];
        }

        /** Score of the window p[l..r] (divergences) or of the value range [lo, hi] (MSE). */
        double score(double[] p, int l, int r, float lo, float hi) {
            return method == CalibrationMethod.MSE ? mse(lo, hi) : divergence(p, l, r);
        }

        double divergence(double[] p, int l, int r) {
            int m = r - l + 1;
            if (pBuf.length < m) {
                pBuf = new double[m];
                qBuf = new double[m];
            }
            double[] pp = pBuf, qq = qBuf;
            double left = 0, right = 0;
            for (int k = 0; k < l; k++) left += p[k];
            for (int k = r + 1; k < p.length; k++) right += p[k];
            java.util.Arrays.fill(groupSum, 0);
            java.util.Arrays.fill(groupNonEmpty, 0);
            int groups = Math.min(levels, m);
            for (int k = 0; k < m; k++) {
                double v = p[l + k];
                pp[k] = v;
                int g = (int) ((long) k * groups / m);
                groupSum[g] += v;
                if (v > 0) groupNonEmpty[g]++;
            }
            pp[0] += left;
            pp[m - 1] += right;
            double pTotal = 0, qTotal = 0;
            for (int k = 0; k < m; k++) {
                int g = (int) ((long) k * groups / m);
                qq[k] = p[l + k] > 0 ? groupSum[g] / groupNonEmpty[g] : 0;
                pTotal += pp[k];
                qTotal += qq[k];
            }
            if (pTotal <= 0 || qTotal <= 0) return Double.POSITIVE_INFINITY;
            double sum = 0;
            for (int k = 0; k < m; k++) {
                double a = pp[k] / pTotal, b = qq[k] / qTotal;
                switch (method) {
                    case ENTROPY_KL -> {
                        if (a > 0) {
                            if (b == 0) return Double.POSITIVE_INFINITY;
                            sum += a * Math.log(a / b);
                        }
                    }
                    case SYMMETRIC_KL -> {
                        if (a > 0 && b == 0 || b > 0 && a == 0) return Double.POSITIVE_INFINITY;
                        if (a > 0) sum += 0.5 * (a - b) * Math.log(a / b); // (a ln(a/b) + b ln(b/a)) / 2
                    }
                    case JENSEN_SHANNON -> {
                        double mid = 0.5 * (a + b);
                        if (a > 0) sum += 0.5 * a * Math.log(a / mid);
                        if (b > 0) sum += 0.5 * b * Math.log(b / mid);
                    }
                    default -> throw new IllegalStateException(method.toString());
                }
            }
            return sum;
        }

        /** Expected squared error (times the count) of quantizing the x histogram with the params of [lo, hi]. */
        double mse(float lo, float hi) {
            QuantParams qp = QuantParams.fromRange(lo, hi, scheme);
            double s = qp.scale();
            int kLo = qp.qmin() - qp.zeroPoint(), kHi = qp.qmax() - qp.zeroPoint();
            double w = signed.binWidth();
            double min = signed.min(), max = signed.max();
            double err = 0;
            for (long a = signed.occupiedFrom(); a <= signed.occupiedTo(); a++) {
                double c = signed.count(a);
                if (a == 0) c -= signed.exactZeros();
                if (c <= 0) continue;
                double x0 = Math.max(min, a * w), x1 = Math.min(max, (a + 1) * w);
                err += c * meanSquaredError(x0, x1, s, kLo, kHi);
            }
            return err;
        }
    }

    /**
     * Mean of {@code (x − Q(x))²} for x uniform on [x0, x1], where {@code Q(x) = k·s} with
     * {@code k = clamp(round(x/s), kLo, kHi)}: integrated exactly over the pieces between the rounding
     * boundaries {@code (k ± 1/2)·s}. A degenerate interval is a point mass.
     */
    static double meanSquaredError(double x0, double x1, double s, int kLo, int kHi) {
        if (!(x1 > x0)) {
            double k = Math.max(kLo, Math.min(kHi, Math.floor(x0 / s + 0.5)));
            double d = x0 - k * s;
            return d * d;
        }
        double k = Math.max(kLo, Math.min(kHi, Math.floor(x0 / s + 0.5)));
        double u = x0, sum = 0;
        while (u < x1) {
            double edge = k < kHi ? (k + 0.5) * s : Double.POSITIVE_INFINITY;
            double v = Math.min(edge, x1);
            double rv = k * s;
            double du = u - rv, dv = v - rv;
            sum += (dv * dv * dv - du * du * du) / 3;
            u = v;
            k++;
        }
        return sum / (x1 - x0);
    }
}
