package dev.squeeze.model;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.squeeze.Environment;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A float model: an {@link Architecture} with DJL/libtorch weights. Owns its native memory; close it
 * (or use try-with-resources) when done. Users never see an {@code NDManager}: inputs and outputs are
 * plain float arrays.
 */
public final class Network implements AutoCloseable {
    private final Architecture architecture;
    private final Model model;
    private final Map<String, String> provenance = new LinkedHashMap<>();

    private Network(Architecture architecture, Model model) {
        this.architecture = architecture;
        this.model = model;
    }

    /**
     * A new network with PyTorch's default initialisation (Kaiming-uniform with a = √5, i.e. uniform in
     * ±1/√fan_in for weights and biases; BatchNorm γ = 1, β = 0), drawn from {@code seed} so runs
     * reproduce independently of libtorch's generator.
     */
    public static Network create(Architecture architecture, long seed) {
        Environment.ensure();
        Model model = Model.newInstance(architecture.name(), "PyTorch");
        Nnpack.disableWhereUnsupported(); // libtorch is loaded now
        Block block = DjlBlocks.build(architecture);
        model.setBlock(block);
        int[] in = architecture.inputShape();
        block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, in[0], in[1], in[2]));
        Network n = new Network(architecture, model);
        n.initialize(seed);
        n.provenance.put("init_seed", Long.toString(seed));
        return n;
    }

    /**
     * A network over a custom DJL block whose parameters follow {@code architecture}'s layout (same
     * order and shapes as {@link DjlBlocks} would build). For Squeeze's own transformations — QAT
     * fake-quant blocks, pruning masks — that must still train with {@code Training.fit}. Parameters
     * start at zero; set them with {@link #setParameter}.
     */
    public static Network wrap(Architecture architecture, Block block) {
        Environment.ensure();
        Model model = Model.newInstance(architecture.name(), "PyTorch");
        Nnpack.disableWhereUnsupported(); // libtorch is loaded now
        model.setBlock(block);
        int[] in = architecture.inputShape();
        block.setInitializer(ai.djl.training.initializer.Initializer.ZEROS, p -> true);
        block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, in[0], in[1], in[2]));
        return new Network(architecture, model);
    }

    private void initialize(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int lastFanIn = 1;
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            Parameter param = p.getValue();
            NDArray arr = param.getArray();
            Shape s = arr.getShape();
            int size = (int) s.size();
            float[] v = new float[size];
            switch (param.getType()) {
                case WEIGHT -> {
                    lastFanIn = (int) (s.size() / s.get(0));
                    uniform(v, 1.0 / Math.sqrt(lastFanIn), rnd);
                }
                case BIAS -> uniform(v, 1.0 / Math.sqrt(lastFanIn), rnd);
                case GAMMA, RUNNING_VAR -> java.util.Arrays.fill(v, 1f);
                default -> { } // beta, running mean: zeros
            }
            arr.set(FloatBuffer.wrap(v));
        }
    }

    private static void uniform(float[] v, double bound, SplittableRandom rnd) {
        for (int i = 0; i < v.length; i++) v[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
    }

    public Architecture architecture() { return architecture; }

    /** Free-form facts about how this model came to be (seed, data, recipe); saved with it. */
    public Map<String, String> provenance() { return provenance; }

    /**
     * Escape hatch for code inside Squeeze (training, quantization) that drives DJL directly.
     * Notebook code should not need it.
     */
    public Model djlModel() { return model; }

    /** Trainable parameters counted on the live DJL block (must equal {@link Architecture#trainableParameters()}). */
    public long trainableParameters() {
        long n = 0;
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            if (p.getValue().requiresGradient()) n += p.getValue().getArray().getShape().size();
        }
        return n;
    }

    /**
     * Every parameter (trainable and running statistics) in block order, as copies, named by path
     * ({@code layer1.0.conv1.weight}, {@link #parameterNames()}).
     */
    public List<NamedTensor> parameters() {
        List<NamedTensor> out = new ArrayList<>();
        var names = parameterNames().iterator();
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            NDArray a = p.getValue().getArray();
            out.add(new NamedTensor(names.next(), a.getShape().getShape(), a.toFloatArray(), p.getValue().getType().name(),
                    p.getValue().requiresGradient()));
        }
        return out;
    }

    /**
     * Path names of every parameter ({@code layer1.0.conv1.weight}, see {@link NodeNames}), in the
     * order of {@link #parameters()}.
     */
    public List<String> parameterNames() {
        List<String> names = NodeNames.parameterNames(architecture);
        int live = model.getBlock().getParameters().size();
        if (names.size() != live) {
            throw new IllegalStateException(architecture.name() + ": " + names.size() + " named parameters but the block holds " + live);
        }
        return names;
    }

    /** A copy of one parameter, by path name ({@code layer1.0.conv1.weight}) or DJL name. */
    public NamedTensor parameter(String name) {
        List<String> names = parameterNames();
        int i = 0;
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            if (p.getKey().equals(name) || names.get(i).equals(name)) {
                NDArray a = p.getValue().getArray();
                return new NamedTensor(names.get(i), a.getShape().getShape(), a.toFloatArray(), p.getValue().getType().name(),
                        p.getValue().requiresGradient());
            }
            i++;
        }
        throw new IllegalArgumentException("No parameter named '" + name + "' in " + architecture.name() + "; its parameters are " + names);
    }

    /** Replaces parameter values by path name ({@code layer1.0.conv1.weight}) or DJL name; the size must match exactly. */
    public void setParameter(String name, float[] values) {
        List<String> names = parameterNames();
        int i = 0;
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            if (p.getKey().equals(name) || names.get(i++).equals(name)) {
                NDArray a = p.getValue().getArray();
                if (a.getShape().size() != values.length) {
                    throw new IllegalArgumentException("Parameter " + name + " has " + a.getShape().size()
                            + " values (shape " + a.getShape() + "), got " + values.length);
                }
                a.set(FloatBuffer.wrap(values));
                return;
            }
        }
        throw new IllegalArgumentException("No parameter named '" + name + "' in " + architecture.name() + "; its parameters are " + names);
    }

    /**
     * This model as a graph of named nodes with explicit inputs ({@code layer1.0.conv1} reads
     * {@code relu1}, the residual add {@code layer1.0} reads {@code layer1.0.bn2} and {@code relu1}), in
     * topological order, with each node's per-image output shape; {@code graph().table()} shows it.
     */
    public ModelGraph graph() { return ModelGraph.of(architecture); }

    /**
     * Names of the nodes whose outputs {@link #recordFeatures} can record, in forward order ({@code conv1},
     * {@code layer1.0.conv1}, {@code layer1.0}, {@code layer1}, …, {@code fc}); see {@link FeatureTaps}.
     */
    public List<String> featureNodes() { return FeatureTaps.of(architecture).names(); }

    /**
     * One node's per-image output shape: {@code [C, H, W]}, or {@code [features]} after a flatten.
     *
     * @throws IllegalArgumentException naming the valid nodes when {@code node} is not one
     */
    public int[] featureShape(String node) { return FeatureTaps.of(architecture).shape(node); }

    /**
     * Records the outputs of {@code nodes} during every forward pass of this network until the returned
     * recording is closed: training passes (with gradients) and inference passes alike, whoever drives them.
     * Without an open recording the forward pass is exactly the plain sequential one.
     *
     * <pre>{@code
     * try (FeatureRecording r = net.recordFeatures(List.of("layer1"))) {
     *     NDArray logits = net.djlModel().getBlock().forward(store, new NDList(x), false).singletonOrThrow();
     *     NDArray layer1 = r.get("layer1");   // N × 64 × 32 × 32 for resnet18 on CIFAR-10
     * }
     * }</pre>
     *
     * @param nodes names from {@link #featureNodes()}, at least one
     * @throws IllegalArgumentException for an unknown name, listing the valid ones
     * @throws IllegalStateException for a network built around a custom block ({@link #wrap}) or one already recording
     */
    public FeatureRecording recordFeatures(java.util.Collection<String> nodes) {
        if (nodes == null || nodes.isEmpty()) throw new IllegalArgumentException("recordFeatures needs at least one node; choose from " + featureNodes());
        if (!(model.getBlock() instanceof TapBlock block)) {
            throw new IllegalStateException(architecture.name() + " runs a custom block (" + model.getBlock().getClass().getSimpleName()
                    + ", e.g. fake-quantized or masked): feature taps need a network built by Network.create or loaded from a file");
        }
        for (String n : nodes) block.taps().shape(n);
        return new FeatureRecording(block, new java.util.LinkedHashSet<>(nodes), false);
    }

    /**
     * Like {@link #recordFeatures}, but records what each named convolution or linear node <em>reads</em>:
     * {@code get("layer1.0.conv2")} is the ReLU after {@code layer1.0.bn1}, {@code get("fc")} the flattened
     * pooled features ({@code N × C × H × W} or {@code N × features}). Channel reconstruction after
     * structured pruning refits a node's weights on these.
     *
     * @param nodes names from {@link FeatureTaps#inputNames()}, at least one
     * @throws IllegalArgumentException for an unknown name, listing the valid ones
     * @throws IllegalStateException for a network built around a custom block or one already recording
     */
    public FeatureRecording recordInputs(java.util.Collection<String> nodes) {
        FeatureTaps taps = FeatureTaps.of(architecture);
        if (nodes == null || nodes.isEmpty()) throw new IllegalArgumentException("recordInputs needs at least one node; choose from " + taps.inputNames());
        if (!(model.getBlock() instanceof TapBlock block)) {
            throw new IllegalStateException(architecture.name() + " runs a custom block (" + model.getBlock().getClass().getSimpleName()
                    + ", e.g. fake-quantized or masked): input taps need a network built by Network.create or loaded from a file");
        }
        for (String n : nodes) block.taps().inputShape(n);
        return new FeatureRecording(block, new java.util.LinkedHashSet<>(nodes), true);
    }

    /**
     * Logits for a batch, in inference mode (BatchNorm uses running statistics).
     *
     * @param input {@code batch × C × H × W} floats, as {@link dev.squeeze.data.BatchMaker} makes them
     * @return {@code batch × classes} logits
     */
    public float[] logits(float[] input, int batch) {
        int[] in = architecture.inputShape();
        int per = in[0] * in[1] * in[2];
        if (input.length < (long) batch * per) {
            throw new IllegalArgumentException("Input holds " + input.length + " floats but batch " + batch + " of "
                    + java.util.Arrays.toString(in) + " needs " + ((long) batch * per));
        }
        try (NDManager m = model.getNDManager().newSubManager()) {
            NDArray x = m.create(FloatBuffer.wrap(input, 0, batch * per), new Shape(batch, in[0], in[1], in[2]));
            NDList out = model.getBlock().forward(new ParameterStore(m, false), new NDList(x), false);
            return out.singletonOrThrow().toFloatArray();
        }
    }

    /** Top-1 class per image. */
    public int[] predict(float[] input, int batch) {
        return argmax(logits(input, batch), batch);
    }

    public static int[] argmax(float[] logits, int batch) {
        int classes = logits.length / batch;
        int[] out = new int[batch];
        for (int b = 0; b < batch; b++) {
            int best = 0;
            for (int c = 1; c < classes; c++) if (logits[b * classes + c] > logits[b * classes + best]) best = c;
            out[b] = best;
        }
        return out;
    }

    @Override public void close() { model.close(); }

    @Override public String toString() {
        return architecture.name() + " (" + String.format("%,d", architecture.trainableParameters()) + " parameters)";
    }
}
