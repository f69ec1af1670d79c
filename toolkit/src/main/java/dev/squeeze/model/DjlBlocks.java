package dev.squeeze.model;

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
            case Layer.Relu6 todo10n23 -> throw new UnsupportedOperationException("TODO(issue-10): Layer.Relu6 in DjlBlocks.java");
            case Layer.HardSwish todo10n24 -> throw new UnsupportedOperationException("TODO(issue-10): Layer.HardSwish in DjlBlocks.java");
            case Layer.Concat todo10n25 -> throw new UnsupportedOperationException("TODO(issue-10): Layer.Concat in DjlBlocks.java");
            case Layer.ChannelSlice todo10n26 -> throw new UnsupportedOperationException("TODO(issue-10): Layer.ChannelSlice in DjlBlocks.java");
            case Layer.ChannelShuffle todo10n27 -> throw new UnsupportedOperationException("TODO(issue-10): Layer.ChannelShuffle in DjlBlocks.java");
            case Layer.Residual r -> new ParallelBlock(
                    outs -> new NDList(outs.get(0).singletonOrThrow().add(outs.get(1).singletonOrThrow())),
                    List.of(sequence(r.body()), r.shortcut().isEmpty() ? new LambdaBlock(x -> x) : sequence(r.shortcut())));
        };
    }
}
