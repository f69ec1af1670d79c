package dev.squeeze.train;

/**
 * Learning-rate schedules, as a function of the optimizer step (0-based) given the total number of
 * steps. Records so configs print and compare.
 */
public sealed interface LrSchedule {

    /** Learning rate at {@code step} of {@code totalSteps}; {@code stepsPerEpoch} for epoch-based schedules. */
    float at(float baseLr, int step, int totalSteps, int stepsPerEpoch);

    record Constant() implements LrSchedule {
        public float at(float lr, int step, int total, int perEpoch) { return lr; }
    }

    /** Multiply by {@code gamma} every {@code everyEpochs} epochs (PyTorch's StepLR). */
    record Step(int everyEpochs, float gamma) implements LrSchedule {
        public Step {
            if (everyEpochs < 1) throw new IllegalArgumentException("Step.everyEpochs must be ≥ 1, got " + everyEpochs);
            if (!(gamma > 0 && gamma <= 1)) throw new IllegalArgumentException("Step.gamma must be in (0, 1], got " + gamma);
        }
        public float at(float lr, int step, int total, int perEpoch) {
            return lr * (float) Math.pow(gamma, (step / Math.max(1, perEpoch)) / everyEpochs);
        }
    }

    /** Cosine annealing from the base rate to {@code minLr} over all steps (per step, not per epoch). */
    record Cosine(float minLr) implements LrSchedule {
        public float at(float lr, int step, int total, int perEpoch) {
            double t = Math.min(1.0, (double) step / Math.max(1, total));
            return (float) (minLr + (lr - minLr) * 0.5 * (1 + Math.cos(Math.PI * t)));
        }
    }

    /**
     * One-cycle (Smith 2018, PyTorch's OneCycleLR with cosine annealing): warm up from
     * {@code base/divFactor} to the base rate over the first {@code pctStart} of steps, then anneal to
     * {@code base/(divFactor·finalDivFactor)}.
     */
    record OneCycle(float pctStart, float divFactor, float finalDivFactor) implements LrSchedule {
        public OneCycle {
            if (!(pctStart > 0 && pctStart < 1)) throw new IllegalArgumentException("OneCycle.pctStart must be in (0, 1), got " + pctStart);
        }
        public static OneCycle standard() { return new OneCycle(0.3f, 25f, 1e4f); }
        public float at(float lr, int step, int total, int perEpoch) {
            double up = Math.max(1, pctStart * total);
            double start = lr / divFactor, end = start / finalDivFactor;
            if (step < up) return (float) cos(start, lr, step / up);
            return (float) cos(lr, end, Math.min(1.0, (step - up) / Math.max(1, total - up)));
        }
        private static double cos(double from, double to, double t) { return to + (from - to) * 0.5 * (1 + Math.cos(Math.PI * t)); }
    }

    static LrSchedule parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "constant", "none" -> new Constant();
            case "step" -> new Step(30, 0.1f);
            case "cosine" -> new Cosine(0f);
            case "one-cycle", "onecycle" -> OneCycle.standard();
            default -> throw new IllegalArgumentException("Unknown LR schedule '" + s + "'; choose constant, step, cosine or one-cycle");
        };
    }
}
