package dev.squeeze;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package layering of issue 10, read from the main sources: the data-only types in {@code ir} and the
 * executors in {@code exec} depend on no DJL code and nothing of {@code quant}; {@code export} reads int8 models
 * through {@code ir}, not {@code quant}; {@code ir} depends on none of the packages built on it. A dependency is
 * an import (single type, wildcard or static) or a fully qualified name in code; comments and string literals
 * do not count, so javadoc may still point at the class that makes a type.
 */
class PackageDependencyTest {

    /** One main source file: its package, what it depends on, and where. */
    record Source(Path path, String pkg, String className, List<String> references, String code) {}

    private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?([\\w.]+)(\\.\\*)?;", Pattern.MULTILINE);
    private static final Pattern QUALIFIED = Pattern.compile("(?<![\\w.])((?:ai\\.djl|dev\\.squeeze)(?:\\.\\w+)+)");

    @Test
    void exec_and_ir_use_neither_djl_nor_quant() {
        List<String> bad = new ArrayList<>();
        for (Source s : sources().values()) {
            if (!inPackage(s, "dev.squeeze.exec") && !inPackage(s, "dev.squeeze.ir")) continue;
            for (String r : s.references()) {
                if (r.startsWith("ai.djl.") || r.startsWith("dev.squeeze.quant.")) bad.add(s.className() + " uses " + r);
            }
        }
        assertTrue(bad.isEmpty(), "exec and ir must not depend on DJL or dev.squeeze.quant; move the data type the code needs"
                + " into dev.squeeze.ir: " + bad);
    }

    @Test
    void export_uses_neither_quant_nor_djl_types() {
        List<String> bad = new ArrayList<>();
        for (Source s : sources().values()) {
            if (!inPackage(s, "dev.squeeze.export")) continue;
            for (String r : s.references()) {
                if (r.startsWith("dev.squeeze.quant.") || r.startsWith("ai.djl.")) bad.add(s.className() + " uses " + r);
            }
        }
        // Export reads and writes weights through model.Network's accessors (names, shapes, float arrays), so
        // DJL stays behind that one class; int8 models come from dev.squeeze.ir.
        assertTrue(bad.isEmpty(), "export uses neither dev.squeeze.quant (int8 models are dev.squeeze.ir) nor DJL types (use Network's accessors): " + bad);
    }

    @Test
    void ir_depends_on_no_package_built_on_it() {
        List<String> above = List.of("quant", "prune", "distill", "train", "exec", "export", "measure", "report", "notebook", "cli");
        List<String> bad = new ArrayList<>();
        for (Source s : sources().values()) {
            if (!inPackage(s, "dev.squeeze.ir")) continue;
            for (String r : s.references()) {
                for (String a : above) if (r.startsWith("dev.squeeze." + a + ".")) bad.add(s.className() + " uses " + r);
            }
        }
        assertTrue(bad.isEmpty(), "ir is the bottom layer under quant, exec and export; it must not import them (a cycle): " + bad);
    }

    /**
     * Not only the direct imports: whatever ir and exec reach in Squeeze (model.Layer, util.AtomicFiles, ...) must be
     * DJL-free too, else importing, say, model.Network would bring the engine back in through the side door.
     */
    @Test
    void nothing_that_ir_or_exec_reaches_uses_djl() {
        Map<String, Source> all = sources();
        Map<String, String> via = new TreeMap<>(); // reached class → the class that reached it
        Deque<String> todo = new ArrayDeque<>();
        for (Source s : all.values()) {
            if (inPackage(s, "dev.squeeze.exec") || inPackage(s, "dev.squeeze.ir")) {
                via.put(s.className(), "(start)");
                todo.add(s.className());
            }
        }
        List<String> bad = new ArrayList<>();
        while (!todo.isEmpty()) {
            Source s = all.get(todo.poll());
            List<String> djl = s.references().stream().filter(r -> r.startsWith("ai.djl.")).toList();
            if (!djl.isEmpty()) bad.add(s.className() + " (reached from " + via.get(s.className()) + ") uses " + djl.get(0)
                    + (djl.size() > 1 ? " and " + (djl.size() - 1) + " more DJL types" : ""));
            for (String dep : dependencies(s, all)) {
                if (via.putIfAbsent(dep, s.className()) == null) todo.add(dep);
            }
        }
        assertTrue(via.containsKey("dev.squeeze.model.Layer"), "the walk must follow imports out of ir (FusedOp uses model.Layer)");
        assertTrue(bad.isEmpty(), "ir and exec reach DJL code: " + bad);
    }

    /** The scanner must see a violation where there is one, or the tests above prove nothing. */
    @Test
    void the_scanner_sees_imports_and_qualified_names_but_not_comments() {
        Source s = parse(Path.of("X.java"), """
                package dev.squeeze.exec;

                import ai.djl.ndarray.NDArray;
                import static dev.squeeze.quant.Checks.finite;
                // dev.squeeze.quant.QConfig in a comment
                /** {@link dev.squeeze.quant.Quantization} in javadoc */
                class X {
                    String s = "dev.squeeze.quant.QuantizedNetwork in a string";
                    Object o = dev.squeeze.quant.Fusion.of(null);
                }
                """);
        assertEquals(List.of("ai.djl.ndarray.NDArray", "dev.squeeze.quant.Checks.finite", "dev.squeeze.quant.Fusion.of"),
                s.references());
        Map<String, Source> all = sources();
        Source qat = all.get("dev.squeeze.quant.QatBlocks");
        assertNotNull(qat, "QatBlocks is where quant builds DJL blocks");
        assertTrue(qat.references().stream().anyMatch(r -> r.startsWith("ai.djl.")), "the real sources are scanned: " + qat.references());
    }

    // ---- scanning -------------------------------------------------------------------------------

    private static boolean inPackage(Source s, String pkg) {
        return s.pkg().equals(pkg) || s.pkg().startsWith(pkg + ".");
    }

    /** The main sources; the tests run in the module directory ({@code toolkit}) or, from an IDE, in the repository root. */
    private static Path root() {
        for (Path p : List.of(Path.of("src/main/java"), Path.of("toolkit/src/main/java"))) {
            if (Files.isDirectory(p.resolve("dev/squeeze"))) return p;
        }
        throw new IllegalStateException("PackageDependencyTest reads the main sources but found neither src/main/java nor"
                + " toolkit/src/main/java under " + Path.of("").toAbsolutePath() + "; run it from the toolkit module or the repository root");
    }

    private static Map<String, Source> cache;

    private static synchronized Map<String, Source> sources() {
        if (cache == null) cache = scan();
        return cache;
    }

    private static Map<String, Source> scan() {
        Path root = root();
        Map<String, Source> out = new HashMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Source s = parse(f, Files.readString(f));
                out.put(s.className(), s);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertTrue(out.size() > 100, "expected the toolkit's main sources under " + root.toAbsolutePath() + ", found " + out.size() + " files");
        return out;
    }

    static Source parse(Path path, String text) {
        Matcher p = PACKAGE.matcher(text);
        String pkg = p.find() ? p.group(1) : "";
        String name = path.getFileName().toString().replace(".java", "");
        String code = stripCommentsAndStrings(text);
        Set<String> refs = new LinkedHashSet<>();
        Matcher m = IMPORT.matcher(code);
        while (m.find()) refs.add(m.group(1) + (m.group(2) != null ? ".*" : ""));
        String body = IMPORT.matcher(PACKAGE.matcher(code).replaceAll("")).replaceAll("");
        Matcher q = QUALIFIED.matcher(body);
        while (q.find()) refs.add(q.group(1));
        return new Source(path, pkg, pkg.isEmpty() ? name : pkg + "." + name, List.copyOf(refs), body);
    }

    /**
     * The text with comments, string and char literals and text blocks blanked (line breaks kept), by a small
     * scanner: a regular expression with alternation backtracks itself into a stack overflow on the larger files.
     */
    static String stripCommentsAndStrings(String t) {
        StringBuilder out = new StringBuilder(t.length());
        int i = 0, n = t.length();
        while (i < n) {
            char c = t.charAt(i);
            String end = null;
            if (t.startsWith("//", i)) end = "\n";
            else if (t.startsWith("/*", i)) end = "*/";
            else if (t.startsWith("\"\"\"", i)) end = "\"\"\"";
            else if (c == '"') end = "\"";
            else if (c == '\'') end = "'";
            if (end == null) {
                out.append(c);
                i++;
                continue;
            }
            int j = i + (end.equals("\"\"\"") ? 3 : end.equals("*/") || end.equals("\n") ? 2 : 1);
            while (j < n && !t.startsWith(end, j)) j += t.charAt(j) == '\\' && !end.equals("\n") && !end.equals("*/") ? 2 : 1;
            j = Math.min(n, j + (end.equals("\n") ? 0 : end.length()));
            for (int k = i; k < j; k++) out.append(t.charAt(k) == '\n' ? '\n' : ' ');
            out.append(' ');
            i = j;
        }
        return out.toString();
    }

    /** The Squeeze classes {@code s} uses: through imports and qualified names, and its own package's by simple name. */
    private static Set<String> dependencies(Source s, Map<String, Source> all) {
        Set<String> out = new LinkedHashSet<>();
        for (String r : s.references()) {
            if (!r.startsWith("dev.squeeze.")) continue;
            if (r.endsWith(".*")) {
                String pkg = r.substring(0, r.length() - 2);
                for (Source t : all.values()) if (t.pkg().equals(pkg)) out.add(t.className());
                continue;
            }
            // dev.squeeze.exec.Arena.Tensor, a static member, a method after a qualified name: the longest known prefix.
            for (String c = r; c.contains("."); c = c.substring(0, c.lastIndexOf('.'))) {
                if (all.containsKey(c)) {
                    out.add(c);
                    break;
                }
            }
        }
        for (Source t : all.values()) {
            if (t.pkg().equals(s.pkg()) && t != s) {
                String simple = t.className().substring(t.pkg().length() + 1);
                if (Pattern.compile("(?<![\\w.])" + simple + "\\b").matcher(s.code()).find()) out.add(t.className());
            }
        }
        out.remove(s.className());
        return out;
    }
}
