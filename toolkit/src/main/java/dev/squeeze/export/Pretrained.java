package dev.squeeze.export;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.squeeze.data.DataHome;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A pretrained model with what belongs to it: the network (imported from ONNX by {@link OnnxImport}),
 * the preprocessing it was trained with, its reference test accuracy and its reference pruning curve.
 * Close it to free the network.
 *
 * <p>{@link #resnet18Cifar10()} is the seed's {@code models.resnet18(pretrained=True)} for CIFAR-10: a
 * ResNet18 with the CIFAR stem, the same layout as {@link Zoo#resnet18} (its architecture is named
 * {@code resnet18} and equals {@code Zoo.resnet18([3, 32, 32], 10)}).
 *
 * <p>It lives in the export package because importing ONNX does (the model package must not depend on
 * export).
 *
 * @param network the imported model, ready to evaluate, fine-tune, prune or quantize
 * @param preprocessing from the json: pixels / 255, per-channel mean and std, no augmentation
 * @param testAccuracy the reference top-1 accuracy on the test set, as the json states it
 * @param testImages how many test images that accuracy was measured on
 * @param pruningCurve the json's one-shot global L1 pruning rows ({@code global_l1_one_shot})
 * @param onnx the file the network was read from: the ONNX file, or the repository's half-precision
 *     copy ({@value #RESNET18_CIFAR10_FP16}) where the ONNX file is not laid out (Binder, a laptop)
 */
public record Pretrained(Network network, Preprocessing preprocessing, double testAccuracy, int testImages,
        List<PruningPoint> pruningCurve, Path onnx) implements AutoCloseable {

    /** File name of the pretrained CIFAR-10 ResNet18 (ONNX); its json has the same stem. */
    public static final String RESNET18_CIFAR10 = "resnet18-cifar10.onnx";

    /**
     * The same weights rounded to float16 in a Squeeze model file, shipped in the repository
     * ({@code datasets/models/}, about 22 MB) so Binder and machines without {@code ../shared} have the
     * model; its json states the accuracy measured with the rounded weights.
     */
    public static final String RESNET18_CIFAR10_FP16 = "resnet18-cifar10-fp16.sqz";

    /** SHA-256 of {@value #RESNET18_CIFAR10} as shipped in {@code ../shared/models}. */
    public static final String RESNET18_CIFAR10_SHA256 = "0594f134d992c3b72b76e5d9c57e2d422f371634f9a49e3a103fd751c576e02b";

    /**
     * One point of a pruning curve.
     *
     * @param scope {@code conv+linear} (every Conv2d and Linear weight) or {@code linear-only}
     * @param sparsity the fraction of weights asked to be zero
     * @param measuredSparsity the fraction that was zero
     * @param oneShotAccuracy test accuracy after pruning, without fine-tuning
     */
    public record PruningPoint(String scope, double sparsity, double measuredSparsity, double oneShotAccuracy) {}

    public Pretrained {
        pruningCurve = List.copyOf(pruningCurve);
    }

    /**
     * The pretrained CIFAR-10 ResNet18, found in the first folder of {@link #searchPath()} that holds
     * {@value #RESNET18_CIFAR10} and {@code resnet18-cifar10.json}; its SHA-256 is checked.
     *
     * @throws IllegalStateException when it is found nowhere (the message lists where it looked and how to get it),
     *     or when the file found is not the expected one
     */
    public static Pretrained resnet18Cifar10() {
        List<Path> dirs = searchPath();
        for (Path d : dirs) {
            if (Files.isRegularFile(d.resolve(RESNET18_CIFAR10)) && Files.isRegularFile(d.resolve(json(RESNET18_CIFAR10)))) {
                return resnet18Cifar10(d);
            }
        }
        for (Path d : dirs) {
            if (Files.isRegularFile(d.resolve(RESNET18_CIFAR10_FP16)) && Files.isRegularFile(d.resolve(json(RESNET18_CIFAR10_FP16)))) {
                Pretrained p = resnet18Cifar10HalfPrecision(d);
                System.err.println("Pretrained: " + RESNET18_CIFAR10 + " not found; using the half-precision copy " + p.onnx()
                        + " (accuracy " + p.testAccuracy() + " with the rounded weights; PyTorch's reference curve is the fp32 file's and is left out)");
                return p;
            }
        }
        StringBuilder m = new StringBuilder("The pretrained CIFAR-10 ResNet18 (" + RESNET18_CIFAR10 + " and " + json(RESNET18_CIFAR10)
                + ", or the half-precision " + RESNET18_CIFAR10_FP16 + " and its json) was not found. Searched, in order:\n");
        for (Path d : dirs) {
            m.append("  ").append(d).append("  (").append(!Files.isDirectory(d) ? "missing"
                    : !Files.isRegularFile(d.resolve(RESNET18_CIFAR10)) ? "no " + RESNET18_CIFAR10 : "no " + json(RESNET18_CIFAR10)).append(")\n");
        }
        m.append("Get it: on the project's machines both files are in ../shared/models beside the repository; lay them out with\n")
                .append("  toolkit/scripts/lay-out-models.sh ").append(dirs.get(0).getParent()).append('\n')
                .append("(or copy them into one of the folders above); the same script copies the repository's half-precision copy from\n")
                .append("datasets/models/ (./squeeze and Binder's postBuild run it).");
        throw new IllegalStateException(m.toString());
    }

    /**
     * The pretrained CIFAR-10 ResNet18 from {@code dir} (a folder holding {@value #RESNET18_CIFAR10} and its json).
     *
     * @throws IllegalStateException when the file's SHA-256 or architecture is not the expected one
     */
    public static Pretrained resnet18Cifar10(Path dir) {
        Path onnx = dir.resolve(RESNET18_CIFAR10);
        byte[] bytes = OnnxImport.readBytes(onnx);
        String sha = OnnxImport.sha256(bytes);
        if (!sha.equals(RESNET18_CIFAR10_SHA256)) {
            throw new IllegalStateException(onnx + " has SHA-256 " + sha + " but the pretrained ResNet18 has " + RESNET18_CIFAR10_SHA256
                    + "; the file is damaged or another model: copy it again from ../shared/models");
        }
        JsonObject j = readJson(dir.resolve(json(RESNET18_CIFAR10)));
        Preprocessing prep = preprocessing(j, dir.resolve(json(RESNET18_CIFAR10)));
        List<PruningPoint> curve = new ArrayList<>();
        if (j.has("global_l1_one_shot")) {
            for (JsonElement e : j.getAsJsonArray("global_l1_one_shot")) {
                JsonObject o = e.getAsJsonObject();
                curve.add(new PruningPoint(o.get("scope").getAsString(), o.get("sparsity").getAsDouble(),
                        o.get("measured_sparsity").getAsDouble(), o.get("one_shot_accuracy").getAsDouble()));
            }
        }
        Network net = OnnxImport.load(bytes, RESNET18_CIFAR10, "resnet18");
        Architecture zoo = Zoo.resnet18(new int[] {3, 32, 32}, 10);
        if (!net.architecture().equals(zoo)) {
            net.close();
            throw new IllegalStateException(onnx + " does not have Zoo.resnet18's layout (" + net.architecture() + ")");
        }
        return new Pretrained(net, prep, j.get("test_accuracy").getAsDouble(), j.has("test_images") ? j.get("test_images").getAsInt() : 0,
                curve, onnx);
    }

    /**
     * The half-precision copy from {@code dir} ({@value #RESNET18_CIFAR10_FP16} and its json): the same
     * weights rounded to float16, with the accuracy measured on them; no pruning curve (PyTorch's is the
     * fp32 file's).
     */
    public static Pretrained resnet18Cifar10HalfPrecision(Path dir) {
        Path half = dir.resolve(RESNET18_CIFAR10_FP16);
        Path halfJson = dir.resolve(json(RESNET18_CIFAR10_FP16));
        JsonObject j = readJson(halfJson);
        Network net = dev.squeeze.model.ModelFile.load(half);
        if (!net.architecture().equals(Zoo.resnet18(new int[] {3, 32, 32}, 10))) {
            net.close();
            throw new IllegalStateException(half + " does not have Zoo.resnet18's layout (" + net.architecture() + ")");
        }
        return new Pretrained(net, preprocessing(j, halfJson), j.get("test_accuracy").getAsDouble(),
                j.has("test_images") ? j.get("test_images").getAsInt() : 0, List.of(), half);
    }

    /**
     * Where pretrained models are looked for, in order: the data home's {@code models/} folder
     * ({@link DataHome#defaultHome()}: {@code -Dsqueeze.data}, else {@code $SQUEEZE_DATA}, else
     * {@code ~/.squeeze/data}), then {@code ~/.squeeze/data/models} when the data home is elsewhere.
     */
    public static List<Path> searchPath() {
        List<Path> out = new ArrayList<>();
        out.add(DataHome.defaultHome().resolve("models"));
        Path home = Path.of(System.getProperty("user.home"), ".squeeze", "data", "models").toAbsolutePath().normalize();
        if (!out.contains(home)) out.add(home);
        return out;
    }

    /**
     * The preprocessing in the json beside an ONNX file ({@code model.onnx} → {@code model.json}, its
     * {@code "preprocessing"} block), or empty when there is no such json: what {@code eval --model-file F.onnx}
     * should use before falling back to the data set's default.
     */
    public static java.util.Optional<Preprocessing> preprocessingBeside(Path onnx) {
        Path j = onnx.resolveSibling(json(onnx.getFileName().toString()));
        if (!Files.isRegularFile(j)) return java.util.Optional.empty();
        JsonObject o = readJson(j);
        return o.has("preprocessing") ? java.util.Optional.of(preprocessing(o, j)) : java.util.Optional.empty();
    }

    private static String json(String model) { return model.replaceFirst("\\.(onnx|sqz)$", ".json"); }

    private static JsonObject readJson(Path p) {
        try {
            return JsonParser.parseString(Files.readString(p, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + p + ": " + e, e);
        } catch (RuntimeException e) {
            throw new IllegalStateException(p + " is not the model's JSON description: " + e.getMessage(), e);
        }
    }

    /** {@code "preprocessing": {"scale": "1/255", "mean": [...], "std": [...]}}. */
    static Preprocessing preprocessing(JsonObject j, Path where) {
        JsonObject p = j.getAsJsonObject("preprocessing");
        if (p == null) throw new IllegalStateException(where + " has no \"preprocessing\"");
        String scale = p.has("scale") ? p.get("scale").getAsString() : "1/255";
        if (!scale.replace(" ", "").equals("1/255")) {
            throw new IllegalStateException(where + ": preprocessing scale " + scale + " is not 1/255, the only one Squeeze's BatchMaker applies");
        }
        return new Preprocessing(floats(p.getAsJsonArray("mean")), floats(p.getAsJsonArray("std")), 0, false);
    }

    private static float[] floats(JsonArray a) {
        float[] v = new float[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = a.get(i).getAsFloat();
        return v;
    }

    @Override public void close() { network.close(); }
}
