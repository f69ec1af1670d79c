package dev.squeeze.notebook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Outside a notebook every call must print one readable line (or a table) and never throw; the
 * kernel paths are exercised by executing notebooks (toolkit/scripts/run-notebooks.py).
 */
class DisplayTest {

    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private PrintStream original;

    @BeforeEach
    void captureStdout() {
        original = System.out;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreStdout() {
        System.setOut(original);
    }

    private List<String> lines() {
        return captured.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void noKernelOutsideNotebooks() {
        assertEquals("none", Display.kernel());
    }

    @Test
    void textualOutputsFallBackToReadableLines() {
        Display.text("plain");
        Display.markdown("# Title");
        Display.html("<b>x</b>");
        Display.text(null);
        assertEquals(List.of("plain", "# Title", "[html, 8 chars]", "null"), lines());
    }

    @Test
    void imagesPrintTheirSize() {
        BufferedImage image = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.ORANGE);
        g.fillRect(5, 5, 10, 10);
        g.dispose();
        Display.image(image);
        Display.image(null);
        Display.png(new byte[0]);
        Display.png(new byte[] {1, 2, 3});
        List<String> out = lines();
        assertTrue(out.get(0).startsWith("[image/png 40x30, "), out.get(0));
        assertEquals(List.of("[image: null]", "[image/png: empty]", "[image/png, 3 bytes]"), out.subList(1, 4));
    }

    @Test
    void tablesPrintTheShownRowsAndSayHowManyThereAre() {
        Table table = Table.create("scores",
            IntColumn.create("n", 1, 2, 3),
            StringColumn.create("s", "a<b", "c", "d"));
        Display.table(table, 2);
        String out = captured.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("a<b"), out);
        assertTrue(!out.contains(" d "), out);
        assertTrue(out.contains("2 of 3 rows shown"), out);
        Display.table(null);
        assertTrue(lines().getLast().equals("[table: null]"));
    }

    @Test
    void chartsRenderToPng() {
        XYChart chart = new XYChartBuilder().width(320).height(200).title("loss").build();
        chart.addSeries("train", new double[] {1, 2, 3}, new double[] {3, 1, 2});
        Display.chart(chart);
        Display.chart(null);
        List<String> out = lines();
        assertTrue(out.get(0).startsWith("[image/png 320x200, "), out.get(0));
        assertEquals("[chart: null]", out.get(1));
    }
}
