package dev.squeeze.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Receives training progress. The console implementation works in a terminal (one line redrawn in
 * place) and in notebooks and logs (a few plain lines per epoch, since Jupyter keeps every byte a
 * cell prints).
 */
public interface Progress {

    void epochStarted(int epoch, int epochs, int batches);

    /** After each batch; {@code etaSeconds} covers the rest of the whole run. */
    void batch(int epoch, int epochs, int batch, int batches, double loss, double accuracy, double imagesPerSecond,
            double etaSeconds);

    void epochFinished(EpochStats stats, int epochs);

    /**
     * Something the user should know that did not stop the run, e.g. a batch that had to be recomputed.
     * Printed to stderr by default, also by {@link #silent()}: silencing progress does not hide warnings.
     */
    default void warning(String line) { System.err.println(line); }

    /** Prints to stderr in a terminal, stdout otherwise (notebook kernels show stdout as the cell's output). */
    static Progress console() {
        boolean tty = System.console() != null && System.getenv("JPY_PARENT_PID") == null
                && !"none".equals(dev.squeeze.notebook.Display.kernel());
        return new Console(tty ? System.err : System.out, tty);
    }

    static Progress silent() {
        return new Progress() {
            public void epochStarted(int e, int es, int b) { }
            public void batch(int e, int es, int b, int bs, double l, double a, double ips, double eta) { }
            public void epochFinished(EpochStats s, int es) { }
        };
    }

    final class Console implements Progress {
        private final PrintStream out;
        private final boolean redraw;
        private long lastPrint;

        Console(PrintStream out, boolean redraw) {
            this.out = out;
            this.redraw = redraw;
        }

        @Override public void epochStarted(int epoch, int epochs, int batches) { lastPrint = System.nanoTime(); }

        @Override public void batch(int epoch, int epochs, int batch, int batches, double loss, double acc, double ips,
                double eta) {
            long now = System.nanoTime();
            // Redraw a terminal line ~5×/s; in notebooks and logs print at most every 10 s and at 50 % to keep output short.
            boolean due = redraw ? now - lastPrint > 200_000_000L
                    : (now - lastPrint > 10_000_000_000L || batch == batches / 2);
            if (!due || batch == batches) return;
            lastPrint = now;
            String line = String.format(Locale.ROOT, "epoch %d/%d  batch %d/%d  loss %.4f  acc %.3f  %.0f img/s  ETA %s",
                    epoch, epochs, batch, batches, loss, acc, ips, eta(eta));
            if (redraw) out.print("\r" + line + "   ");
            else out.println(line);
            out.flush();
        }

        @Override public void epochFinished(EpochStats s, int epochs) {
            String line = String.format(Locale.ROOT, "epoch %d/%d  loss %.4f  train acc %.3f%s  lr %.2g  %.0f img/s  %.1f s",
                    s.epoch(), epochs, s.trainLoss(), s.trainAccuracy(),
                    Double.isNaN(s.testAccuracy()) ? "" : String.format(Locale.ROOT, "  test acc %.4f", s.testAccuracy()),
                    s.learningRate(), s.imagesPerSecond(), s.seconds());
            out.println((redraw ? "\r" : "") + line + (redraw ? "          " : ""));
            out.flush();
        }

        @Override public void warning(String line) {
            out.println((redraw ? "\r" : "") + line);
            out.flush();
        }

        static String eta(double seconds) {
            if (Double.isNaN(seconds) || Double.isInfinite(seconds)) return "?";
            long s = Math.round(seconds);
            return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60)
                    : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
    }
}
