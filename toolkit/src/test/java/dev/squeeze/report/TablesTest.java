package dev.squeeze.report;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

class TablesTest {
    record Row(String modelName, int bits, double accuracy, long sizeBytes, int[] skipped) {}

    @Test
    void recordsBecomeSnakeCaseColumnsAndArraysAreLeftOut() {
        Table t = Tables.fromRecords("t", List.of(new Row("a<b", 8, 0.5, 10, new int[1]), new Row("c", 4, Double.NaN, 20, null)));
        assertEquals(List.of("model_name", "bits", "accuracy", "size_bytes"), t.columnNames());
        assertEquals(2, t.rowCount());
        assertEquals(20L, t.longColumn("size_bytes").get(1));
    }

    @Test
    void htmlEscapesFormatsAndLeavesMissingCellsEmpty() {
        String html = Tables.html(Tables.fromRecords("cap & more", List.of(new Row("a<b", 8, 0.123456, 10, null),
                new Row("c", 4, Double.NaN, 20, null))));
        assertTrue(html.contains("<caption>cap &amp; more</caption>"), html);
        assertTrue(html.contains("<td>a&lt;b</td>"), html);
        assertTrue(html.contains("<td>0.1235</td>"), html);
        assertTrue(html.contains("<td></td>"), "NaN renders as an empty cell: " + html);
        assertFalse(html.contains("NaN"), html);
    }
}
