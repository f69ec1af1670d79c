package dev.squeeze.model;

/**
 * A copy of one parameter.
 *
 * @param name DJL's hierarchical parameter name, e.g. {@code 01Conv2d_weight}
 * @param shape e.g. {@code [out, in/groups, k, k]} for a convolution weight
 * @param values row-major
 * @param type DJL parameter type: WEIGHT, BIAS, GAMMA, BETA, RUNNING_MEAN, RUNNING_VAR
 * @param trainable whether the optimizer updates it
 */
public record NamedTensor(String name, long[] shape, float[] values, String type, boolean trainable) {
    public String shapeString() { return java.util.Arrays.toString(shape); }
}
