package dev.squeeze.notebook;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import javax.imageio.ImageIO;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;

import tech.tablesaw.api.Table;

/**
 * Rich output for notebook cells: images, HTML, Markdown, tables and charts.
 *
 * <p>Squeeze notebooks run under IJava (kernel spec {@code java}, the default locally and on Binder)
 * and under the rapaio Jupyter kernel (spec {@code rapaio}); CI executes every notebook under both.
 * Both kernels can send a Jupyter {@code display_data}
 * message, but through different, kernel-private APIs. This class reaches them by reflection only,
 * so the toolkit has no compile-time or runtime dependency on either kernel and the same notebook
 * code works under both, and in plain JVMs (tests, the CLI), where output degrades to one printed
 * line per call.
 *
 * <p>Every method is a statement returning {@code void} on purpose: a value-returning call as the
 * last line of a cell would additionally be echoed by the kernel as an {@code execute_result}.
 *
 * <p>No method ever throws because of the display machinery: if the kernel refuses the message,
 * the call falls back to printing, since losing a figure must never fail a notebook run.
 */
public final class Display {

    /** Rows shown by {@link #table(Table)}: enough to inspect, small enough to keep notebooks light. */
    public static final int DEFAULT_TABLE_ROWS = 20;

    private static final String TEXT = "text/plain";
    private static final String HTML = "text/html";
    private static final String MARKDOWN = "text/markdown";
    private static final String PNG = "image/png";

    private Display() {
    }

    /** Which kernel receives the output: {@code "rapaio"}, {@code "ijava"} or {@code "none"}. */
    public static String kernel() {
        return Sinks.ACTIVE.name();
    }

    /** Plain text, shown as a cell output (outside a notebook: printed as is). */
    public static void text(String text) {
        publish(bundle(TEXT, String.valueOf(text)));
    }

    /** An HTML fragment. The plain-text alternative is a placeholder so consoles stay readable. */
    public static void html(String html) {
        String value = String.valueOf(html);
        publish(bundle(HTML, value, TEXT, "[html, " + value.length() + " chars]"));
    }

    /** Markdown, rendered by the front end; its source doubles as the plain-text alternative. */
    public static void markdown(String markdown) {
        String value = String.valueOf(markdown);
        publish(bundle(MARKDOWN, value, TEXT, value));
    }

    /** An already encoded PNG (e.g. written by another library). */
    public static void png(byte[] png) {
        if (png == null || png.length == 0) {
            text("[image/png: empty]");
            return;
        }
        publish(bundle(PNG, Base64.getEncoder().encodeToString(png), TEXT, pngPlaceholder(png)));
    }

    /** An image, sent as PNG because every Jupyter front end and nbconvert renders it. */
    public static void image(BufferedImage image) {
        if (image == null) {
            text("[image: null]");
            return;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, "png", out)) {
                text("[image " + image.getWidth() + "x" + image.getHeight() + ": no PNG writer for this image type]");
                return;
            }
        } catch (IOException | RuntimeException e) {
            text("[image " + image.getWidth() + "x" + image.getHeight() + ": PNG encoding failed: " + e + "]");
            return;
        }
        png(out.toByteArray());
    }

    /** The first {@value #DEFAULT_TABLE_ROWS} rows of a Tablesaw table as an HTML table. */
    public static void table(Table table) {
        table(table, DEFAULT_TABLE_ROWS);
    }

    /**
     * The first {@code maxRows} rows of a Tablesaw table as an HTML table. Tablesaw's own
     * {@code print()} of the same rows is the plain-text alternative, so the console fallback is
     * still a table.
     */
    public static void table(Table table, int maxRows) {
        if (table == null) {
            text("[table: null]");
            return;
        }
        int shown = Math.max(0, Math.min(maxRows, table.rowCount()));
        String text = table.first(shown).print(shown) + rowsNote(table, shown);
        publish(bundle(HTML, tableHtml(table, shown), TEXT, text));
    }

    /**
     * An XChart chart, rasterised to PNG at its own size. A bitmap (not SVG) so the executed
     * notebook and its HTML export look the same in every viewer.
     */
    public static void chart(Chart<?, ?> chart) {
        if (chart == null) {
            text("[chart: null]");
            return;
        }
        BufferedImage image;
        try {
            image = BitmapEncoder.getBufferedImage(chart);
        } catch (RuntimeException | LinkageError e) {
            // Usually a headless JVM without fonts; say so instead of failing the cell.
            text("[chart '" + chart.getTitle() + "': rendering failed: " + e + "]");
            return;
        }
        image(image);
    }

    // ---------------------------------------------------------------------------------------------

    private static Map<String, String> bundle(String... mimeAndData) {
        Map<String, String> bundle = new LinkedHashMap<>();
        for (int i = 0; i + 1 < mimeAndData.length; i += 2) {
            bundle.put(mimeAndData[i], mimeAndData[i + 1]);
        }
        return bundle;
    }

    private static void publish(Map<String, String> bundle) {
        Sink sink = Sinks.ACTIVE;
        try {
            sink.publish(bundle);
        } catch (Exception | LinkageError e) {
            // A kernel upgrade changed the private API we reflect on: keep the notebook running.
            Throwable cause = e instanceof InvocationTargetException ite && ite.getCause() != null ? ite.getCause() : e;
            Sinks.CONSOLE.publish(bundle);
            System.err.println("[squeeze] display via " + sink.name() + " failed, printed instead: " + cause);
        }
    }

    private static String pngPlaceholder(byte[] png) {
        // Width and height sit at fixed offsets of the IHDR chunk that must follow the signature.
        if (png.length >= 24 && png[12] == 'I' && png[13] == 'H' && png[14] == 'D' && png[15] == 'R') {
            return "[image/png " + readInt(png, 16) + "x" + readInt(png, 20) + ", " + png.length + " bytes]";
        }
        return "[image/png, " + png.length + " bytes]";
    }

    private static int readInt(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
    }

    /** One HTML renderer for tables everywhere: {@link dev.squeeze.report.Tables#html}, plus the rows note. */
    private static String tableHtml(Table table, int shown) {
        String note = rowsNote(table, shown);
        return dev.squeeze.report.Tables.html(table.first(shown))
                + (note.isEmpty() ? "" : "<p><em>" + note.strip() + "</em></p>");
    }

    private static String rowsNote(Table table, int shown) {
        return shown < table.rowCount() ? "\n" + shown + " of " + table.rowCount() + " rows shown" : "";
    }


    // ---------------------------------------------------------------------------------------------
    // One small strategy per kernel. Each only has to turn a MIME bundle (mime type -> data, images
    // base64-encoded as the Jupyter protocol wants) into that kernel's display call.

    private interface Sink {
        String name();

        void publish(Map<String, String> bundle) throws Exception;
    }

    /** Detected once: the kernel cannot change under a running JVM. */
    private static final class Sinks {
        static final ConsoleSink CONSOLE = new ConsoleSink();
        static final Sink ACTIVE = detect();

        private static Sink detect() {
            try {
                Optional<Sink> sink = RapaioSink.create();
                if (sink.isEmpty()) {
                    sink = IJavaSink.create();
                }
                return sink.orElse(CONSOLE);
            } catch (Exception | LinkageError e) {
                return CONSOLE;
            }
        }
    }

    /** Outside a notebook: one readable line per call, never an exception. */
    private static final class ConsoleSink implements Sink {
        @Override
        public String name() {
            return "none";
        }

        @Override
        public void publish(Map<String, String> bundle) {
            PrintStream out = System.out;
            out.println(bundle.getOrDefault(TEXT, "[" + String.join(", ", bundle.keySet()) + "]"));
        }
    }

    /**
     * rapaio-jupyter-kernel 3.x: {@code org.rapaio.jupyter.kernel.MainApp.kernel} (static
     * {@code RapaioKernel}) has {@code display(DisplayData)}; {@code DisplayData.withType(mime, data)}
     * builds a bundle and {@code putData(mime, data)} adds alternatives. Cell code runs inside the
     * kernel JVM (JShell local execution), so the system class loader sees the kernel's classes.
     */
    private static final class RapaioSink implements Sink {
        private static final String MAIN = "org.rapaio.jupyter.kernel.MainApp";
        private static final String DATA = "org.rapaio.jupyter.kernel.display.DisplayData";

        private final Object kernel;
        private final Method withType;
        private final Method putData;
        private final Method display;

        private RapaioSink(Object kernel, Class<?> data) throws ReflectiveOperationException {
            this.kernel = kernel;
            this.withType = data.getMethod("withType", String.class, String.class);
            this.putData = data.getMethod("putData", String.class, Object.class);
            this.display = kernel.getClass().getMethod("display", data);
        }

        static Optional<Sink> create() throws ReflectiveOperationException {
            Optional<Class<?>> main = findClass(MAIN);
            // MainApp's static initialiser builds a whole kernel, so only touch MainApp.kernel when
            // this JVM really was launched as that kernel, never merely because the jar is visible.
            if (main.isEmpty() || !runningMain(MAIN)) {
                return Optional.empty();
            }
            Object kernel = main.get().getField("kernel").get(null);
            Optional<Class<?>> data = findClass(DATA);
            if (kernel == null || data.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new RapaioSink(kernel, data.get()));
        }

        @Override
        public String name() {
            return "rapaio";
        }

        @Override
        public void publish(Map<String, String> bundle) throws ReflectiveOperationException {
            Object data = null;
            for (Map.Entry<String, String> e : bundle.entrySet()) {
                if (data == null) {
                    data = withType.invoke(null, e.getKey(), e.getValue());
                } else {
                    putData.invoke(data, e.getKey(), e.getValue());
                }
            }
            if (data != null) {
                display.invoke(kernel, data);
            }
        }
    }

    /**
     * IJava 1.3: {@code io.github.spencerpark.ijava.IJava.getKernelInstance()} returns the running
     * {@code JavaKernel} (null outside the kernel); its {@code display(DisplayData)} comes from the
     * jupyter-jvm-basekernel, whose {@code DisplayData(String text)} starts a bundle with text/plain.
     */
    private static final class IJavaSink implements Sink {
        private static final String MAIN = "io.github.spencerpark.ijava.IJava";
        private static final String DATA = "io.github.spencerpark.jupyter.kernel.display.DisplayData";

        private final Object kernel;
        private final Class<?> data;
        private final Method putData;
        private final Method display;

        private IJavaSink(Object kernel, Class<?> data) throws ReflectiveOperationException {
            this.kernel = kernel;
            this.data = data;
            this.putData = data.getMethod("putData", String.class, Object.class);
            this.display = kernel.getClass().getMethod("display", data);
        }

        static Optional<Sink> create() throws ReflectiveOperationException {
            Optional<Class<?>> main = findClass(MAIN);
            if (main.isEmpty()) {
                return Optional.empty();
            }
            Object kernel = main.get().getMethod("getKernelInstance").invoke(null);
            Optional<Class<?>> data = findClass(DATA);
            if (kernel == null || data.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new IJavaSink(kernel, data.get()));
        }

        @Override
        public String name() {
            return "ijava";
        }

        @Override
        public void publish(Map<String, String> bundle) throws ReflectiveOperationException {
            Object out = data.getConstructor(String.class).newInstance(bundle.getOrDefault(TEXT, ""));
            for (Map.Entry<String, String> e : bundle.entrySet()) {
                if (!TEXT.equals(e.getKey())) {
                    putData.invoke(out, e.getKey(), e.getValue());
                }
            }
            display.invoke(kernel, out);
        }
    }

    /**
     * Kernel classes live in the kernel's own (system) class loader while cell code and this class
     * may be loaded by JShell's per-session loader, so look in each; never initialise the class here.
     */
    private static Optional<Class<?>> findClass(String name) {
        ClassLoader[] loaders = {
            Thread.currentThread().getContextClassLoader(),
            Display.class.getClassLoader(),
            ClassLoader.getSystemClassLoader(),
        };
        for (ClassLoader loader : loaders) {
            if (loader == null) {
                continue;
            }
            try {
                return Optional.of(Class.forName(name, false, loader));
            } catch (ClassNotFoundException | LinkageError e) {
                // try the next loader
            }
        }
        return Optional.empty();
    }

    /** True when some live thread is executing inside {@code className}, i.e. it is this JVM's main. */
    private static boolean runningMain(String className) {
        for (StackTraceElement[] stack : Thread.getAllStackTraces().values()) {
            for (StackTraceElement frame : stack) {
                if (className.equals(frame.getClassName())) {
                    return true;
                }
            }
        }
        return false;
    }
}
