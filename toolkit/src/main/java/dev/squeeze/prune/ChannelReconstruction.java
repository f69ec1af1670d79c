package dev.squeeze.prune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.squeeze.data.BatchMaker;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.model.FeatureRecording;
import dev.squeeze.model.FeatureTaps;
import dev.squeeze.model.Layer;
import dev.squeeze.model.Network;
import dev.squeeze.model.NodeNames;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Channel reconstruction after structured pruning: every convolution or linear node that lost input
 * channels gets new weights, fitted by least squares so that, from the channels it still reads, it
 * reproduces what the dense model's node computed from all of them (He, Zhang &amp; Sun 2017, "Channel
 * Pruning for Accelerating Very Deep Neural Networks"; ThiNet's refit). Plain slicing keeps the old
 * weights and simply loses the removed channels' contribution; the refit moves that contribution onto the
 * channels that stay, so the pruned model starts fine-tuning much closer to the dense one.
 *
 * <p>Nodes are refitted in forward order, each on the inputs the <em>pruned</em> model (with the nodes
 * before it already refitted) feeds it, against the dense model's outputs: later nodes also correct the
 * error the earlier ones leave. The fit is ridge regression on sampled output positions, solved in
 * float64.
 *
 * <pre>{@code
 * Network small = StructuredPruning.apply(dense, plan);
 * Table fit = ChannelReconstruction.reconstruct(dense, small, plan, train.subset(512, 0, true), preprocessing,
 *         ChannelReconstruction.Options.defaults());
 * }</pre>
 */
public final class ChannelReconstruction {
    private ChannelReconstruction() {}

    /**
     * How the fit samples and regularises.
     *
     * @param batchSize images per forward pass
     * @param positions output positions sampled per image and node (all of them when the map has fewer)
     * @param ridge the ridge term, as a fraction of the mean diagonal of the inputs' Gram matrix
     * @param seed picks the sampled positions
     */
    public record Options(int batchSize, int positions, double ridge, long seed) {
        public Options {
            if (batchSize < 1) throw new IllegalArgumentException("ChannelReconstruction.Options: batchSize must be ≥ 1, got " + batchSize);
            if (positions < 1) throw new IllegalArgumentException("ChannelReconstruction.Options: positions per image must be ≥ 1, got " + positions);
            if (!(ridge >= 0 && ridge < 1)) {
                throw new IllegalArgumentException("ChannelReconstruction.Options: ridge must be in [0, 1) (a fraction of the mean Gram diagonal), got "
                        + ridge + "; 1e-3 is the default");
            }
        }

        /** Batch 64, 16 positions per image, ridge 1e-3, seed 0. */
        public static Options defaults() { return new Options(64, 16, 1e-3, 0); }

        public Options withPositions(int p) { return new Options(batchSize, p, ridge, seed); }
        public Options withRidge(double r) { return new Options(batchSize, positions, r, seed); }
        public Options withSeed(long s) { return new Options(batchSize, positions, ridge, s); }
        public Options withBatchSize(int b) { return new Options(b, positions, ridge, seed); }
    }

    /**
     * One node to refit: its pruned layer, which of the dense output channels it keeps, and where the
     * fit's constant term goes: the node's own bias, or the running mean of the one BatchNorm that reads
     * it (a constant shift of a BatchNorm's input is a shift of its mean), or nowhere (fit through zero).
     */
    private record Target(String name, Layer pruned, int[] keptOutputs, int[] inputShape, int[] outputShape, int inputsBefore, String batchNorm) {
        boolean linear() { return pruned instanceof Layer.Linear; }
        boolean bias() { return pruned instanceof Layer.Conv2d c ? c.bias() : ((Layer.Linear) pruned).bias(); }
        boolean intercept() { return bias() || batchNorm != null; }
        int kernel() { return pruned instanceof Layer.Conv2d c ? c.kernel() : 1; }
        /** Weight columns: input channels × kernel taps. */
        int weights() { return linear() ? inputShape[0] : inputShape[0] * kernel() * kernel(); }
        /** Columns of the design matrix: the weights' and, with an intercept, a constant 1 last. */
        int columns() { return weights() + (intercept() ? 1 : 0); }
        int outputs() { return keptOutputs.length; }
        int positionsPerImage() { return linear() ? 1 : outputShape[1] * outputShape[2]; }
    }

    /**
     * Refits, in place, the weights of every node of {@code pruned} whose input lost channels under {@code plan}.
     *
     * @param dense the model {@code plan} was made for, unchanged
     * @param pruned {@code StructuredPruning.apply(dense, plan)}
     * @param images at least 5; one in five is held out to check each refit (a few hundred training images suffice)
     * @return per node whose input lost channels: inputs before and kept, samples, and the relative error of its
     *     output on the held-out images' samples, with the sliced weights and with the refit made without them:
     *     ‖XW − Y‖ over ‖Y − mean‖ (over ‖Y‖ for a node with neither bias nor BatchNorm after it); and whether
     *     the weights were refitted (only when that held-out error is lower)
     */
    public static Table reconstruct(Network dense, Network pruned, StructuredPruning.Plan plan, ImageSet images, Preprocessing preprocessing,
            Options options) {
        if (!dense.architecture().equals(plan.groups().architecture())) {
            throw new IllegalArgumentException("the plan was made for " + plan.groups().architecture().name() + ", not for the dense model "
                    + dense.architecture().name() + "; pass the model StructuredPruning.apply pruned");
        }
        if (images.size() < 5) {
            throw new IllegalArgumentException("channel reconstruction needs at least 5 images (one in five is held out to check each refit); "
                    + images.name() + " has " + images.size() + "; pass a few hundred training images");
        }
        List<Target> targets = targets(dense, pruned, plan);
        StringColumn node = StringColumn.create("node");
        IntColumn before = IntColumn.create("inputs before"), kept = IntColumn.create("inputs kept"), samples = IntColumn.create("samples");
        DoubleColumn sliced = DoubleColumn.create("held-out error sliced"), fitted = DoubleColumn.create("held-out error refitted");
        StringColumn weights = StringColumn.create("weights");
        Table table = Table.create("channel reconstruction: " + plan.describe() + " on " + images.size() + " images of " + images.name(),
                node, before, kept, samples, sliced, fitted, weights);
        for (String unreachable : unreachable(dense, pruned, targets)) {
            // Convolutions inside a concat's branches (ShuffleNetV2 units) are not reachable by the input taps: said, not skipped silently.
            node.append(unreachable);
            before.append(inputChannels(dense, unreachable));
            kept.append(inputChannels(pruned, unreachable));
            samples.append(0);
            sliced.append(Double.NaN);
            fitted.append(Double.NaN);
            weights.append("sliced (inside a concat branch, which input taps do not reach)");
        }
        if (targets.isEmpty()) return table;
        BatchMaker maker = new BatchMaker(images, preprocessing.withAugmentation(0, false));
        int n = images.size(), batches = (n + options.batchSize() - 1) / options.batchSize();
        // The sampled positions per node and batch, drawn once so the dense targets and the pruned inputs line up.
        Map<String, int[][]> positions = new LinkedHashMap<>();
        SplittableRandom root = new SplittableRandom(options.seed());
        for (Target t : targets) {
            SplittableRandom r = root.split();
            int[][] perBatch = new int[batches][];
            for (int b = 0; b < batches; b++) perBatch[b] = samplePositions(t, Math.min(options.batchSize(), n - b * options.batchSize()), options.positions(), r);
            positions.put(t.name(), perBatch);
        }
        // The dense model's outputs at those positions, all nodes in one pass per batch.
        Map<String, float[][]> wanted = new LinkedHashMap<>();
        for (Target t : targets) wanted.put(t.name(), new float[batches][]);
        Set<String> names = new HashSet<>(wanted.keySet());
        for (int b = 0; b < batches; b++) {
            int from = b * options.batchSize(), count = Math.min(options.batchSize(), n - from);
            float[] x = maker.batch(from, count);
            Map<String, float[]> out = forward(dense, names, false, x, count);
            for (Target t : targets) wanted.get(t.name())[b] = rows(out.get(t.name()), t, count, positions.get(t.name())[b]);
        }
        int k = 0;
        for (Target t : targets) {
            k++;
            long t0 = System.nanoTime();
            double[] errors = refit(pruned, t, maker, n, options, positions.get(t.name()), wanted.get(t.name()));
            wanted.put(t.name(), null); // free the targets as soon as they are used
            int inputsBefore = t.inputsBefore();
            node.append(t.name());
            before.append(inputsBefore);
            kept.append(t.inputShape()[0]);
            samples.append((int) errors[2]);
            sliced.append(errors[0]);
            fitted.append(errors[1]);
            weights.append(errors[3] == 1 ? "refitted" : "sliced (the refit was worse on held-out images)");
            System.err.println(String.format(Locale.ROOT, "reconstruct [%d/%d] %s: %d of %d input channels, %,d samples, held-out relative error %.4f sliced, %.4f refitted: %s (%.1f s)",
                    k, targets.size(), t.name(), t.inputShape()[0], inputsBefore, (int) errors[2], errors[0], errors[1],
                    errors[3] == 1 ? "refitted" : "kept the sliced weights", (System.nanoTime() - t0) / 1e9));
        }
        long refitted = weights.asList().stream().filter("refitted"::equals).count();
        pruned.provenance().put("channel_reconstruction", String.format(Locale.ROOT, "%d of %d nodes refitted by least squares on %d images of %s, %d positions each, ridge %s, seed %d",
                refitted, targets.size(), n, images.name(), options.positions(), options.ridge(), options.seed()));
        return table;
    }

    /** The pruned model's convolution (not grouped) and linear nodes whose input has fewer channels than the dense model's, in forward order. */
    /** Dense convolutions (not grouped) and linear layers whose input lost channels but that {@link #targets} cannot refit. */
    private static List<String> unreachable(Network dense, Network pruned, List<Target> targets) {
        Set<String> reached = new HashSet<>();
        for (Target t : targets) reached.add(t.name());
        List<String> out = new ArrayList<>();
        for (NodeNames.Node nd : NodeNames.weightedNodes(pruned.architecture())) {
            boolean mixes = nd.layer() instanceof Layer.Linear || nd.layer() instanceof Layer.Conv2d c && c.groups() == 1;
            if (mixes && !reached.contains(nd.name()) && inputChannels(pruned, nd.name()) < inputChannels(dense, nd.name())) out.add(nd.name());
        }
        return out;
    }

    /** Input channels (conv) or features (linear) of a weighted node. */
    private static int inputChannels(Network net, String node) {
        for (NodeNames.Node nd : NodeNames.weightedNodes(net.architecture())) {
            if (nd.name().equals(node)) return nd.layer() instanceof Layer.Conv2d c ? c.in() : ((Layer.Linear) nd.layer()).in();
        }
        throw new IllegalArgumentException("no weighted node " + node + " in " + net.architecture().name());
    }

    private static List<Target> targets(Network dense, Network pruned, StructuredPruning.Plan plan) {
        FeatureTaps denseTaps = FeatureTaps.of(dense.architecture()), prunedTaps = FeatureTaps.of(pruned.architecture());
        Map<String, Layer> layers = new LinkedHashMap<>();
        for (NodeNames.Node nd : NodeNames.weightedNodes(pruned.architecture())) layers.put(nd.name(), nd.layer());
        Set<String> tappable = new HashSet<>(prunedTaps.names());
        dev.squeeze.model.ModelGraph graph = pruned.graph();
        List<Target> out = new ArrayList<>();
        for (String name : prunedTaps.inputNames()) {
            Layer l = layers.get(name);
            if (l instanceof Layer.Conv2d c && c.groups() != 1) continue; // depthwise and grouped: no channel mixing to refit
            if (!tappable.contains(name)) continue;
            int[] in = prunedTaps.inputShape(name);
            int before = denseTaps.inputShape(name)[0];
            if (in[0] == before) continue;
            int[] keptOut = plan.kept(plan.groups().outputSegmentsOf(name));
            List<dev.squeeze.model.ModelGraph.GraphNode> readers = graph.consumers(name);
            String bn = readers.size() == 1 && readers.get(0).op().equals(dev.squeeze.model.ModelGraph.BATCH_NORM) ? readers.get(0).name() : null;
            out.add(new Target(name, l, keptOut, in, prunedTaps.shape(name), before, bn));
        }
        return out;
    }

    /** Flat indices (image × positions + position) of the sampled outputs of one batch, ascending per image. */
    private static int[] samplePositions(Target t, int count, int perImage, SplittableRandom r) {
        int all = t.positionsPerImage(), take = Math.min(all, perImage);
        int[] out = new int[count * take];
        for (int i = 0; i < count; i++) {
            int[] perm = dev.squeeze.data.ImageSet.permutation(all, r);
            int[] chosen = java.util.Arrays.copyOf(perm, take);
            java.util.Arrays.sort(chosen);
            for (int j = 0; j < take; j++) out[i * take + j] = i * all + chosen[j];
        }
        return out;
    }

    /** One forward pass of {@code net} on {@code x}, returning the recorded outputs (or inputs) of {@code names} as floats. */
    private static Map<String, float[]> forward(Network net, Set<String> names, boolean inputs, float[] x, int count) {
        int[] s = net.architecture().inputShape();
        Map<String, float[]> out = new LinkedHashMap<>();
        try (FeatureRecording rec = inputs ? net.recordInputs(names) : net.recordFeatures(names);
             NDManager m = net.djlModel().getNDManager().newSubManager()) {
            NDArray in = m.create(FloatBuffer.wrap(x, 0, count * s[0] * s[1] * s[2]), new Shape(count, s[0], s[1], s[2]));
            net.djlModel().getBlock().forward(new ParameterStore(m, false), new NDList(in), false);
            for (String n : names) out.put(n, rec.get(n).toFloatArray());
        }
        return out;
    }

    /** Target rows: the kept output channels of the dense output {@code y} at the sampled positions, {@code samples × outputs}. */
    private static float[] rows(float[] y, Target t, int count, int[] sampled) {
        int[] keptOut = t.keptOutputs();
        int per = t.positionsPerImage(), channels = y.length / (count * per); // the dense model's channels
        float[] out = new float[sampled.length * keptOut.length];
        for (int r = 0; r < sampled.length; r++) {
            int img = sampled[r] / per, pos = sampled[r] % per;
            for (int o = 0; o < keptOut.length; o++) out[r * keptOut.length + o] = y[(img * channels + keptOut[o]) * per + pos];
        }
        return out;
    }

    /** Design rows at the sampled positions: im2col of the input (zero padding), plus a 1 for the bias. */
    private static double[] design(float[] x, Target t, int[] sampled) {
        int d = t.columns();
        double[] out = new double[sampled.length * d];
        if (t.linear()) {
            int f = t.inputShape()[0];
            for (int r = 0; r < sampled.length; r++) {
                for (int i = 0; i < f; i++) out[r * d + i] = x[sampled[r] * f + i];
                if (t.intercept()) out[r * d + f] = 1;
            }
            return out;
        }
        Layer.Conv2d c = (Layer.Conv2d) t.pruned();
        int ci = t.inputShape()[0], h = t.inputShape()[1], w = t.inputShape()[2], oh = t.outputShape()[1], ow = t.outputShape()[2];
        int k = c.kernel(), per = oh * ow;
        for (int r = 0; r < sampled.length; r++) {
            int img = sampled[r] / per, pos = sampled[r] % per;
            int y0 = (pos / ow) * c.stride() - c.padding(), x0 = (pos % ow) * c.stride() - c.padding();
            int col = 0;
            for (int ch = 0; ch < ci; ch++) {
                int base = (img * ci + ch) * h * w;
                for (int ky = 0; ky < k; ky++) {
                    int yy = y0 + ky;
                    for (int kx = 0; kx < k; kx++, col++) {
                        int xx = x0 + kx;
                        if (yy >= 0 && yy < h && xx >= 0 && xx < w) out[r * d + col] = x[base + yy * w + xx];
                    }
                }
            }
            if (t.intercept()) out[r * d + col] = 1;
        }
        return out;
    }

    /**
     * The node's current (sliced) weights as a {@code columns × outputs} matrix; with an intercept, its
     * last row is the node's bias, or (BatchNorm) the constant that best matches the targets' means given
     * those weights, which is what re-estimating the BatchNorm's statistics would give it.
     */
    private static double[] slicedWeights(Network net, Target t, double[] gram, double[] cross, long samples) {
        int d = t.columns(), o = t.outputs(), perRow = t.weights();
        float[] w = net.parameter(t.name() + ".weight").values();
        double[] out = new double[d * o];
        for (int j = 0; j < o; j++) for (int i = 0; i < perRow; i++) out[i * o + j] = w[j * perRow + i];
        if (t.bias()) {
            float[] b = net.parameter(t.name() + ".bias").values();
            for (int j = 0; j < o; j++) out[perRow * o + j] = b[j];
        } else if (t.intercept()) {
            // The constant column's row of XᵀX holds Σx, of XᵀY Σy: c = (Σy − Σx·W) / n.
            for (int j = 0; j < o; j++) {
                double sum = cross[perRow * o + j];
                for (int i = 0; i < perRow; i++) sum -= gram[perRow * d + i] * out[i * o + j];
                out[perRow * o + j] = sum / samples;
            }
        }
        return out;
    }

    /** XᵀX, XᵀY, Σy² and per-output Σy over some samples, in float64. */
    private static final class Moments {
        final NDArray gram, cross;
        final double[] ySum;
        double yy;
        long samples;

        Moments(NDManager m, int d, int o) {
            gram = m.zeros(new Shape(d, d), DataType.FLOAT64);
            cross = m.zeros(new Shape(d, o), DataType.FLOAT64);
            ySum = new double[o];
        }

        void add(NDManager m, double[] x, float[] y, int rows, int d, int o) {
            if (rows == 0) return;
            double[] yd = new double[rows * o];
            for (int i = 0; i < yd.length; i++) { yd[i] = y[i]; yy += yd[i] * yd[i]; ySum[i % o] += yd[i]; }
            try (NDManager bm = m.newSubManager()) {
                NDArray xa = bm.create(x, new Shape(rows, d)), xt = xa.transpose();
                gram.addi(xt.matMul(xa));
                cross.addi(xt.matMul(bm.create(yd, new Shape(rows, o))));
            }
            samples += rows;
        }

        /** ‖Y‖², or with an intercept ‖Y − mean‖²: a BatchNorm after the node removes any constant, only the varying part counts. */
        double scale(boolean intercept) {
            double s = yy;
            if (intercept) for (double v : ySum) s -= v * v / samples;
            return s;
        }

        /** The ridge solution: (XᵀX + λI)⁻¹XᵀY, λ = ridge × mean diagonal over the weight columns (the intercept is not shrunk). */
        NDArray solve(NDManager m, Target t, double ridge) {
            int d = t.columns();
            double[] g = gram.toDoubleArray();
            double mean = 0;
            for (int i = 0; i < t.weights(); i++) mean += g[i * d + i];
            mean /= t.weights();
            double[] reg = new double[d * d];
            for (int i = 0; i < t.weights(); i++) reg[i * d + i] = Math.max(ridge * mean, 1e-12);
            return gram.add(m.create(reg, new Shape(d, d))).inverse().matMul(cross);
        }

        Moments plus(NDManager m, Moments other, int d, int o) {
            Moments all = new Moments(m, d, o);
            all.gram.addi(gram).addi(other.gram);
            all.cross.addi(cross).addi(other.cross);
            for (int j = 0; j < o; j++) all.ySum[j] = ySum[j] + other.ySum[j];
            all.yy = yy + other.yy;
            all.samples = samples + other.samples;
            return all;
        }
    }

    /** Whether image {@code index} is held out to check the refit: one in five. */
    private static boolean heldOut(int index) { return index % 5 == 4; }

    /**
     * Fits on four images in five and measures, on the fifth, the relative error with the sliced weights
     * and with that fit. Only when the fit is better there are the weights replaced, by the fit on all
     * the samples; a fit that only memorises its samples (too few images for the inputs) keeps the sliced
     * weights. Returns the held-out errors, the sample count and 1 when refitted.
     */
    private static double[] refit(Network pruned, Target t, BatchMaker maker, int n, Options options, int[][] positions, float[][] wanted) {
        int d = t.columns(), o = t.outputs(), per = t.positionsPerImage();
        Set<String> name = Set.of(t.name());
        try (NDManager m = NDManager.newBaseManager()) {
            Moments fit = new Moments(m, d, o), held = new Moments(m, d, o);
            for (int b = 0; b < positions.length; b++) {
                int from = b * options.batchSize(), count = Math.min(options.batchSize(), n - from);
                float[] in = forward(pruned, name, true, maker.batch(from, count), count).get(t.name());
                int[] sampled = positions[b];
                int heldRows = 0;
                for (int p : sampled) if (heldOut(from + p / per)) heldRows++;
                int[] fitPos = new int[sampled.length - heldRows], heldPos = new int[heldRows];
                float[] fitY = new float[fitPos.length * o], heldY = new float[heldRows * o];
                for (int r = 0, f = 0, h = 0; r < sampled.length; r++) {
                    if (heldOut(from + sampled[r] / per)) { System.arraycopy(wanted[b], r * o, heldY, h * o, o); heldPos[h++] = sampled[r]; }
                    else { System.arraycopy(wanted[b], r * o, fitY, f * o, o); fitPos[f++] = sampled[r]; }
                }
                fit.add(m, design(in, t, fitPos), fitY, fitPos.length, d, o);
                held.add(m, design(in, t, heldPos), heldY, heldPos.length, d, o);
            }
            NDArray sliced = m.create(slicedWeights(pruned, t, fit.gram.toDoubleArray(), fit.cross.toDoubleArray(), fit.samples), new Shape(d, o));
            double scale = held.scale(t.intercept());
            double before = error(held.gram, held.cross, sliced, held.yy, scale);
            double after = error(held.gram, held.cross, fit.solve(m, t, options.ridge()), held.yy, scale);
            long samples = fit.samples + held.samples;
            if (!(after < before)) return new double[] {before, after, samples, 0};
            write(pruned, t, fit.plus(m, held, d, o).solve(m, t, options.ridge()).toDoubleArray());
            return new double[] {before, after, samples, 1};
        }
    }

    /** ‖XW − Y‖ / √scale from the Gram matrices: sqrt((tr WᵀGW − 2 tr WᵀC + Σy²) / scale). */
    private static double error(NDArray gram, NDArray cross, NDArray w, double yy, double scale) {
        double quad = gram.matMul(w).mul(w).sum().getDouble();
        double lin = cross.mul(w).sum().getDouble();
        return Math.sqrt(Math.max(0, quad - 2 * lin + yy) / Math.max(scale, 1e-30));
    }

    private static void write(Network net, Target t, double[] w) {
        int o = t.outputs(), perRow = t.weights();
        float[] weight = new float[o * perRow];
        for (int j = 0; j < o; j++) for (int i = 0; i < perRow; i++) weight[j * perRow + i] = (float) w[i * o + j];
        net.setParameter(t.name() + ".weight", weight);
        if (t.bias()) {
            float[] b = new float[o];
            for (int j = 0; j < o; j++) b[j] = (float) w[perRow * o + j];
            net.setParameter(t.name() + ".bias", b);
        } else if (t.intercept()) {
            // The node now computes XW = Ŷ − c; the BatchNorm reading it sees its input shifted by −c, so its mean moves too.
            float[] mean = net.parameter(t.batchNorm() + ".running_mean").values();
            for (int j = 0; j < o; j++) mean[j] -= (float) w[perRow * o + j];
            net.setParameter(t.batchNorm() + ".running_mean", mean);
        }
    }
}
