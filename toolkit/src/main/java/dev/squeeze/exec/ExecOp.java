package dev.squeeze.exec;

import dev.squeeze.ir.QuantParams;
import dev.squeeze.ir.Requantizer;
import java.util.List;
import java.util.Objects;

/**
 * One op of an {@link Int8Executor}'s graph. Shapes and input grids are not repeated here: the executor
 * follows them from its input through the list and checks each packed layer against them. Ops that
 * keep their input's grid (pools, flatten, channel slice and shuffle) name no output grid.
 */
public sealed interface ExecOp {

    /** A name for profiles, e.g. {@code "conv 3→16 5×5 + relu"}. */
    String name();

    /** A packed convolution; {@code output} is its output grid. */
    record Conv(String name, Int8Conv2d conv, QuantParams output) implements ExecOp {
        public Conv { Objects.requireNonNull(conv, "conv"); Objects.requireNonNull(output, "output"); }
    }

    /** A packed fully connected layer (its input is the flat previous tensor). */
    record Linear(String name, Int8Linear linear, QuantParams output) implements ExecOp {
        public Linear { Objects.requireNonNull(linear, "linear"); Objects.requireNonNull(output, "output"); }
    }

    record MaxPool(String name, int kernel, int stride, int padding) implements ExecOp {}

    /** Average pooling, padding counted as real 0 (divisor kernel²). */
    record AvgPool(String name, int kernel, int stride, int padding) implements ExecOp {}

    record GlobalAvgPool(String name) implements ExecOp {}

    /** {@code [C, H, W] → [C·H·W]}: no data moves. */
    record Flatten(String name) implements ExecOp {}

    /** Stand-alone activation {@code out = stage.requantize(0, q − zp_in)} onto grid {@code output}. */
    record Activation(String name, OutputStage stage, QuantParams output) implements ExecOp {}

    /**
     * Element-wise table activation: {@code out = table[q − input.qmin()]} onto grid {@code output}
     * ({@code Int8Op.Lookup}); {@code input} is the grid the codes it reads are on.
     */
    record Lookup(String name, QuantParams input, int[] table, QuantParams output) implements ExecOp {
        public Lookup {
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(output, "output");
            if (table.length != input.qmax() - input.qmin() + 1) {
                throw new IllegalArgumentException("Lookup " + name + ": table has " + table.length + " entries, the input grid " + input + " has "
                        + (input.qmax() - input.qmin() + 1) + " codes");
            }
            for (int v : table) {
                if (v < output.qmin() || v > output.qmax()) {
                    throw new IllegalArgumentException("Lookup " + name + ": table entry " + v + " is outside the output grid " + output);
                }
            }
            table = table.clone();
        }
        @Override public int[] table() { return table.clone(); }
    }

    /**
     * Channel concatenation of branches that each read this op's input (an empty branch is the identity).
     * Branch {@code b}'s codes, on grid {@code branchGrids[b]}, land on grid {@code output} as
     * {@code rescales[b].requantize(q − zp_b)} ({@code Int8Op.Concat}); a rescale by exactly 1 between equal
     * zero points and ranges is a copy.
     */
    record Concat(String name, List<List<ExecOp>> branches, List<QuantParams> branchGrids, List<Requantizer> rescales, QuantParams output)
            implements ExecOp {
        public Concat {
            branches = branches.stream().map(List::copyOf).toList();
            branchGrids = List.copyOf(branchGrids);
            rescales = List.copyOf(rescales);
            Objects.requireNonNull(output, "output");
            if (branches.size() < 2 || branchGrids.size() != branches.size() || rescales.size() != branches.size()) {
                throw new IllegalArgumentException("Concat " + name + " needs ≥ 2 branches with one grid and one rescale each, got "
                        + branches.size() + " / " + branchGrids.size() + " / " + rescales.size());
            }
        }
    }

    /** Channels {@code [from, to)}; same grid. */
    record ChannelSlice(String name, int from, int to) implements ExecOp {
        public ChannelSlice {
            if (from < 0 || to <= from) throw new IllegalArgumentException("ChannelSlice " + name + " needs 0 ≤ from < to, got [" + from + ", " + to + ")");
        }
    }

    /**
     * A channel permutation, same grid: output channel {@code j} is input channel {@code sources[j]}.
     * ShuffleNet's g-group shuffle and the explicit permutations of a pruned ShuffleNet both come as their
     * source indices ({@code Layer.ChannelShuffle.sources}), so the executor has one code path for both.
     */
    record ChannelShuffle(String name, int[] sources) implements ExecOp {
        public ChannelShuffle {
            sources = sources.clone();
            boolean[] seen = new boolean[sources.length];
            for (int c : sources) {
                if (c < 0 || c >= sources.length || seen[c]) {
                    throw new IllegalArgumentException("ChannelShuffle " + name + ": sources must be a permutation of 0.." + (sources.length - 1)
                            + ", got " + java.util.Arrays.toString(sources) + "; build them with Layer.ChannelShuffle.sources(channels)");
                }
                seen[c] = true;
            }
        }

        @Override public int[] sources() { return sources.clone(); }

        /** The channels it permutes (its input's and output's). */
        public int channels() { return sources.length; }
    }

    /**
     * {@code activation(body(x) + shortcut(x))} with TFLite's add arithmetic ({@link AddSpec}); an empty
     * shortcut is the identity.
     */
    record Residual(String name, List<ExecOp> body, List<ExecOp> shortcut, int leftShift, Requantizer aRescale,
                    Requantizer bRescale, OutputStage stage, QuantParams output) implements ExecOp {
        public Residual {
            body = List.copyOf(body);
            shortcut = List.copyOf(shortcut);
            if (body.isEmpty()) throw new IllegalArgumentException("Residual " + name + " has an empty body");
        }
    }
}
