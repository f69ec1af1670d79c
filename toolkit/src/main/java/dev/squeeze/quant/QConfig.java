package dev.squeeze.quant;

import dev.squeeze.ir.Activation;
import dev.squeeze.ir.FusedGraph;
import dev.squeeze.ir.FusedOp;
import dev.squeeze.ir.QScheme;
import dev.squeeze.ir.WeightMethod;

/**
 * What to quantize how: the weight and activation grids, the weight method, and how activations are
 * calibrated. Immutable; build with {@link #builder()} or start from a preset.
 *
 * <pre>{@code
 * QConfig cfg = QConfig.builder()
 *         .optWeightBits(4)
 *         .optPerChannelWeights(true)
 *         .optActivationScheme(QScheme.PER_TENSOR_AFFINE)
 *         .optCalibration(CalibrationMethod.PERCENTILE)
 *         .optPercentile(99.99)
 *         .build();
 * }</pre>
 *
 * @param weightScheme weight grid (bit width and granularity included)
 * @param activationScheme activation grid, per-tensor
 * @param weightMethod uniform grid, ternary or binary
 * @param calibration activation calibration method
 * @param percentile for {@link CalibrationMethod#PERCENTILE}, in (50, 100]
 * @param averagingConstant for {@link CalibrationMethod#MOVING_AVERAGE_MIN_MAX}, in (0, 1]
 * @param overrides per-node weight settings, node name ({@code layer1.0.conv1}, see {@link FusedGraph}) →
 *     the config whose weight scheme and method that conv or linear node uses; empty by default
 *     ({@link #withOverride})
 * @param activationOverrides per-node output settings, node name → the config whose activation scheme (bit width,
 *     symmetric or affine), calibration method, percentile and averaging constant that conv or linear node's output
 *     is observed and quantized with; empty by default ({@link #withActivationOverride})
 */
public record QConfig(QScheme weightScheme, QScheme activationScheme, WeightMethod weightMethod,
                      CalibrationMethod calibration, double percentile, float averagingConstant,
                      java.util.Map<String, QConfig> overrides, java.util.Map<String, QConfig> activationOverrides) {

    /** A configuration without per-node overrides. */
    public QConfig(QScheme weightScheme, QScheme activationScheme, WeightMethod weightMethod,
                   CalibrationMethod calibration, double percentile, float averagingConstant) {
        this(weightScheme, activationScheme, weightMethod, calibration, percentile, averagingConstant, java.util.Map.of());
    }

    /** A configuration with per-node weight overrides only. */
    public QConfig(QScheme weightScheme, QScheme activationScheme, WeightMethod weightMethod,
                   CalibrationMethod calibration, double percentile, float averagingConstant,
                   java.util.Map<String, QConfig> overrides) {
        this(weightScheme, activationScheme, weightMethod, calibration, percentile, averagingConstant, overrides, java.util.Map.of());
    }

    public QConfig {
        overrides = checkedOverrides("overrides", overrides);
        activationOverrides = checkedOverrides("activationOverrides", activationOverrides);
        if (weightScheme == null) throw new IllegalArgumentException("QConfig.weightScheme must not be null");
        if (activationScheme == null) throw new IllegalArgumentException("QConfig.activationScheme must not be null");
        if (weightMethod == null) throw new IllegalArgumentException("QConfig.weightMethod must not be null");
        if (calibration == null) throw new IllegalArgumentException("QConfig.calibration must not be null");
        if (activationScheme.perChannel()) {
            throw new IllegalArgumentException("QConfig.activationScheme must be per-tensor (activation observers"
                    + " observe whole tensors), got " + activationScheme);
        }
        Checks.percentile("QConfig", percentile);
        if (!(averagingConstant > 0 && averagingConstant <= 1)) {
            throw new IllegalArgumentException("QConfig.averagingConstant must be in (0, 1], got " + averagingConstant);
        }
        if (weightMethod == WeightMethod.TERNARY && weightScheme.bits() != 2) {
            throw new IllegalArgumentException("QConfig.weightBits must be 2 for weightMethod TERNARY, got "
                    + weightScheme.bits());
        }
        if (weightMethod == WeightMethod.BINARY && weightScheme.bits() != 1) {
            throw new IllegalArgumentException("QConfig.weightBits must be 1 for weightMethod BINARY, got "
                    + weightScheme.bits());
        }
    }

    /**
     * This configuration with conv or linear node {@code node} ({@code layer1.0.conv1}) quantizing its
     * weights with {@code nodeConfig}'s weight scheme and method (e.g. per-tensor, or 4 bits) in QAT,
     * calibration and int8 conversion; activations keep this configuration's settings. A node named
     * twice keeps the last. Node names are checked against the model when it is quantized.
     *
     * <pre>{@code QConfig.x86().withOverride("layer1.0.conv1", QConfig.qnnpack())}</pre>
     */
    public QConfig withOverride(String node, QConfig nodeConfig) {
        if (node == null || node.isBlank()) throw new IllegalArgumentException("QConfig.withOverride: node name must not be blank");
        if (nodeConfig == null) throw new IllegalArgumentException("QConfig.withOverride: the config for '" + node + "' must not be null");
        java.util.Map<String, QConfig> o = new java.util.TreeMap<>(overrides);
        o.put(node, nodeConfig.forNode(node)); // a config with overrides of its own gives this node's settings
        return new QConfig(weightScheme, activationScheme, weightMethod, calibration, percentile, averagingConstant, o,
                activationOverrides);
    }

    /**
     * This configuration with the output of conv or linear node {@code node} ({@code layer1.0.conv1}: the op's
     * output after its fused activation) observed and quantized with {@code nodeConfig}'s activation scheme (bit
     * width, symmetric or affine), calibration method, percentile and averaging constant, in calibration, QAT,
     * dynamic quantization and int8 conversion; its weights and every other output keep their settings. As in the
     * whole-model case, QAT observes with a moving-average min/max (the node's averaging constant) whatever the
     * calibration method. The ops that keep their input's grid (pools, flatten, slice, shuffle) carry the new grid
     * on; the next op requantizes from it. A node named twice keeps the last.
     *
     * <pre>{@code QConfig.x86().withActivationOverride("fc", QConfig.builder().optActivationBits(6).build())}</pre>
     */
    public QConfig withActivationOverride(String node, QConfig nodeConfig) {
        if (node == null || node.isBlank()) {
            throw new IllegalArgumentException("QConfig.withActivationOverride: node name must not be blank");
        }
        if (nodeConfig == null) {
            throw new IllegalArgumentException("QConfig.withActivationOverride: the config for '" + node + "' must not be null");
        }
        java.util.Map<String, QConfig> o = new java.util.TreeMap<>(activationOverrides);
        o.put(node, nodeConfig.forNodeOutput(node));
        return new QConfig(weightScheme, activationScheme, weightMethod, calibration, percentile, averagingConstant, overrides, o);
    }

    /** This configuration without per-node overrides. */
    private QConfig plain() {
        return overrides.isEmpty() && activationOverrides.isEmpty() ? this
                : new QConfig(weightScheme, activationScheme, weightMethod, calibration, percentile, averagingConstant);
    }

    /** The configuration node {@code node} quantizes its weights with: its override's weight settings, or this one's. */
    public QConfig forNode(String node) {
        QConfig o = overrides.get(node);
        if (o == null) return plain();
        return new QConfig(o.weightScheme(), activationScheme, o.weightMethod(), calibration, percentile, averagingConstant);
    }

    /**
     * The configuration op {@code node}'s output is observed and quantized with: its activation override's
     * activation scheme, calibration, percentile and averaging constant, or this one's ({@code "input"} for the
     * model input, which has no override).
     */
    public QConfig forNodeOutput(String node) {
        QConfig o = activationOverrides.get(node);
        if (o == null) return plain();
        return new QConfig(weightScheme, o.activationScheme(), weightMethod, o.calibration(), o.percentile(), o.averagingConstant());
    }

    private static java.util.Map<String, QConfig> checkedOverrides(String field, java.util.Map<String, QConfig> overrides) {
        if (overrides == null) throw new IllegalArgumentException("QConfig." + field + " must not be null (empty for none)");
        for (java.util.Map.Entry<String, QConfig> e : overrides.entrySet()) {
            if (e.getValue() == null || !e.getValue().overrides().isEmpty() || !e.getValue().activationOverrides().isEmpty()) {
                throw new IllegalArgumentException("QConfig." + field + ": the config for node '" + e.getKey()
                        + "' must be non-null and have no overrides of its own, got " + e.getValue());
            }
        }
        return java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(overrides));
    }

    /**
     * @throws IllegalArgumentException when an override names no conv or linear op of {@code graph}, listing the valid names
     */
    public void checkNodes(FusedGraph graph) {
        java.util.List<String> valid = graph.flatOps().stream().filter(op -> op instanceof FusedOp.Conv || op instanceof FusedOp.Dense)
                .map(op -> graph.nodeName(op.id())).toList();
        for (String node : overrides.keySet()) {
            if (!valid.contains(node)) {
                throw new IllegalArgumentException("QConfig override for node '" + node + "': " + graph.source().name()
                        + " has no conv or linear node of that name; its conv and linear nodes are " + valid);
            }
        }
        for (String node : activationOverrides.keySet()) {
            if (!valid.contains(node)) {
                throw new IllegalArgumentException("QConfig activation override for node '" + node + "': " + graph.source().name()
                        + " has no conv or linear node of that name (outputs of other ops follow their input's grid or the"
                        + " whole-model settings); its conv and linear nodes are " + valid);
            }
        }
    }

    public int weightBits() { return weightScheme.bits(); }
    public int activationBits() { return activationScheme.bits(); }
    public boolean perChannelWeights() { return weightScheme.perChannel(); }

    public static Builder builder() { return new Builder(); }

    /** A builder holding this configuration. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.weightScheme = weightScheme;
        b.activationScheme = activationScheme;
        b.weightMethod = weightMethod;
        b.calibration = calibration;
        b.percentile = percentile;
        b.averagingConstant = averagingConstant;
        b.overrides = overrides;
        b.activationOverrides = activationOverrides;
        return b;
    }

    /**
     * fbgemm/x86-like (PyTorch's {@code get_default_qconfig("x86")}): weights int8 symmetric
     * per-channel [-128, 127], activations uint8 affine per-tensor, histogram calibration by MSE
     * (PyTorch's HistogramObserver minimises the L2 quantization error). Unlike PyTorch, activations
     * keep the full 8 bits ({@code reduce_range=False}): the 7-bit reduction only avoids int16
     * saturation in x86 {@code vpmaddubsw}, which an int32-accumulating executor does not have.
     * These are also the builder's defaults.
     */
    public static QConfig x86() { return builder().build(); }

    /**
     * QNNPACK-like (PyTorch's {@code get_default_qconfig("qnnpack")}): weights int8 symmetric
     * per-tensor, activations uint8 affine, MSE histogram calibration.
     */
    public static QConfig qnnpack() {
        return builder().optWeightScheme(QScheme.PER_TENSOR_SYMMETRIC).build();
    }

    /**
     * TensorRT-like entropy calibration: int8 symmetric narrow range [-127, 127] for weights
     * (per-channel, max-based) and activations (per-tensor), activation thresholds by KL divergence.
     */
    public static QConfig tensorrtEntropy() {
        return builder()
                .optWeightScheme(new QScheme(8, true, true, true, true))
                .optActivationScheme(new QScheme(8, true, true, false, true))
                .optCalibration(CalibrationMethod.ENTROPY_KL)
                .build();
    }

    /** 4-bit weights, int4 symmetric per-channel [-8, 7]; activations as {@link #x86()}. */
    public static QConfig int4Weights() { return builder().optWeightBits(4).build(); }

    /**
     * Ternary weights (TWN, α per output channel); the weight scheme is the 2-bit narrow symmetric
     * grid [-1, 1]. Activations as {@link #x86()}.
     */
    public static QConfig ternaryWeights() {
        return builder().optWeightMethod(WeightMethod.TERNARY)
                .optWeightScheme(new QScheme(2, true, true, true, true)).build();
    }

    /**
     * Binary weights (XNOR-Net, α = mean|w| per output channel); the weight scheme only records 1 bit
     * per channel, the codes come from {@link LowBitQuantizer#binarize}. Activations as {@link #x86()}.
     */
    public static QConfig binaryWeights() {
        return builder().optWeightMethod(WeightMethod.BINARY).optWeightBits(1).build();
    }

    @Override public String toString() {
        return "QConfig[weights " + weightScheme + (weightMethod == WeightMethod.UNIFORM ? "" : " " + weightMethod)
                + ", activations " + activationScheme + ", calibration " + calibration
                + (calibration == CalibrationMethod.PERCENTILE ? " " + percentile : "")
                + (calibration == CalibrationMethod.MOVING_AVERAGE_MIN_MAX ? " c=" + averagingConstant : "")
                + (overrides.isEmpty() ? "" : ", overrides " + overridesText())
                + (activationOverrides.isEmpty() ? "" : ", activation overrides " + activationOverridesText()) + "]";
    }

    private String activationOverridesText() {
        StringBuilder b = new StringBuilder("{");
        activationOverrides.forEach((n, c) -> b.append(b.length() > 1 ? ", " : "").append(n).append(": activations ")
                .append(c.activationScheme()).append(", calibration ").append(c.calibration()));
        return b.append("}").toString();
    }

    private String overridesText() {
        StringBuilder b = new StringBuilder("{");
        overrides.forEach((n, c) -> b.append(b.length() > 1 ? ", " : "").append(n).append(": weights ").append(c.weightScheme())
                .append(c.weightMethod() == WeightMethod.UNIFORM ? "" : " " + c.weightMethod()));
        return b.append("}").toString();
    }

    /**
     * Builder for {@link QConfig}. Every field is optional (defaults are {@link QConfig#x86()}).
     * {@code optWeightBits}/{@code optActivationBits}/{@code optPerChannelWeights}, when called,
     * override the bit width / granularity of the corresponding scheme whatever the call order.
     * {@link #build()} validates and names the offending field and its allowed range.
     */
    public static final class Builder {
        private QScheme weightScheme = QScheme.PER_CHANNEL_SYMMETRIC;
        private QScheme activationScheme = QScheme.PER_TENSOR_AFFINE;
        private Integer weightBits, activationBits;
        private Boolean perChannelWeights;
        private WeightMethod weightMethod = WeightMethod.UNIFORM;
        private CalibrationMethod calibration = CalibrationMethod.MSE;
        private double percentile = RangeObserver.DEFAULT_PERCENTILE;
        private float averagingConstant = RangeObserver.DEFAULT_AVERAGING_CONSTANT;
        private java.util.Map<String, QConfig> overrides = java.util.Map.of();
        private java.util.Map<String, QConfig> activationOverrides = java.util.Map.of();

        Builder() {}

        /** Weight bit width, 1–8 (default: the weight scheme's, 8). */
        public Builder optWeightBits(int bits) { weightBits = bits; return this; }

        /** Activation bit width, 1–8 (default: the activation scheme's, 8). */
        public Builder optActivationBits(int bits) { activationBits = bits; return this; }

        /** Weight grid (default int8 symmetric per-channel). */
        public Builder optWeightScheme(QScheme scheme) { weightScheme = scheme; return this; }

        /** Activation grid, per-tensor (default uint8 affine). */
        public Builder optActivationScheme(QScheme scheme) { activationScheme = scheme; return this; }

        /** One scale per output channel for weights (default: the weight scheme's, true). */
        public Builder optPerChannelWeights(boolean perChannel) { perChannelWeights = perChannel; return this; }

        /** Uniform grid, ternary or binary weights (default UNIFORM). */
        public Builder optWeightMethod(WeightMethod method) { weightMethod = method; return this; }

        /** Activation calibration (default MSE). */
        public Builder optCalibration(CalibrationMethod method) { calibration = method; return this; }

        /** Percentile for PERCENTILE calibration, in (50, 100] (default 99.99). */
        public Builder optPercentile(double p) { percentile = p; return this; }

        /** Averaging constant for MOVING_AVERAGE_MIN_MAX, in (0, 1] (default 0.01). */
        public Builder optAveragingConstant(float c) { averagingConstant = c; return this; }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException naming the field, its allowed values and the value given
         */
        public QConfig build() {
            if (weightScheme == null) throw new IllegalArgumentException("QConfig.weightScheme must not be null");
            if (activationScheme == null) throw new IllegalArgumentException("QConfig.activationScheme must not be null");
            int wb = weightBits != null ? weightBits : weightScheme.bits();
            int ab = activationBits != null ? activationBits : activationScheme.bits();
            checkBits("weightBits", wb);
            checkBits("activationBits", ab);
            if (weightScheme.narrowRange() && wb < 2) {
                throw new IllegalArgumentException("QConfig.weightBits must be ≥ 2 with a narrow-range weightScheme, got " + wb);
            }
            if (activationScheme.narrowRange() && ab < 2) {
                throw new IllegalArgumentException("QConfig.activationBits must be ≥ 2 with a narrow-range activationScheme, got " + ab);
            }
            QScheme w = weightScheme.withBits(wb);
            if (perChannelWeights != null) w = w.withPerChannel(perChannelWeights);
            return new QConfig(w, activationScheme.withBits(ab), weightMethod, calibration, percentile, averagingConstant, overrides,
                    activationOverrides);
        }

        private static void checkBits(String field, int bits) {
            if (bits < 1 || bits > 8) {
                throw new IllegalArgumentException("QConfig." + field + " must be in [1, 8], got " + bits);
            }
        }
    }
}
