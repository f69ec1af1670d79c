package dev.squeeze.exec;

import dev.squeeze.quant.QuantParams;
import dev.squeeze.quant.Requantizer;
import java.util.List;
import java.util.Objects;

/**
 * One op of an {@link Int8Executor}'s graph. Shapes and input grids are not repeated here: the executor
 * follows them from its input through the list and checks each packed layer against them. Ops that
 * keep their input's grid (pools, flatten) name no output grid.
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
