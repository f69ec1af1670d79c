package dev.squeeze.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.squeeze.ir.FusedGraph;
import dev.squeeze.ir.FusedOp;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * DJL blocks for a fused graph with fake quantization: weights fake-quantized inside
 * {@link QConv}/{@link QDense}, activations by a {@link FakeQuant} block after every op that produces
 * a new range, and one at the input (the seed's {@code QuantStub}). Parameter order and shapes equal
 * {@link FusedGraph#toArchitecture()}'s, so the network trains with the ordinary {@code Training.fit}.
 */
final class QatBlocks {
    private QatBlocks() {}

    /** Builds the block tree; {@code quantizerFor} supplies the activation quantizer of each op id (-1 = input). */
    static SequentialBlock build(FusedGraph g, WeightQuantizer wq, Function<Integer, ActivationQuantizer> quantizerFor,
            boolean quantizeInput) {
        SequentialBlock seq = new SequentialBlock();
        if (quantizeInput) seq.add(new FakeQuant(quantizerFor.apply(-1)));
        addOps(seq, g.ops(), wq, quantizerFor);
        return seq;
    }

    private static void addOps(SequentialBlock seq, List<FusedOp> ops, WeightQuantizer wq, Function<Integer, ActivationQuantizer> q) {
        for (FusedOp op : ops) {
            switch (op) {
                case FusedOp.Conv c -> { seq.add(new QConv(c, wq)); activation(seq, c.activation()); }
                case FusedOp.Dense d -> { seq.add(new QDense(d, wq)); activation(seq, d.activation()); }
                case FusedOp.Act a -> activation(seq, a.activation());
                case FusedOp.Concat c -> {
                    // Each branch ends on its own grid (fake-quantized inside it); the concatenation gets
                    // its own FakeQuant below, the grid the integer Concat requantizes every branch onto.
                    List<Block> branches = new ArrayList<>();
                    for (List<FusedOp> b : c.branches()) {
                        if (b.isEmpty()) {
                            branches.add(new LambdaBlock(x -> x));
                        } else {
                            SequentialBlock s = new SequentialBlock();
                            addOps(s, b, wq, q);
                            branches.add(s);
                        }
                    }
                    seq.add(new ParallelBlock(outs -> {
                        NDList parts = new NDList();
                        for (NDList o : outs) parts.add(o.singletonOrThrow());
                        return new NDList(NDArrays.concat(parts, 1));
                    }, branches));
                }
                // Both keep their input's grid: moving codes around needs no fake quantization.
                case FusedOp.ChannelSlice s -> seq.add(new LambdaBlock(
                        xs -> new NDList(xs.singletonOrThrow().get(":, " + s.layer().from() + ":" + s.layer().to())), "channel-slice"));
                case FusedOp.ChannelShuffle s when s.layer().explicit() -> {
                    // A pruned ShuffleNet's permutation (groups 1): index_select on the channel axis, as DjlBlocks
                    // builds it, so QAT fine-tunes through it. The index belongs to x's (the batch's) manager.
                    long[] order = java.util.Arrays.stream(s.layer().order()).asLongStream().toArray();
                    seq.add(new LambdaBlock(xs -> {
                        NDArray x = xs.singletonOrThrow();
                        return new NDList(x.get(new ai.djl.ndarray.index.NDIndex(":, {}", x.getManager().create(order))));
                    }, "channel-permutation"));
                }
                case FusedOp.ChannelShuffle s -> {
                    int groups = s.layer().groups();
                    seq.add(new LambdaBlock(xs -> {
                        NDArray x = xs.singletonOrThrow();
                        Shape sh = x.getShape();
                        long n = sh.get(0), ch = sh.get(1), h = sh.get(2), w = sh.get(3);
                        return new NDList(x.reshape(n, groups, ch / groups, h, w).transpose(0, 2, 1, 3, 4).reshape(n, ch, h, w));
                    }, "channel-shuffle"));
                }
                case FusedOp.Add a -> {
                    SequentialBlock body = new SequentialBlock();
                    addOps(body, a.body(), wq, q);
                    Block shortcut;
                    if (a.shortcut().isEmpty()) {
                        shortcut = new LambdaBlock(x -> x);
                    } else {
                        SequentialBlock s = new SequentialBlock();
                        addOps(s, a.shortcut(), wq, q);
                        shortcut = s;
                    }
                    seq.add(new ParallelBlock(outs -> new NDList(outs.get(0).singletonOrThrow().add(outs.get(1).singletonOrThrow())),
                            List.of(body, shortcut)));
                    activation(seq, a.activation());
                }
                case FusedOp.MaxPool m -> seq.add(Pool.maxPool2dBlock(sq(m.layer().kernel()), sq(m.layer().stride()), sq(m.layer().padding())));
                case FusedOp.AvgPool m -> seq.add(Pool.avgPool2dBlock(sq(m.layer().kernel()), sq(m.layer().stride()), sq(m.layer().padding())));
                case FusedOp.GlobalAvgPool g -> seq.add(Pool.globalAvgPool2dBlock());
                case FusedOp.Flatten f -> seq.add(Blocks.batchFlattenBlock());
            }
            if (op.producesNewRange()) seq.add(new FakeQuant(q.apply(op.id())));
        }
    }

    private static void activation(SequentialBlock seq, dev.squeeze.ir.Activation a) {
        switch (a.kind()) {
            case RELU -> seq.add(Activation.reluBlock());
            case LEAKY_RELU -> seq.add(Activation.leakyReluBlock(a.alpha()));
            case RELU6 -> seq.add(Activation.relu6Block());
            // PyTorch's hardswish, as DjlBlocks builds it; the FakeQuant after it is the Lookup table's output grid.
            case HARD_SWISH -> seq.add(new LambdaBlock(xs -> {
                NDArray x = xs.singletonOrThrow();
                return new NDList(x.mul(x.add(3f).clip(0f, 6f)).div(6f));
            }, "hard-swish"));
            case NONE -> { }
        }
    }

    private static Shape sq(int v) { return new Shape(v, v); }

    /** Activation fake quantization; no parameters, shape-preserving. */
    static final class FakeQuant extends AbstractBlock {
        final ActivationQuantizer quantizer;

        FakeQuant(ActivationQuantizer quantizer) {
            super((byte) 1);
            this.quantizer = quantizer;
        }

        @Override protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            return new NDList(quantizer.apply(in.singletonOrThrow(), training));
        }

        @Override public Shape[] getOutputShapes(Shape[] inputShapes) { return inputShapes; }
    }

    /** Convolution with fake-quantized weights. Input {@code [N, in, H, W]}, weight {@code [out, in/groups, k, k]}. */
    static final class QConv extends AbstractBlock {
        private final FusedOp.Conv op;
        private final WeightQuantizer wq;
        private final Parameter weight;
        private final Parameter bias;

        QConv(FusedOp.Conv op, WeightQuantizer wq) {
            super((byte) 1);
            this.op = op;
            this.wq = wq;
            var l = op.layer();
            weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT)
                    .optShape(new Shape(l.out(), l.in() / l.groups(), l.kernel(), l.kernel())).build());
            bias = addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BIAS).optShape(new Shape(l.out())).build());
        }

        @Override protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray x = in.singletonOrThrow();
            NDArray w = wq.apply(ps.getValue(weight, x.getDevice(), training), x.getManager(), op.id());
            NDArray b = ps.getValue(bias, x.getDevice(), training);
            var l = op.layer();
            return ai.djl.nn.convolutional.Conv2d.conv2d(x, w, b, sq(l.stride()), sq(l.padding()), sq(1), l.groups());
        }

        @Override public Shape[] getOutputShapes(Shape[] in) {
            var l = op.layer();
            long h = (in[0].get(2) + 2L * l.padding() - l.kernel()) / l.stride() + 1;
            long w = (in[0].get(3) + 2L * l.padding() - l.kernel()) / l.stride() + 1;
            return new Shape[] {new Shape(in[0].get(0), l.out(), h, w)};
        }
    }

    /** Fully connected with fake-quantized weights. Input {@code [N, in]}, weight {@code [out, in]}. */
    static final class QDense extends AbstractBlock {
        private final FusedOp.Dense op;
        private final WeightQuantizer wq;
        private final Parameter weight;
        private final Parameter bias;

        QDense(FusedOp.Dense op, WeightQuantizer wq) {
            super((byte) 1);
            this.op = op;
            this.wq = wq;
            weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT)
                    .optShape(new Shape(op.layer().out(), op.layer().in())).build());
            bias = addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BIAS).optShape(new Shape(op.layer().out())).build());
        }

        @Override protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray x = in.singletonOrThrow();
            NDArray w = wq.apply(ps.getValue(weight, x.getDevice(), training), x.getManager(), op.id());
            NDArray b = ps.getValue(bias, x.getDevice(), training);
            return ai.djl.nn.core.Linear.linear(x, w, b);
        }

        @Override public Shape[] getOutputShapes(Shape[] in) {
            return new Shape[] {new Shape(in[0].get(0), op.layer().out())};
        }
    }
}
