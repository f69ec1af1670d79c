package dev.squeeze.report;

import dev.squeeze.data.ImageSet;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/** Pictures of data: a labelled grid of sample images, for the first look at a data set. */
public final class Images {
    private Images() {}

    /** The first {@code count} images of {@code set}, scaled ×{@code zoom}, with class names underneath. */
    public static BufferedImage grid(ImageSet set, int count, int columns, int zoom) {
        int n = Math.min(count, set.size());
        if (n <= 0) throw new IllegalArgumentException("grid needs at least one image; " + set.name() + " has " + set.size());
        int cols = Math.max(1, Math.min(columns, n)), rows = (n + cols - 1) / cols;
        int cw = set.width() * zoom, ch = set.height() * zoom, label = 14;
        BufferedImage out = new BufferedImage(cols * (cw + 6), rows * (ch + label + 6), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (int i = 0; i < n; i++) {
            int x0 = (i % cols) * (cw + 6) + 3, y0 = (i / cols) * (ch + label + 6) + 3;
            for (int y = 0; y < set.height(); y++) {
                for (int x = 0; x < set.width(); x++) {
                    int rgb;
                    if (set.channels() >= 3) {
                        rgb = (set.pixel(i, 0, y, x) << 16) | (set.pixel(i, 1, y, x) << 8) | set.pixel(i, 2, y, x);
                    } else {
                        int v = set.pixel(i, 0, y, x);
                        rgb = (v << 16) | (v << 8) | v;
                    }
                    g.setColor(new Color(rgb));
                    g.fillRect(x0 + x * zoom, y0 + y * zoom, zoom, zoom);
                }
            }
            g.setColor(Color.DARK_GRAY);
            String name = set.classes().get(set.label(i));
            g.drawString(name.length() > 12 ? name.substring(0, 12) : name, x0, y0 + ch + label - 2);
        }
        g.dispose();
        return out;
    }
}
