package dev.squeeze.export;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal protobuf decoder for tests: reads back the ONNX fields Squeeze writes (and the node list
 * of the optimized models ONNX Runtime writes), independently of {@link ProtoWriter}.
 */
final class OnnxReader {
    private OnnxReader() {}

    /** One field occurrence: a varint / fixed value, or the bytes of a length-delimited field. */
    record Field(int number, int wireType, long value, byte[] bytes) {
        String string() { return new String(bytes, StandardCharsets.UTF_8); }
    }

    static List<Field> fields(byte[] msg) {
        List<Field> out = new ArrayList<>();
        int[] pos = {0};
        while (pos[0] < msg.length) {
            long key = varint(msg, pos);
            int number = (int) (key >>> 3), wt = (int) (key & 7);
            switch (wt) {
                case 0 -> out.add(new Field(number, wt, varint(msg, pos), null));
                case 1 -> { out.add(new Field(number, wt, ByteBuffer.wrap(msg, pos[0], 8).order(ByteOrder.LITTLE_ENDIAN).getLong(), null)); pos[0] += 8; }
                case 5 -> { out.add(new Field(number, wt, ByteBuffer.wrap(msg, pos[0], 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xFFFFFFFFL, null)); pos[0] += 4; }
                case 2 -> {
                    int len = (int) varint(msg, pos);
                    byte[] b = new byte[len];
                    System.arraycopy(msg, pos[0], b, 0, len);
                    pos[0] += len;
                    out.add(new Field(number, wt, len, b));
                }
                default -> throw new IllegalArgumentException("wire type " + wt + " at " + pos[0]);
            }
        }
        return out;
    }

    static long varint(byte[] b, int[] pos) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            byte x = b[pos[0]++];
            v |= (long) (x & 0x7F) << shift;
            if ((x & 0x80) == 0) return v;
        }
    }

    record Node(String opType, String domain, String name, List<String> inputs, List<String> outputs, Map<String, Field> attributes) {}
    record Initializer(String name, int dataType, long[] dims, byte[] raw) {}
    record Model(long irVersion, Map<String, Long> opsets, List<Node> nodes, List<Initializer> initializers, List<String> inputs,
                 List<String> outputs, Map<String, String> metadata) {
        long count(String opType) { return nodes.stream().filter(n -> n.opType.equals(opType)).count(); }
        Initializer initializer(String name) {
            return initializers.stream().filter(i -> i.name.equals(name)).findFirst().orElseThrow(() -> new AssertionError("no initializer " + name));
        }
    }

    static Model read(Path p) {
        try {
            return parse(Files.readAllBytes(p));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Model parse(byte[] bytes) {
        long ir = 0;
        Map<String, Long> opsets = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        byte[] graph = null;
        for (Field f : fields(bytes)) {
            switch (f.number()) {
                case 1 -> ir = f.value();
                case 7 -> graph = f.bytes();
                case 8 -> {
                    String domain = "";
                    long version = 0;
                    for (Field o : fields(f.bytes())) {
                        if (o.number() == 1) domain = o.string();
                        if (o.number() == 2) version = o.value();
                    }
                    opsets.put(domain, version);
                }
                case 14 -> {
                    List<Field> kv = fields(f.bytes());
                    meta.put(kv.get(0).string(), kv.get(1).string());
                }
                default -> { }
            }
        }
        List<Node> nodes = new ArrayList<>();
        List<Initializer> inits = new ArrayList<>();
        List<String> inputs = new ArrayList<>(), outputs = new ArrayList<>();
        for (Field f : fields(graph)) {
            switch (f.number()) {
                case 1 -> nodes.add(node(f.bytes()));
                case 5 -> inits.add(initializer(f.bytes()));
                case 11 -> inputs.add(fields(f.bytes()).get(0).string());
                case 12 -> outputs.add(fields(f.bytes()).get(0).string());
                default -> { }
            }
        }
        return new Model(ir, opsets, nodes, inits, inputs, outputs, meta);
    }

    private static Node node(byte[] b) {
        String op = "", domain = "", name = "";
        List<String> in = new ArrayList<>(), out = new ArrayList<>();
        Map<String, Field> attrs = new LinkedHashMap<>();
        for (Field f : fields(b)) {
            switch (f.number()) {
                case 1 -> in.add(f.string());
                case 2 -> out.add(f.string());
                case 3 -> name = f.string();
                case 4 -> op = f.string();
                case 7 -> domain = f.string();
                case 5 -> {
                    List<Field> a = fields(f.bytes());
                    attrs.put(a.get(0).string(), a.size() > 1 ? a.get(1) : null);
                }
                default -> { }
            }
        }
        return new Node(op, domain, name, in, out, attrs);
    }

    private static Initializer initializer(byte[] b) {
        List<Long> dims = new ArrayList<>();
        int type = 0;
        String name = "";
        byte[] raw = new byte[0];
        for (Field f : fields(b)) {
            switch (f.number()) {
                case 1 -> dims.add(f.value());
                case 2 -> type = (int) f.value();
                case 8 -> name = f.string();
                case 9 -> raw = f.bytes();
                default -> { }
            }
        }
        return new Initializer(name, type, dims.stream().mapToLong(Long::longValue).toArray(), raw);
    }
}
