package dev.squeeze.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import java.util.List;

/** Builds DJL blocks from an {@link Architecture}; one case per {@link Layer} kind. */
public final class DjlBlocks {
    private DjlBlocks() {}

    /** The network's top-level block: a {@link SequentialBlock} that can also record intermediate outputs ({@link FeatureRecording}). */
    public static SequentialBlock build(Architecture a) {
        TapBlock top = new TapBlock(a);
        for (Layer l : a.layers()) top.add(block(l));
        return top;
    }

    static SequentialBlock sequence(List<Layer> layers) {
        SequentialBlock seq = new SequentialBlock();
        for (Layer l : layers) seq.add(block(l));
        return seq;
    }

    static Block block(Layer l) {
        return switch (l) {
            case Layer.Conv2d c -> Conv2d.builder()
                    .setKernelShape(new Shape(c.kernel(), c.kernel()))
                    .optStride(new Shape(c.stride(), c.stride()))
                    .optPadding(new Shape(c.padding(), c.padding()))
                    .optGroups(c.groups())
                    .setFilters(c.out())
                    .optBias(c.bias())
                    .build();
            case Layer.Linear f -> Linear.builder().setUnits(f.out()).optBias(f.bias()).build();
            // DJL's momentum is the weight of the old running value: 0.9 here is PyTorch's momentum 0.1.
            case Layer.BatchNorm b -> BatchNorm.builder().optEpsilon(1e-5f).optMomentum(0.9f).build();
            case Layer.Relu r -> Activation.reluBlock();
            case Layer.LeakyRelu r -> Activation.leakyReluBlock(r.alpha());
            case Layer.MaxPool p -> Pool.maxPool2dBlock(new Shape(p.kernel(), p.kernel()), new Shape(p.stride(), p.stride()),
                    new Shape(p.padding(), p.padding()));
            case Layer.AvgPool p -> Pool.avgPool2dBlock(new Shape(p.kernel(), p.kernel()), new Shape(p.stride(), p.stride()),
                    new Shape(p.padding(), p.padding()));
            case Layer.GlobalAvgPool g -> Pool.globalAvgPool2dBlock();
            case Layer.Flatten f -> Blocks.batchFlattenBlock();
            case Layer.Relu6 r -> Activation.relu6Block();
            // PyTorch's hardswish: x · min(max(x + 3, 0), 6) / 6 (DJL has no block for it).
            case Layer.HardSwish h -> new LambdaBlock(xs -> {
                NDArray x = xs.singletonOrThrow();
                return new NDList(x.mul(x.add(3f).clip(0f, 6f)).div(6f));
            }, "hard-swish");
            case Layer.Concat c -> new ParallelBlock(
                    outs -> {
                        NDList parts = new NDList();
                        for (NDList o : outs) parts.add(o.singletonOrThrow());
                        return new NDList(NDArrays.concat(parts, 1));
                    },
                    c.branches().stream().map(b -> b.isEmpty() ? (Block) new LambdaBlock(x -> x) : sequence(b)).toList());
            case Layer.ChannelSlice c -> new LambdaBlock(
                    xs -> new NDList(xs.singletonOrThrow().get(":, " + c.from() + ":" + c.to())), "channel-slice");
            case Layer.ChannelShuffle c when c.explicit() -> {
                long[] order = java.util.Arrays.stream(c.order()).asLongStream().toArray();
                yield new LambdaBlock(xs -> {
                    NDArray x = xs.singletonOrThrow();
                    // index_select on the channel axis: differentiable, so a pruned ShuffleNet fine-tunes. The
                    // index belongs to x's manager (the batch's), which frees it.
                    NDArray idx = x.getManager().create(order);
                    return new NDList(x.get(new ai.djl.ndarray.index.NDIndex(":, {}", idx)));
                }, "channel-permutation");
            }
            case Layer.ChannelShuffle c -> new LambdaBlock(xs -> {
                NDArray x = xs.singletonOrThrow();
                Shape sh = x.getShape();
                long n = sh.get(0), ch = sh.get(1), h = sh.get(2), w = sh.get(3);
                return new NDList(x.reshape(n, c.groups(), ch / c.groups(), h, w).transpose(0, 2, 1, 3, 4).reshape(n, ch, h, w));
            }, "channel-shuffle");
            case Layer.Residual r -> new ParallelBlock(
                    outs -> new NDList(outs.get(0).singletonOrThrow().add(outs.get(1).singletonOrThrow())),
                    List.of(sequence(r.body()), r.shortcut().isEmpty() ? new LambdaBlock(x -> x) : sequence(r.shortcut())));
        };
    }
}
