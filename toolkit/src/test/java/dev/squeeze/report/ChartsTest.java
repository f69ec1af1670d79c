package dev.squeeze.report;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

class ChartsTest {

    @Test
    void accuracyVsParametersPlotsOnePointPerModelWithItsErrorBar() {
        XYChart c = Charts.accuracyVsParameters(List.of("teacher", "student"), new double[] {1_300_000, 20_000},
                new double[] {95.5, 93.0}, new double[] {0.4, 1.2}, "test accuracy (%)", "t");
        assertTrue(c.getStyler().isXAxisLogarithmic());
        assertEquals(List.of("teacher", "student"), List.copyOf(c.getSeriesMap().keySet()));
        XYSeries s = c.getSeriesMap().get("student");
        assertArrayEquals(new double[] {20_000}, s.getXData());
        assertArrayEquals(new double[] {93.0}, s.getYData());
        assertArrayEquals(new double[] {1.2}, s.getExtraValues(), "the error bar is the given error");
        assertTrue(Charts.png(c).length > 0);
    }

    @Test
    void accuracyVsParametersNamesTheMismatchedLengths() {
        var e = assertThrows(IllegalArgumentException.class, () -> Charts.accuracyVsParameters(List.of("a", "b"),
                new double[] {1, 2}, new double[] {1}, new double[] {0, 0}, "y", "t"));
        assertTrue(e.getMessage().contains("2 labels") && e.getMessage().contains("1 means"), e.getMessage());
    }
}
