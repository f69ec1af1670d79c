package dev.squeeze.report;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.Table;

/**
 * Issue 12's comparison plot: the fine-tuned accuracy drop from the fine-tuned dense model against global
 * sparsity, Squeeze's curve (one or more {@code ./squeeze prune --budget standard} outputs) beside
 * PyTorch's (the peer script's JSON), in one chart and one table. Drops, not accuracies, are compared:
 * both start from the same pretrained weights but each side's dense baseline is fine-tuned with its own
 * engine (Squeeze fp32 through libtorch, PyTorch bf16 autocast).
 *
 * <pre>{@code
 * java -cp toolkit/target/test-classes:toolkit/target/classes:toolkit/target/lib/* dev.squeeze.report.PrunePeerChart \
 *     OUT.png PEER.json SQUEEZE_PRUNE.json [MORE_SQUEEZE_PRUNE.json ...]
 * }</pre>
 * Each Squeeze file must carry {@code dense_finetuned_accuracy} (a run with {@code --finetune-epochs ≥ 1});
 * several files are merged by sparsity, and their dense baselines must agree (the recipe is seeded).
 */
public final class PrunePeerChart {
    private PrunePeerChart() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 3) throw new IllegalArgumentException("usage: PrunePeerChart OUT.png PEER.json SQUEEZE_PRUNE.json...");
        JsonObject peer = read(Path.of(args[1])).getAsJsonObject("finetune");
        TreeMap<Double, Double> torch = new TreeMap<>();
        double torchDense = Double.NaN;
        for (JsonElement e : peer.getAsJsonArray("points")) {
            JsonObject p = e.getAsJsonObject();
            if (!"conv+linear".equals(p.get("scope").getAsString())) continue;
            double s = p.get("sparsity").getAsDouble(), acc = p.get("finetuned_accuracy").getAsDouble();
            if (s == 0) torchDense = acc; else torch.put(s, acc);
        }
        TreeMap<Double, Double> squeeze = new TreeMap<>();
        double squeezeDense = Double.NaN;
        for (int i = 2; i < args.length; i++) {
            JsonObject j = read(Path.of(args[i]));
            if (!j.has("dense_finetuned_accuracy")) throw new IllegalArgumentException(args[i] + " has no dense_finetuned_accuracy: run prune with --finetune-epochs 1");
            double d = j.get("dense_finetuned_accuracy").getAsDouble();
            if (!Double.isNaN(squeezeDense) && d != squeezeDense) {
                throw new IllegalArgumentException(args[i] + ": dense fine-tuned " + d + " differs from " + squeezeDense + " in an earlier file; the runs used different recipes or seeds");
            }
            squeezeDense = d;
            for (JsonElement e : j.getAsJsonArray("points")) {
                JsonObject p = e.getAsJsonObject();
                if (!"conv+linear".equals(p.get("scope").getAsString()) || p.get("finetuned_accuracy").isJsonNull()) continue;
                squeeze.put(p.get("sparsity").getAsDouble(), p.get("finetuned_accuracy").getAsDouble());
            }
        }
        Map<String, double[][]> series = new LinkedHashMap<>();
        series.put(String.format(Locale.ROOT, "Squeeze (DJL fp32), dense %.2f %%", 100 * squeezeDense), drops(squeeze, squeezeDense));
        series.put(String.format(Locale.ROOT, "PyTorch (bf16 autocast), dense %.2f %%", 100 * torchDense), drops(torch, torchDense));
        Path out = Path.of(args[0]);
        var chart = Charts.lines(series, "global sparsity (conv + linear)", "fine-tuned drop from fine-tuned dense (points)",
                "ResNet18 CIFAR-10, global L1, 1 epoch fine-tuning over 10,000 images");
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW); // the curves rise to the right
        Charts.savePng(chart, out);

        Table t = Table.create("fine-tuned accuracy drop (points)");
        DoubleColumn sp = DoubleColumn.create("sparsity"), sq = DoubleColumn.create("squeeze drop"), pt = DoubleColumn.create("pytorch drop"),
                diff = DoubleColumn.create("difference");
        List<Double> all = new ArrayList<>(squeeze.keySet());
        for (double s : all) {
            if (!torch.containsKey(s)) continue;
            double a = 100 * (squeezeDense - squeeze.get(s)), b = 100 * (torchDense - torch.get(s));
            sp.append(s); sq.append(a); pt.append(b); diff.append(a - b);
        }
        t.addColumns(sp, sq, pt, diff);
        for (DoubleColumn c : List.of(sq, pt, diff)) c.setPrintFormatter(tech.tablesaw.columns.numbers.NumberColumnFormatter.fixedWithGrouping(2));
        System.out.println(t.print());
        System.out.println("wrote " + out);
    }

    private static double[][] drops(TreeMap<Double, Double> points, double dense) {
        double[][] xy = new double[2][points.size()];
        int i = 0;
        for (Map.Entry<Double, Double> e : points.entrySet()) {
            xy[0][i] = e.getKey();
            xy[1][i++] = 100 * (dense - e.getValue());
        }
        return xy;
    }

    private static JsonObject read(Path p) throws IOException {
        return JsonParser.parseString(Files.readString(p)).getAsJsonObject();
    }
}
