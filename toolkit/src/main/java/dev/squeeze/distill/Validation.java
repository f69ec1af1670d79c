package dev.squeeze.distill;

/** The range checks shared by the package; every message names the field and its valid range. */
final class Validation {
    private Validation() {}

    static void temperature(String field, double t) {
        if (!(t > 0) || !Double.isFinite(t)) {
            throw new IllegalArgumentException(field + " must be a finite number > 0 (valid range (0, ∞); 1 = plain softmax,"
                    + " Hinton et al. use 2–20), got " + t);
        }
    }

    static void unitInterval(String field, double v) {
        if (!(v >= 0 && v <= 1)) {
            throw new IllegalArgumentException(field + " must be in [0, 1] (the weight of the student's own loss; 1 − it goes"
                    + " to the distillation loss), got " + v);
        }
    }
}
