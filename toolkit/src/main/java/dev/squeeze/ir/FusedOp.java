package dev.squeeze.ir;

import dev.squeeze.model.Layer;
import java.util.List;

/**
 * One op of a {@link FusedGraph}: the unit that quantization, integer execution and export all see.
 * Every op has an {@code id}, unique in its graph; the output of each op that
 * {@link #producesNewRange()} is one activation tensor with its own quantization parameters, the others
 * (max-pool, flatten, average pools) keep their input's scale and zero point.
 */
public sealed interface FusedOp {
    int id();

    /** Whether this op's output needs its own observer / scale and zero point. */
    default boolean producesNewRange() { return true; }

    String describe();

    /**
     * Convolution with BatchNorm folded in and its activation fused. Weight {@code [out, in/groups, k, k]}
     * row-major, bias {@code [out]} (zeros when the layer had none).
     */
    record Conv(int id, Layer.Conv2d layer, float[] weight, float[] bias, Activation activation) implements FusedOp {
        public String describe() { return layer.describe() + (activation.kind() == Activation.Kind.NONE ? "" : " + " + activation); }
    }

    /** Fully connected with fused activation. Weight {@code [out, in]}, bias {@code [out]}. */
    record Dense(int id, Layer.Linear layer, float[] weight, float[] bias, Activation activation) implements FusedOp {
        public String describe() { return layer.describe() + (activation.kind() == Activation.Kind.NONE ? "" : " + " + activation); }
    }

    record MaxPool(int id, Layer.MaxPool layer) implements FusedOp {
        public boolean producesNewRange() { return false; }
        public String describe() { return layer.describe(); }
    }

    record AvgPool(int id, Layer.AvgPool layer) implements FusedOp {
        public boolean producesNewRange() { return false; }
        public String describe() { return layer.describe(); }
    }

    record GlobalAvgPool(int id) implements FusedOp {
        public boolean producesNewRange() { return false; }
        public String describe() { return "global-avg-pool"; }
    }

    record Flatten(int id) implements FusedOp {
        public boolean producesNewRange() { return false; }
        public String describe() { return "flatten"; }
    }

    /** An activation that had no op to fuse into (e.g. after a pool). */
    record Act(int id, Activation activation) implements FusedOp {
        public String describe() { return activation.toString(); }
    }

    /** {@code activation(body(x) + shortcut(x))}; an empty shortcut is the identity. */
    record Add(int id, List<FusedOp> body, List<FusedOp> shortcut, Activation activation) implements FusedOp {
        public Add {
            body = List.copyOf(body);
            shortcut = List.copyOf(shortcut);
        }
        public String describe() { return "add" + (activation.kind() == Activation.Kind.NONE ? "" : " + " + activation); }
    }

    /**
     * Channel concatenation of parallel branches (each receives this op's input; an empty branch is
     * the identity); output {@code [Σ branch channels, H, W]} on its own grid, to which the integer
     * path requantizes every branch.
     */
    record Concat(int id, List<List<FusedOp>> branches) implements FusedOp {
        public Concat { branches = branches.stream().map(List::copyOf).toList(); }
        public String describe() { return "concat(" + branches.size() + ")"; }
    }

    /** Channels {@code [from, to)}; keeps its input's grid. */
    record ChannelSlice(int id, Layer.ChannelSlice layer) implements FusedOp {
        public boolean producesNewRange() { return false; }
        public String describe() { return layer.describe(); }
    }

    /**
     * ShuffleNet's channel shuffle or an explicit channel permutation ({@link Layer.ChannelShuffle}: every
     * consumer reads it through {@code layer.sources(channels)}, never {@code groups()} alone, which is 1
     * for a permutation); keeps its input's grid.
     */
    record ChannelShuffle(int id, Layer.ChannelShuffle layer) implements FusedOp {
        public boolean producesNewRange() { return false; }
        public String describe() { return layer.describe(); }
    }
}
