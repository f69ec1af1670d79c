/**
 * The Vector API implementation of {@link dev.squeeze.exec.Int8KernelSupport}: the only package in
 * Squeeze that imports {@code jdk.incubator.vector}. {@code Int8Kernels} loads
 * {@link dev.squeeze.exec.panama.PanamaInt8Kernels} by name, and only after checking that the module is
 * in the boot layer, so nothing else needs {@code --add-modules jdk.incubator.vector}.
 *
 * <ul>
 *   <li>{@code Int16PairKernel}: species, the int16-pair micro-kernels (4 channels × 2 vectors of pixels, a
 *       half-width variant, and a variant reading B through per-tap offsets) and the vectorized
 *       requantization. No method here passes a vector to or returns one from another method: C2 does
 *       not reliably inline them next to the Vector API's large expansions, and a vector crossing a real
 *       call is boxed (an allocation per vector). Kernels hand over arrays.</li>
 *   <li>{@code PanamaConv}: convolutions on stride-phase "pair planes", either straight from the planes
 *       (direct) or through small packed panels of exact pixels (packed), chosen per call by a cost
 *       model fitted to measurements.</li>
 *   <li>{@code PanamaDepthwise}: one input channel per group, plane by plane in int32 lanes.</li>
 *   <li>{@code PanamaLinear}: fully connected with output features in the lanes (batch 1 keeps every
 *       lane busy).</li>
 * </ul>
 * The preferred vector shape is used (at least 256 bits, else the scalar kernels run);
 * {@code -Dsqueeze.exec.vectorBits=256} narrows it for testing on an AVX-512 machine.
 */
package dev.squeeze.exec.panama;
