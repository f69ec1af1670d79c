package dev.squeeze.export;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.squeeze.model.Architecture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Not a unit test: imports every {@code .onnx} that {@code toolkit/scripts/peer/torchvision_onnx.py}
 * wrote (full-size MobileNetV2 ×0.5, ShuffleNetV2 ×0.5 and ResNet18 at 224×224 and 32×32, opsets 11
 * and 13, fixed and dynamic batch, BatchNorm folded or kept; too large to commit) and compares the logits with torch's from the
 * {@code .json} beside each. Prints one line per file and writes the figures as JSON.
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp CLASSPATH \
 *        dev.squeeze.export.OnnxTorchvisionCheck OUT.json DIR...
 * </pre>
 */
public final class OnnxTorchvisionCheck {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) throw new IllegalArgumentException("usage: OnnxTorchvisionCheck OUT.json DIR... (directories written by torchvision_onnx.py)");
        List<Path> files = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            try (Stream<Path> s = Files.list(Path.of(args[i]))) {
                s.filter(p -> p.toString().endsWith(".onnx")).sorted().forEach(files::add);
            }
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        int k = 0;
        for (Path f : files) {
            k++;
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("file", f.getFileName().toString());
            JsonObject meta = JsonParser.parseString(Files.readString(f.resolveSibling(f.getFileName().toString().replaceFirst("\\.onnx$", ".json"))))
                    .getAsJsonObject();
            row.put("opset", meta.get("opset").getAsInt());
            row.put("dynamic_batch", meta.get("dynamic_batch").getAsBoolean());
            row.put("keep_batchnorm", meta.has("keep_batchnorm") && meta.get("keep_batchnorm").getAsBoolean());
            row.put("onnx_ops", meta.get("ops"));
            row.put("max_abs_logit", meta.get("max_abs_logit").getAsDouble());
            long t0 = System.nanoTime();
            try {
                Architecture a = OnnxImport.readArchitecture(f);
                double worst = OnnxTorchvisionTest.maxDifferenceFromTorch(f);
                row.put("imported", true);
                row.put("squeeze_layers", a.layers().size());
                row.put("max_abs_diff_vs_torch", worst);
                row.put("within_1e-4", worst < 1e-4);
            } catch (RuntimeException e) {
                row.put("imported", false);
                row.put("error", e.getMessage());
            }
            row.put("seconds", Math.round((System.nanoTime() - t0) / 1e7) / 100.0);
            System.out.println("[" + k + "/" + files.size() + "] " + row.get("file") + ": "
                    + (Boolean.TRUE.equals(row.get("imported")) ? "max |squeeze - torch| = " + row.get("max_abs_diff_vs_torch")
                            + " (logits up to " + row.get("max_abs_logit") + ")" : "refused: " + row.get("error")));
            rows.add(row);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("what", "Squeeze's OnnxImport on torch.onnx.export files of torchvision's architectures (toolkit/scripts/peer/torchvision_onnx.py);"
                + " logits on the seeded batch in each file's .json compared with torch's");
        out.put("torch", "1.13.0a0 (Debian), onnx 1.12");
        out.put("results", rows);
        Files.writeString(Path.of(args[0]), new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(out));
    }
}
