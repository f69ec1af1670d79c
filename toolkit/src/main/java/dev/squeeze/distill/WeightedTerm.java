package dev.squeeze.distill;

/**
 * A distillation term and its weight in the distillation loss (Keras 3's {@code distillation_losses}
 * with {@code distillation_loss_weights}).
 *
 * @param term the loss term
 * @param weight ≥ 0 and finite
 */
public record WeightedTerm(DistillationTerm term, double weight) {
    public WeightedTerm {
        if (term == null) throw new IllegalArgumentException("WeightedTerm.term must not be null");
        if (!(weight >= 0) || !Double.isFinite(weight)) {
            throw new IllegalArgumentException("WeightedTerm.weight of '" + term.name() + "' must be finite and ≥ 0, got " + weight);
        }
    }

    @Override public String toString() { return weight + "·" + term.describe(); }
}
