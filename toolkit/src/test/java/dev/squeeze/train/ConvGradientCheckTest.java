package dev.squeeze.train;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The guard for libtorch's oneDNN AVX-512 convolution bug: on a CPU where it is live and
 * ONEDNN_MAX_CPU_ISA is not capped ({@code mvn test -Dsqueeze.onednn.isa=ALL}), this fails and names
 * the shapes; with the cap that {@code toolkit/scripts/onednn-env.sh} chooses it passes.
 */
class ConvGradientCheckTest {
    private static final Path SCRIPT = Path.of("scripts", "onednn-env.sh");

    @Test
    void libtorchComputesConvGradientsExactlyInThisJvm() {
        ConvGradientCheck.Result r = ConvGradientCheck.run();
        assertEquals(ConvGradientCheck.SHAPES.size(), r.shapes().size());
        assertTrue(r.exact(), () -> r.summary() + "\n" + r.wrong().stream().map(ConvGradientCheck.ShapeResult::line)
                .collect(Collectors.joining("\n")));
    }

    /**
     * MobileNetV2's and ShuffleNetV2's widths (24, 58, 116, 232, 144, 960 …, 1×1, depthwise, stride 2)
     * are the non-multiples of 16 the bug corrupts: every distinct conv of both models (channels, kernel,
     * stride, padding, groups) must be exact under the cap the tests run with. Two images (batch 1 would take
     * libtorch's NNPACK path, which training never does), maps of at most
     * 8×8 to keep the double-precision reference quick; the bug depends on the channel counts (the probe
     * finds it on 8×8 maps).
     */
    @Test
    void everyConvolutionOfMobileNetV2AndShuffleNetV2IsExact() {
        java.util.LinkedHashSet<ConvGradientCheck.Shape> shapes = new java.util.LinkedHashSet<>();
        for (String name : java.util.List.of("mobilenetv2", "shufflenetv2")) {
            for (var s : ConvGradientCheck.shapesOf(dev.squeeze.model.Zoo.get(name, new int[] {3, 32, 32}, 10), 2)) {
                shapes.add(new ConvGradientCheck.Shape(2, s.in(), s.out(), s.kernel(), s.stride(), s.padding(), s.groups(), Math.min(8, s.size())));
            }
        }
        // Both kinds the bug can reach, at the widths named in the issue.
        assertTrue(shapes.contains(new ConvGradientCheck.Shape(2, 116, 116, 3, 2, 1, 116, 8)), shapes.toString()); // stage3's first depthwise
        assertTrue(shapes.contains(new ConvGradientCheck.Shape(2, 24, 58, 1, 1, 0, 1, 8)), shapes.toString());       // stage2's first 1×1
        assertTrue(shapes.contains(new ConvGradientCheck.Shape(2, 144, 144, 3, 1, 1, 144, 8)), shapes.toString());   // MobileNetV2's 24·6 expansion
        assertTrue(shapes.size() > 40, shapes.size() + " shapes");
        ConvGradientCheck.Result r = ConvGradientCheck.run(java.util.List.copyOf(shapes), line -> { });
        assertEquals(shapes.size(), r.shapes().size());
        assertTrue(r.exact(), () -> r.summary() + "\n" + r.wrong().stream().map(ConvGradientCheck.ShapeResult::line)
                .collect(Collectors.joining("\n")));
    }

    @Test
    void shapesOfAModelAreItsDistinctConvolutions() {
        var arch = dev.squeeze.model.Zoo.get("mobilenetv2", new int[] {3, 32, 32}, 10);
        var shapes = ConvGradientCheck.shapesOf(arch, 2);
        assertEquals(shapes.size(), new java.util.HashSet<>(shapes).size());
        long convs = arch.flatLayers().stream().filter(l -> l instanceof dev.squeeze.model.Layer.Conv2d).count();
        assertTrue(shapes.size() < convs, "repeated blocks share shapes: " + shapes.size() + " of " + convs);
        assertEquals(new ConvGradientCheck.Shape(2, 3, 32, 3, 1, 1, 1, 32), shapes.get(0), "the stem");
        assertEquals(new ConvGradientCheck.Shape(2, 320, 1280, 1, 1, 0, 1, 4), shapes.get(shapes.size() - 1), "the last conv, on 4×4 maps");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ConvGradientCheck.Shape(2, 6, 8, 3, 1, 1, 4, 8));
        assertTrue(e.getMessage().contains("groups 4"), e.getMessage());
    }

    @Test
    void theControlsAndTheAffectedShapesAreBothChecked() {
        // The bug needs an output-channel count that is not a multiple of 16; the controls need one that is.
        assertTrue(ConvGradientCheck.SHAPES.stream().anyMatch(s -> s.out() % 16 != 0 && s.in() == s.out() && s.in() == 8));
        assertTrue(ConvGradientCheck.SHAPES.stream().anyMatch(s -> s.out() % 16 != 0 && s.in() == s.out() && s.in() == 24));
        assertTrue(ConvGradientCheck.SHAPES.stream().anyMatch(s -> s.out() % 16 == 0));
        // The depthwise and 1×1 kernels of MobileNetV2 / ShuffleNetV2, at a non-multiple of 16, stride 1 and 2.
        assertTrue(ConvGradientCheck.SHAPES.stream().anyMatch(s -> s.groups() == s.in() && s.in() % 16 != 0 && s.stride() == 1));
        assertTrue(ConvGradientCheck.SHAPES.stream().anyMatch(s -> s.groups() == s.in() && s.in() % 16 != 0 && s.stride() == 2));
        assertTrue(ConvGradientCheck.SHAPES.stream().anyMatch(s -> s.kernel() == 1 && s.out() % 16 != 0));
    }

    @Test
    void errorsAboveTheToleranceOrNanAreWrong() {
        float[] got = {1f, 2f, -4f};
        double[] want = {1, 2, -4};
        assertEquals(0, ConvGradientCheck.error(got, want).rel());
        assertTrue(ConvGradientCheck.error(got, want).within());
        // Just above the tolerance, relative to the largest magnitude (4).
        float[] off = {1f, 2f + (float) (5 * ConvGradientCheck.TOLERANCE), -4f};
        assertFalse(ConvGradientCheck.error(off, want).within(), ConvGradientCheck.error(off, want).toString());
        float[] nan = {1f, Float.NaN, -4f};
        assertFalse(ConvGradientCheck.error(nan, want).within());
    }

    @Test
    void theScriptStatesTheSameCheckVersion() throws Exception {
        Matcher m = Pattern.compile("(?m)^squeeze_onednn_check_version=(\\d+)$").matcher(Files.readString(SCRIPT));
        assertTrue(m.find(), SCRIPT + " must set squeeze_onednn_check_version (the probe cache's key)");
        assertEquals(ConvGradientCheck.VERSION, Integer.parseInt(m.group(1)),
                "bump squeeze_onednn_check_version in " + SCRIPT + " together with ConvGradientCheck.VERSION");
    }

    @Test
    void javaAndTheScriptComputeTheSameCacheKey() throws Exception {
        String java = ConvGradientCheck.cacheKey();
        assumeTrue(java != null, "no /proc/cpuinfo flags or libtorch version on this machine: no key to compare");
        assumeTrue(Files.isDirectory(Path.of("target", "lib")), "target/lib is written by mvn package; the script reads the libtorch version there");
        Process p = new ProcessBuilder("bash", SCRIPT.toString(), "--key").redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "bash " + SCRIPT + " --key did not finish");
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertEquals(0, p.exitValue(), out);
        assertEquals(java, out);
    }

    @Test
    void keyChangesWithEachPart() {
        String k = ConvGradientCheck.cacheKey("AMD EPYC", "fpu avx512f", "2.7.1", 1);
        assertEquals(16, k.length());
        assertNotEquals(k, ConvGradientCheck.cacheKey("AMD EPYC 9B45", "fpu avx512f", "2.7.1", 1));
        assertNotEquals(k, ConvGradientCheck.cacheKey("AMD EPYC", "fpu avx2", "2.7.1", 1));
        assertNotEquals(k, ConvGradientCheck.cacheKey("AMD EPYC", "fpu avx512f", "2.8.0", 1));
        assertNotEquals(k, ConvGradientCheck.cacheKey("AMD EPYC", "fpu avx512f", "2.7.1", 2));
    }
}
