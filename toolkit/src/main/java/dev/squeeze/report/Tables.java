package dev.squeeze.report;

import dev.squeeze.train.TrainResult;
import java.lang.reflect.RecordComponent;
import java.util.List;
import tech.tablesaw.api.BooleanColumn;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/** Tablesaw tables from Squeeze's result records. Static factories; tables are fresh and yours to modify. */
public final class Tables {
    private Tables() {}

    /**
     * One row per record, one column per record component, named in snake_case. Numbers become
     * numeric columns, everything else strings. Works for every result record in Squeeze.
     */
    public static Table fromRecords(String name, List<? extends Record> rows) {
        Table t = Table.create(name);
        if (rows.isEmpty()) return t;
        RecordComponent[] comps = rows.get(0).getClass().getRecordComponents();
        for (RecordComponent rc : comps) {
            Class<?> type = rc.getType();
            String col = snake(rc.getName());
            Column<?> c;
            if (type == double.class || type == float.class || type == Double.class || type == Float.class) {
                DoubleColumn d = DoubleColumn.create(col);
                for (Record r : rows) d.append(((Number) get(rc, r)).doubleValue());
                c = d;
            } else if (type == int.class || type == Integer.class || type == short.class) {
                IntColumn d = IntColumn.create(col);
                for (Record r : rows) d.append(((Number) get(rc, r)).intValue());
                c = d;
            } else if (type == long.class || type == Long.class) {
                LongColumn d = LongColumn.create(col);
                for (Record r : rows) d.append(((Number) get(rc, r)).longValue());
                c = d;
            } else if (type == boolean.class || type == Boolean.class) {
                BooleanColumn d = BooleanColumn.create(col);
                for (Record r : rows) d.append((Boolean) get(rc, r));
                c = d;
            } else if (type.isArray()) {
                continue; // arrays (predictions, shapes) do not belong in a summary table
            } else {
                StringColumn d = StringColumn.create(col);
                for (Record r : rows) d.append(String.valueOf(get(rc, r)));
                c = d;
            }
            t.addColumns(c);
        }
        return t;
    }

    /**
     * A table from a result file Squeeze wrote ({@code bench.json}, {@code qat.json}): the array
     * {@code field} of row objects becomes one row each; numbers become numeric columns.
     */
    public static Table fromJsonRows(java.nio.file.Path json, String field, String name) {
        com.google.gson.JsonObject root;
        try {
            root = com.google.gson.JsonParser.parseString(java.nio.file.Files.readString(json)).getAsJsonObject();
        } catch (java.io.IOException | RuntimeException e) {
            throw new IllegalArgumentException("Cannot read result rows from " + json + ": " + e.getMessage(), e);
        }
        if (!root.has(field) || !root.get(field).isJsonArray()) {
            throw new IllegalArgumentException(json + " has no array '" + field + "'; fields: " + root.keySet());
        }
        var rows = root.getAsJsonArray(field);
        java.util.LinkedHashMap<String, Boolean> numeric = new java.util.LinkedHashMap<>();
        for (var r : rows) {
            for (var e : r.getAsJsonObject().entrySet()) {
                boolean num = e.getValue().isJsonNull()
                        || (e.getValue().isJsonPrimitive() && e.getValue().getAsJsonPrimitive().isNumber());
                numeric.merge(e.getKey(), num, Boolean::logicalAnd);
            }
        }
        Table t = Table.create(name);
        for (var col : numeric.entrySet()) {
            if (col.getValue()) {
                DoubleColumn d = DoubleColumn.create(col.getKey());
                for (var r : rows) {
                    var v = r.getAsJsonObject().get(col.getKey());
                    d.append(v == null || v.isJsonNull() ? Double.NaN : v.getAsDouble());
                }
                t.addColumns(d);
            } else {
                StringColumn d = StringColumn.create(col.getKey());
                for (var r : rows) {
                    var v = r.getAsJsonObject().get(col.getKey());
                    d.append(v == null || v.isJsonNull() ? "" : v.isJsonPrimitive() ? v.getAsString() : v.toString());
                }
                t.addColumns(d);
            }
        }
        return t;
    }

    /** Epoch, losses, accuracies, learning rate, throughput of a training run. */
    public static Table history(TrainResult r) {
        return fromRecords("Training history", r.history());
    }

    static String snake(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }

    private static Object get(RecordComponent rc, Record r) {
        try {
            return rc.getAccessor().invoke(r);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Cannot read " + rc.getName() + " of " + r.getClass().getSimpleName(), e);
        }
    }

    /** An HTML rendering for notebooks (Tablesaw prints plain text). */
    public static String html(Table t) {
        StringBuilder sb = new StringBuilder("<table>");
        if (t.name() != null && !t.name().isBlank()) sb.append("<caption>").append(escape(t.name())).append("</caption>");
        sb.append("<thead><tr>");
        for (String c : t.columnNames()) sb.append("<th>").append(escape(c)).append("</th>");
        sb.append("</tr></thead><tbody>");
        for (int r = 0; r < t.rowCount(); r++) {
            sb.append("<tr>");
            for (int c = 0; c < t.columnCount(); c++) {
                Column<?> col = t.column(c);
                Object v = col.get(r);
                String s = v == null ? "" : v instanceof Double d ? format(d) : String.valueOf(v);
                sb.append("<td>").append(escape(s)).append("</td>");
            }
            sb.append("</tr>");
        }
        return sb.append("</tbody></table>").toString();
    }

    static String format(double d) {
        if (Double.isNaN(d)) return "";
        double a = Math.abs(d);
        return a != 0 && (a < 1e-3 || a >= 1e6) ? String.format(java.util.Locale.ROOT, "%.3g", d)
                : String.format(java.util.Locale.ROOT, a < 10 ? "%.4f" : "%.1f", d);
    }

    static String escape(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

}
