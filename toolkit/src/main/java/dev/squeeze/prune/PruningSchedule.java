package dev.squeeze.prune;

/**
 * When to prune during training and to what sparsity, by optimizer step: TF-MOT's
 * {@code ConstantSparsity} and {@code PolynomialDecay} (Zhu &amp; Gupta 2017, "To prune, or not to
 * prune"), with their formulas and their step conventions, so a schedule written for TF-MOT means the
 * same here.
 */
public sealed interface PruningSchedule {

    /** The target sparsity at {@code step} (0-based optimizer step). */
    double sparsityAt(long step);

    /** Whether masks are recomputed at {@code step}: inside [begin, end] (end −1: no end) and on the frequency. */
    boolean prunesAt(long step);

    /** The sparsity the schedule ends at. */
    double finalSparsity();

    /** TF-MOT's {@code ConstantSparsity(target, begin_step, end_step=-1, frequency=100)}. */
    static PruningSchedule constant(double target, long beginStep, long endStep, int frequency) {
        return new Constant(target, beginStep, endStep, frequency);
    }

    /**
     * TF-MOT's {@code PolynomialDecay(initial, final, begin_step, end_step, power=3, frequency=100)}:
     * {@code s(t) = final + (initial − final) · (1 − p)^power} with
     * {@code p = clamp((t − begin) / (end − begin), 0, 1)}.
     */
    static PruningSchedule polynomialDecay(double initialSparsity, double finalSparsity, long beginStep, long endStep, double power,
            int frequency) {
        return new PolynomialDecay(initialSparsity, finalSparsity, beginStep, endStep, power, frequency);
    }

    record Constant(double target, long beginStep, long endStep, int frequency) implements PruningSchedule {
        public Constant {
            checkSparsity("target", target);
            checkSteps(beginStep, endStep, frequency);
        }
        @Override public double sparsityAt(long step) { return target; }
        @Override public boolean prunesAt(long step) { return inRange(step, beginStep, endStep, frequency); }
        @Override public double finalSparsity() { return target; }
    }

    record PolynomialDecay(double initialSparsity, double finalSparsity, long beginStep, long endStep, double power, int frequency)
            implements PruningSchedule {
        public PolynomialDecay {
            checkSparsity("initialSparsity", initialSparsity);
            checkSparsity("finalSparsity", finalSparsity);
            checkSteps(beginStep, endStep, frequency);
            if (endStep < 0) throw new IllegalArgumentException("PolynomialDecay needs an endStep (the step where the final sparsity is reached), got " + endStep);
            if (!(power > 0)) throw new IllegalArgumentException("power must be > 0, got " + power);
        }
        @Override public double sparsityAt(long step) {
            double p = Math.min(1.0, Math.max(0.0, (double) (step - beginStep) / (endStep - beginStep)));
            return finalSparsity + (initialSparsity - finalSparsity) * Math.pow(1 - p, power);
        }
        @Override public boolean prunesAt(long step) { return inRange(step, beginStep, endStep, frequency); }
    }

    private static boolean inRange(long step, long begin, long end, int frequency) {
        return step >= begin && (end == -1 || step <= end) && (step - begin) % frequency == 0;
    }

    private static void checkSparsity(String field, double s) {
        if (!(s >= 0 && s < 1)) throw new IllegalArgumentException(field + " must be in [0, 1), got " + s);
    }

    private static void checkSteps(long begin, long end, int frequency) {
        if (begin < 0) throw new IllegalArgumentException("beginStep must be ≥ 0, got " + begin);
        if (end != -1 && end < begin) throw new IllegalArgumentException("endStep " + end + " is before beginStep " + begin + " (−1 means no end)");
        if (frequency <= 0) throw new IllegalArgumentException("frequency must be ≥ 1 step, got " + frequency);
    }
}
