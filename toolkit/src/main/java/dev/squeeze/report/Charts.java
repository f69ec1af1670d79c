package dev.squeeze.report;

import dev.squeeze.train.EpochStats;
import dev.squeeze.train.TrainResult;
import dev.squeeze.util.AtomicFiles;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** One-line XChart helpers. Each returns the chart so callers can restyle it before rendering. */
public final class Charts {
    private Charts() {}

    public static final int WIDTH = 720;
    public static final int HEIGHT = 420;

    /** Train loss, train accuracy and test accuracy per epoch (accuracy on the right axis's scale 0–1). */
    public static XYChart trainingCurves(TrainResult r, String title) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("epoch").yAxisTitle("loss / accuracy").build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        List<EpochStats> h = r.history();
        double[] x = h.stream().mapToDouble(EpochStats::epoch).toArray();
        c.addSeries("train loss", x, h.stream().mapToDouble(EpochStats::trainLoss).toArray());
        c.addSeries("train accuracy", x, h.stream().mapToDouble(EpochStats::trainAccuracy).toArray());
        double[] test = h.stream().mapToDouble(EpochStats::testAccuracy).toArray();
        if (java.util.Arrays.stream(test).noneMatch(Double::isNaN)) c.addSeries("test accuracy", x, test);
        return c;
    }

    /** A labelled point per model: file size (KB, log scale) against accuracy. */
    public static XYChart accuracyVsSize(List<String> labels, double[] sizeBytes, double[] accuracy, String title) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("model file size (KB)")
                .yAxisTitle("test accuracy").build();
        c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        c.getStyler().setXAxisLogarithmic(true);
        c.getStyler().setMarkerSize(10);
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        for (int i = 0; i < labels.size(); i++) {
            c.addSeries(labels.get(i), new double[] {sizeBytes[i] / 1024.0}, new double[] {accuracy[i]}).setMarker(SeriesMarkers.CIRCLE);
        }
        return c;
    }

    /** Median latency bars with min–max error bars. */
    public static CategoryChart latencyBars(List<String> labels, double[] medianMs, double[] minMs, double[] maxMs, String title) {
        CategoryChart c = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("").yAxisTitle("ms (median)").build();
        c.getStyler().setLegendVisible(false);
        c.getStyler().setXAxisLabelRotation(30);
        double[] err = new double[medianMs.length];
        for (int i = 0; i < err.length; i++) err[i] = Math.max(maxMs[i] - medianMs[i], medianMs[i] - minMs[i]);
        c.addSeries("latency", labels, toList(medianMs), toList(err));
        return c;
    }

    /** Bars of means with ± error bars (e.g. accuracy over seeds). */
    public static CategoryChart meanBars(List<String> labels, double[] mean, double[] error, String yTitle, String title) {
        CategoryChart c = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("").yAxisTitle(yTitle).build();
        c.getStyler().setLegendVisible(false);
        c.getStyler().setXAxisLabelRotation(20);
        c.addSeries("mean", labels, toList(mean), toList(error));
        return c;
    }

    /**
     * A labelled point per model: trainable parameters (log scale) against mean accuracy, with ± error bars
     * (e.g. the standard deviation over seeds): what a smaller model costs in accuracy.
     */
    public static XYChart accuracyVsParameters(List<String> labels, double[] parameters, double[] mean, double[] error,
            String yTitle, String title) {
        if (parameters.length != labels.size() || mean.length != labels.size() || error.length != labels.size()) {
            throw new IllegalArgumentException("Charts.accuracyVsParameters needs one parameter count, mean and error per label: "
                    + labels.size() + " labels, " + parameters.length + " parameter counts, " + mean.length + " means, "
                    + error.length + " errors");
        }
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("trainable parameters (log)")
                .yAxisTitle(yTitle).build();
        c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        c.getStyler().setXAxisLogarithmic(true);
        c.getStyler().setMarkerSize(10);
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        for (int i = 0; i < labels.size(); i++) {
            c.addSeries(labels.get(i), new double[] {parameters[i]}, new double[] {mean[i]}, new double[] {error[i]})
                    .setMarker(SeriesMarkers.CIRCLE);
        }
        return c;
    }

    /**
     * One line per named series of (x, y) points: e.g. accuracy against sparsity for each pruning
     * method. Series keep their insertion order; x values are fractions shown as given.
     */
    public static XYChart lines(java.util.Map<String, double[][]> series, String xTitle, String yTitle, String title) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideSW);
        c.getStyler().setMarkerSize(7);
        for (var e : series.entrySet()) {
            if (e.getValue()[0].length == 0) continue;
            c.addSeries(e.getKey(), e.getValue()[0], e.getValue()[1]).setMarker(SeriesMarkers.CIRCLE);
        }
        return c;
    }

    /** Bars of one value per category (e.g. the sparsity global pruning left in each layer). */
    public static CategoryChart bars(List<String> labels, double[] values, String yTitle, String title) {
        CategoryChart c = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("").yAxisTitle(yTitle).build();
        c.getStyler().setLegendVisible(false);
        c.getStyler().setXAxisLabelRotation(60);
        c.addSeries(yTitle, labels, toList(values));
        return c;
    }

    /** Top-1 accuracy per class, as bars. */
    public static CategoryChart perClassAccuracy(List<String> classes, double[] accuracy, String title) {
        CategoryChart c = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("").yAxisTitle("accuracy").build();
        c.getStyler().setLegendVisible(false);
        c.getStyler().setXAxisLabelRotation(30);
        c.getStyler().setYAxisMin(0.0);
        c.getStyler().setYAxisMax(1.0);
        c.addSeries("accuracy", classes, toList(accuracy));
        return c;
    }

    private static List<Double> toList(double[] v) {
        return java.util.Arrays.stream(v).boxed().toList();
    }

    /**
     * An activation histogram (counts on a log axis) with one vertical line per clipping threshold —
     * how each calibration method cuts the same distribution.
     *
     * @param thresholds upper clipping value per method, in activation units
     */
    public static XYChart histogramWithThresholds(dev.squeeze.quant.GrowingHistogram h, List<String> methods, double[] thresholds,
            String title) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("activation value")
                .yAxisTitle("count (log)").build();
        c.getStyler().setYAxisLogarithmic(true);
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        c.getStyler().setMarkerSize(0);
        long from = h.occupiedFrom(), to = h.occupiedTo();
        double[] counts = h.dense(from, to + 1);
        int step = Math.max(1, counts.length / 400); // merge bins so the line stays readable
        int n = (counts.length + step - 1) / step;
        double[] x = new double[n], y = new double[n];
        double top = 1;
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (int k = i * step; k < Math.min(counts.length, (i + 1) * step); k++) sum += counts[k];
            x[i] = h.lowerEdge(from + (long) i * step);
            y[i] = Math.max(sum, 0.5); // log axis: keep empty bins drawable
            top = Math.max(top, sum);
        }
        c.addSeries("histogram", x, y).setMarker(SeriesMarkers.NONE);
        for (int i = 0; i < methods.size(); i++) {
            c.addSeries(methods.get(i) + String.format(java.util.Locale.ROOT, " (%.3g)", thresholds[i]),
                    new double[] {thresholds[i], thresholds[i]}, new double[] {0.5, top}).setMarker(SeriesMarkers.NONE);
        }
        return c;
    }

    public static BufferedImage image(Chart<?, ?> chart) {
        return BitmapEncoder.getBufferedImage(chart);
    }

    public static byte[] png(Chart<?, ?> chart) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(image(chart), "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the chart as a PNG, atomically. */
    public static Path savePng(Chart<?, ?> chart, Path file) {
        byte[] png = png(chart);
        AtomicFiles.write(file, out -> out.write(png));
        return file;
    }
}
