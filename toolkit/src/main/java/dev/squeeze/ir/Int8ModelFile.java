package dev.squeeze.ir;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.squeeze.model.Layer;
import dev.squeeze.util.Sha256;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Encoding and decoding of {@link Int8Model} files; the format is documented on {@link Int8Model}. */
final class Int8ModelFile {
    private Int8ModelFile() {}

    static final byte[] MAGIC = "SQZINT8\0".getBytes(StandardCharsets.US_ASCII);
    private static final int PREFIX = 16; // magic, version, header length
    private static final int SHA = 32;
    private static final String REEXPORT = "; re-export it from the quantized network (QuantizedNetwork.convert().write(path))";

    // ---- encode ---------------------------------------------------------------------------------

    static byte[] encode(Int8Model m) {
        Payload payload = new Payload();
        JsonObject h = new JsonObject();
        h.addProperty("format", "squeeze-int8");
        h.addProperty("name", m.name());
        h.add("input_shape", ints(m.inputShape().toArray()));
        JsonObject prov = new JsonObject();
        m.provenance().forEach(prov::addProperty);
        h.add("provenance", prov);
        JsonArray ops = encodeOps(m.ops(), payload, m.nodeNames());
        h.addProperty("payload_bytes", payload.size());
        h.add("ops", ops);
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        byte[] body = payload.bytes();
        ByteBuffer buf = ByteBuffer.allocate(PREFIX + header.length + body.length + SHA).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(MAGIC).putInt(version(m)).putInt(header.length).put(header).put(body);
        byte[] all = buf.array();
        System.arraycopy(Sha256.of(all, all.length - SHA), 0, all, all.length - SHA, SHA);
        return all;
    }

    /**
     * The oldest format that holds {@code m}: 2 unless it uses what version 3 added (lookup, concat,
     * channel_slice and channel_shuffle ops, the relu6 and hard_swish activations), so a model without
     * them still opens in a Squeeze that reads only version 2; 4 when a channel_shuffle carries an explicit
     * "order" (a pruned ShuffleNet's permutation). A version-3 reader does not know "order" and would read
     * such an op as a shuffle of 1 group, the identity, so the file must be one it refuses.
     */
    static int version(Int8Model m) {
        for (Int8Op op : m.flatOps()) if (op instanceof Int8Op.ChannelShuffle c && c.layer().explicit()) return 4;
        for (Int8Op op : m.flatOps()) {
            Activation a = switch (op) {
                case Int8Op.Conv c -> c.activation();
                case Int8Op.Dense d -> d.activation();
                case Int8Op.Act x -> x.activation();
                case Int8Op.Add x -> x.activation();
                case Int8Op.Lookup l -> l.activation();
                default -> Activation.NONE;
            };
            boolean newKind = op instanceof Int8Op.Lookup || op instanceof Int8Op.Concat || op instanceof Int8Op.ChannelSlice
                    || op instanceof Int8Op.ChannelShuffle;
            if (newKind || a.kind() == Activation.Kind.RELU6 || a.kind() == Activation.Kind.HARD_SWISH) return 3;
        }
        return 2;
    }

    private static JsonArray encodeOps(List<Int8Op> ops, Payload p, Map<Integer, String> names) {
        JsonArray arr = new JsonArray();
        for (Int8Op op : ops) arr.add(encodeOp(op, p, names));
        return arr;
    }

    private static JsonObject encodeOp(Int8Op op, Payload p, Map<Integer, String> names) {
        JsonObject o = new JsonObject();
        o.addProperty("op", op.kind());
        if (op.id() >= 0) o.addProperty("id", op.id());
        // Optional and informational: a reader that does not know "node" runs the op the same, so no new version.
        if (names.containsKey(op.id())) o.addProperty("node", names.get(op.id()));
        o.add("in_shape", ints(op.inputShape().toArray()));
        switch (op) {
            case Int8Op.QuantizeInput q -> o.add("out", grid(q.output()));
            case Int8Op.Dequantize d -> o.add("in", grid(d.output()));
            case Int8Op.Conv c -> {
                Layer.Conv2d l = c.layer();
                o.add("layer", ints(l.in(), l.out(), l.kernel(), l.stride(), l.padding(), l.groups(), l.bias() ? 1 : 0));
                linear(o, c.input(), c.output(), c.activation(), c.weights(), c.biasView(), c.requantization(), p);
            }
            case Int8Op.Dense d -> {
                o.add("layer", ints(d.layer().in(), d.layer().out(), d.layer().bias() ? 1 : 0));
                linear(o, d.input(), d.output(), d.activation(), d.weights(), d.biasView(), d.requantization(), p);
            }
            case Int8Op.MaxPool m -> {
                o.add("layer", ints(m.layer().kernel(), m.layer().stride(), m.layer().padding()));
                o.add("out", grid(m.output()));
            }
            case Int8Op.AvgPool m -> {
                o.add("layer", ints(m.layer().kernel(), m.layer().stride(), m.layer().padding()));
                o.add("out", grid(m.output()));
            }
            case Int8Op.GlobalAvgPool g -> o.add("out", grid(g.output()));
            case Int8Op.Flatten f -> o.add("out", grid(f.output()));
            case Int8Op.Act a -> {
                o.add("in", grid(a.input()));
                o.add("out", grid(a.output()));
                activation(o, a.activation());
                o.add("requant", requant(a.requantization(), a.output(), p));
            }
            case Int8Op.Lookup l -> {
                o.add("in", grid(l.input()));
                o.add("out", grid(l.output()));
                activation(o, l.activation());
                o.add("table", p.addInts(l.tableView()));
            }
            case Int8Op.Concat c -> {
                JsonArray branches = new JsonArray(), grids = new JsonArray(), rescales = new JsonArray();
                for (List<Int8Op> b : c.branches()) branches.add(encodeOps(b, p, names));
                for (QuantParams g : c.branchGrids()) grids.add(grid(g));
                for (Requantizer r : c.rescales()) rescales.add(ints(r.multiplier(), r.shift()));
                o.add("branches", branches);
                o.add("branch_grids", grids);
                o.add("out", grid(c.output()));
                o.add("rescales", rescales);
            }
            case Int8Op.ChannelSlice c -> {
                o.add("layer", ints(c.layer().from(), c.layer().to()));
                o.add("out", grid(c.output()));
            }
            case Int8Op.ChannelShuffle c -> {
                o.add("layer", ints(c.layer().groups()));
                // Absent for the g-group shuffle, so those ops encode as in version 3.
                if (c.layer().explicit()) o.add("order", ints(c.layer().order()));
                o.add("out", grid(c.output()));
            }
            case Int8Op.Add a -> {
                o.add("body", encodeOps(a.body(), p, names));
                o.add("shortcut", encodeOps(a.shortcut(), p, names));
                o.add("a", grid(a.a()));
                o.add("b", grid(a.b()));
                o.add("out", grid(a.output()));
                activation(o, a.activation());
                o.addProperty("left_shift", a.leftShift());
                o.add("a_rescale", ints(a.aRescale().multiplier(), a.aRescale().shift()));
                o.add("b_rescale", ints(a.bRescale().multiplier(), a.bRescale().shift()));
                o.add("requant", requant(a.requantization(), a.output(), p));
            }
        }
        return o;
    }

    private static void linear(JsonObject o, QuantParams in, QuantParams out, Activation act, Int8Weights w, int[] bias,
            Requantization r, Payload p) {
        o.add("in", grid(in));
        o.add("out", grid(out));
        activation(o, act);
        JsonObject wj = new JsonObject();
        wj.addProperty("method", w.method().name().toLowerCase(java.util.Locale.ROOT));
        wj.addProperty("bits", w.bits());
        wj.add("code_range", ints(w.codeMin(), w.codeMax()));
        wj.addProperty("per_channel", w.perChannelScales());
        wj.add("codes", p.add(w.packedView()));
        wj.add("scales", p.addFloats(w.scales()));
        if (!w.symmetric()) wj.add("zero_points", p.addInts(w.zeroPoints())); // absent: all zero
        o.add("weights", wj);
        o.add("bias", p.addInts(bias));
        o.add("requant", requant(r, out, p));
    }

    private static JsonObject requant(Requantization r, QuantParams out, Payload p) {
        JsonObject o = new JsonObject();
        o.add("multipliers", p.addInts(r.multipliers()));
        o.add("shifts", p.addShifts(r.shifts()));
        o.addProperty("clamp_min", r.clampMin());
        // Below the output grid's qmax only under ReLU6 (the code of real 6); absent: the grid's qmax, as in version 2.
        if (r.qmax() != out.qmax()) o.addProperty("clamp_max", r.qmax());
        if (!r.singleBranch()) { // LeakyReLU only
            o.add("neg_multipliers", p.addInts(r.negativeMultipliers()));
            o.add("neg_shifts", p.addShifts(r.negativeShifts()));
            o.addProperty("neg_clamp_min", r.negativeClampMin());
        }
        return o;
    }

    private static void activation(JsonObject o, Activation a) {
        o.addProperty("act", a.kind().name().toLowerCase(java.util.Locale.ROOT));
        if (a.kind() == Activation.Kind.LEAKY_RELU) o.addProperty("alpha", a.alpha());
    }

    private static JsonArray grid(QuantParams q) {
        JsonArray a = new JsonArray();
        a.add(q.scale()); // Float.toString: shortest decimal that parses back to the same float
        a.add(q.zeroPoint());
        a.add(q.qmin());
        a.add(q.qmax());
        return a;
    }

    private static JsonArray ints(int... v) {
        JsonArray a = new JsonArray();
        for (int x : v) a.add(x);
        return a;
    }

    /** The binary payload under construction; every array is referenced as [offset, bytes]. */
    private static final class Payload {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        int size() { return out.size(); }
        byte[] bytes() { return out.toByteArray(); }

        JsonArray add(byte[] b) {
            JsonArray ref = ints(out.size(), b.length);
            out.writeBytes(b);
            return ref;
        }

        JsonArray addInts(int[] v) {
            ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int x : v) b.putInt(x);
            return add(b.array());
        }

        JsonArray addFloats(float[] v) {
            ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float x : v) b.putFloat(x);
            return add(b.array());
        }

        /** Shifts lie in [−31, 31]: one signed byte each. */
        JsonArray addShifts(int[] v) {
            byte[] b = new byte[v.length];
            for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
            return add(b);
        }
    }

    // ---- decode ---------------------------------------------------------------------------------

    static Int8Model read(Path path) {
        byte[] all;
        try {
            all = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read int8 model file " + path + ": " + e.getMessage()
                    + "; check the path and its permissions", e);
        }
        return decode(all, path.toString());
    }

    /**
     * Decodes a whole file. Integrity is checked before anything is parsed, so a truncated or modified
     * file is one clear error, never an exception from deep inside the parser.
     */
    static Int8Model decode(byte[] all, String where) {
        if (all.length < MAGIC.length || !Arrays.equals(Arrays.copyOf(all, MAGIC.length), MAGIC)) {
            throw new IllegalArgumentException("Int8 model file " + where + " does not start with the int8 magic 'SQZINT8' ("
                    + all.length + " bytes): it is not a Squeeze int8 model (fp32 models load with ModelFile.load)");
        }
        if (all.length < PREFIX + SHA) {
            throw new IllegalArgumentException("Int8 model file " + where + " is truncated: " + all.length
                    + " bytes, shorter than the fixed " + (PREFIX + SHA) + "-byte frame" + REEXPORT);
        }
        byte[] want = Sha256.of(all, all.length - SHA);
        if (!Arrays.equals(want, Arrays.copyOfRange(all, all.length - SHA, all.length))) {
            throw new IllegalArgumentException("Int8 model file " + where + " fails its SHA-256 check (" + all.length
                    + " bytes): it is truncated or was modified after writing" + REEXPORT);
        }
        ByteBuffer buf = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        int version = buf.getInt(MAGIC.length);
        if (version == 1) {
            throw new IllegalArgumentException("Int8 model file " + where + " has format version 1, whose requantization rounded twice"
                    + " (gemmlowp); this Squeeze rounds once (version " + Int8Model.FORMAT_VERSION + ") and would not reproduce the"
                    + " outputs the file was checked with: re-export it from the fp32 model (./squeeze qat or ./squeeze export)");
        }
        if (version < 2 || version > Int8Model.FORMAT_VERSION) {
            throw new IllegalArgumentException("Int8 model file " + where + " has format version " + version + "; this Squeeze reads"
                    + " versions 2 to " + Int8Model.FORMAT_VERSION + ": upgrade Squeeze, or re-export the model with this version");
        }
        try {
            int hl = buf.getInt(MAGIC.length + 4);
            if (hl < 2 || hl > all.length - PREFIX - SHA) {
                throw new IllegalArgumentException("header length " + hl + " does not fit in " + all.length + " bytes");
            }
            JsonObject h = JsonParser.parseString(new String(all, PREFIX, hl, StandardCharsets.UTF_8)).getAsJsonObject();
            if (!"squeeze-int8".equals(str(h, "format"))) throw new IllegalArgumentException("header format is not 'squeeze-int8'");
            int payloadBytes = integer(h, "payload_bytes");
            if (payloadBytes != all.length - PREFIX - hl - SHA) {
                throw new IllegalArgumentException("header announces " + payloadBytes + " payload bytes but the file holds "
                        + (all.length - PREFIX - hl - SHA));
            }
            Reader r = new Reader(ByteBuffer.wrap(all, PREFIX + hl, payloadBytes).slice().order(ByteOrder.LITTLE_ENDIAN));
            Map<String, String> prov = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : obj(h, "provenance").entrySet()) prov.put(e.getKey(), e.getValue().getAsString());
            Int8Model m = new Int8Model(str(h, "name"), decodeOps(arr(h, "ops"), r), prov, nodeNames(arr(h, "ops"), new java.util.HashMap<>()));
            if (!Arrays.equals(m.inputShape().toArray(), intArray(arr(h, "input_shape")))) {
                throw new IllegalArgumentException("header input_shape differs from the quantize-input op's shape");
            }
            return m;
        } catch (UnknownKind e) {
            throw new IllegalArgumentException("Int8 model file " + where + " holds an op of kind '" + e.kind + "', which this"
                    + " Squeeze (format version " + Int8Model.FORMAT_VERSION + ") cannot run: the file was written by a newer"
                    + " Squeeze; upgrade Squeeze, or re-export the model from its fp32 network with this version", e);
        } catch (RuntimeException e) {
            // The checksum matched, so the bytes are what some writer wrote: a different or buggy version.
            throw new IllegalArgumentException("Int8 model file " + where + " passes its checksum but does not describe a valid"
                    + " int8 model (" + e.getMessage() + "): it was written by an incompatible version of Squeeze" + REEXPORT, e);
        }
    }

    /** An op kind this version does not know: the file comes from a newer writer. */
    private static final class UnknownKind extends IllegalArgumentException {
        final String kind;

        UnknownKind(String kind) {
            super("unknown op kind '" + kind + "'");
            this.kind = kind;
        }
    }

    /** Every op's optional "node" name, nested ops included; absent in files written before names were stored. */
    private static Map<Integer, String> nodeNames(JsonArray arr, Map<Integer, String> out) {
        for (JsonElement e : arr) {
            JsonObject o = e.getAsJsonObject();
            if (o.has("node")) out.put(integer(o, "id"), str(o, "node"));
            for (String nested : new String[] {"body", "shortcut"}) if (o.has(nested)) nodeNames(arr(o, nested), out);
            if (o.has("branches")) for (JsonElement b : arr(o, "branches")) nodeNames(b.getAsJsonArray(), out);
        }
        return out;
    }

    private static List<Int8Op> decodeOps(JsonArray arr, Reader r) {
        List<Int8Op> ops = new ArrayList<>();
        for (JsonElement e : arr) ops.add(decodeOp(e.getAsJsonObject(), r));
        return ops;
    }

    private static Int8Op decodeOp(JsonObject o, Reader r) {
        String kind = str(o, "op");
        TensorShape in = TensorShape.of(intArray(arr(o, "in_shape")));
        return switch (kind) {
            case "quantize" -> new Int8Op.QuantizeInput(in, grid(o, "out"));
            case "dequantize" -> new Int8Op.Dequantize(in, grid(o, "in"));
            case "conv" -> {
                int[] l = intArray(arr(o, "layer"), 7);
                Layer.Conv2d layer = new Layer.Conv2d(l[0], l[1], l[2], l[3], l[4], l[5], l[6] != 0);
                Int8Weights w = weights(obj(o, "weights"), layer.out(), layer.in() / layer.groups() * layer.kernel() * layer.kernel(), r);
                yield new Int8Op.Conv(integer(o, "id"), layer, in, grid(o, "in"), grid(o, "out"), activation(o), w,
                        r.ints(arr(o, "bias"), layer.out()), requant(obj(o, "requant"), layer.out(), grid(o, "out"), r));
            }
            case "dense" -> {
                int[] l = intArray(arr(o, "layer"), 3);
                Layer.Linear layer = new Layer.Linear(l[0], l[1], l[2] != 0);
                Int8Weights w = weights(obj(o, "weights"), layer.out(), layer.in(), r);
                Int8Op.Dense d = new Int8Op.Dense(integer(o, "id"), layer, grid(o, "in"), grid(o, "out"), activation(o), w,
                        r.ints(arr(o, "bias"), layer.out()), requant(obj(o, "requant"), layer.out(), grid(o, "out"), r));
                if (!d.inputShape().equals(in)) throw new IllegalArgumentException("dense op " + d.id() + " in_shape " + in + " ≠ " + d.inputShape());
                yield d;
            }
            case "max_pool" -> {
                int[] l = intArray(arr(o, "layer"), 3);
                yield new Int8Op.MaxPool(integer(o, "id"), new Layer.MaxPool(l[0], l[1], l[2]), in, grid(o, "out"));
            }
            case "avg_pool" -> {
                int[] l = intArray(arr(o, "layer"), 3);
                yield new Int8Op.AvgPool(integer(o, "id"), new Layer.AvgPool(l[0], l[1], l[2]), in, grid(o, "out"));
            }
            case "global_avg_pool" -> new Int8Op.GlobalAvgPool(integer(o, "id"), in, grid(o, "out"));
            case "flatten" -> new Int8Op.Flatten(integer(o, "id"), in, grid(o, "out"));
            case "act" -> new Int8Op.Act(integer(o, "id"), activation(o), in, grid(o, "in"), grid(o, "out"),
                    requant(obj(o, "requant"), 1, grid(o, "out"), r));
            case "add" -> {
                int[] ar = intArray(arr(o, "a_rescale"), 2), br = intArray(arr(o, "b_rescale"), 2);
                yield new Int8Op.Add(integer(o, "id"), decodeOps(arr(o, "body"), r), decodeOps(arr(o, "shortcut"), r), in,
                        grid(o, "a"), grid(o, "b"), grid(o, "out"), activation(o), integer(o, "left_shift"),
                        new Requantizer(ar[0], ar[1], 0, Integer.MIN_VALUE, Integer.MAX_VALUE),
                        new Requantizer(br[0], br[1], 0, Integer.MIN_VALUE, Integer.MAX_VALUE),
                        requant(obj(o, "requant"), 1, grid(o, "out"), r));
            }
            case "lookup" -> {
                QuantParams inGrid = grid(o, "in");
                yield new Int8Op.Lookup(integer(o, "id"), activation(o), in, inGrid, grid(o, "out"),
                        r.ints(arr(o, "table"), inGrid.qmax() - inGrid.qmin() + 1));
            }
            case "concat" -> {
                QuantParams out = grid(o, "out");
                List<List<Int8Op>> branches = new ArrayList<>();
                for (JsonElement b : arr(o, "branches")) branches.add(decodeOps(b.getAsJsonArray(), r));
                List<QuantParams> grids = new ArrayList<>();
                for (JsonElement g : arr(o, "branch_grids")) grids.add(grid(g.getAsJsonArray(), "branch_grids"));
                List<Requantizer> rescales = new ArrayList<>();
                for (JsonElement e : arr(o, "rescales")) {
                    int[] mr = intArray(e.getAsJsonArray(), 2);
                    rescales.add(new Requantizer(mr[0], mr[1], out.zeroPoint(), out.qmin(), out.qmax()));
                }
                yield new Int8Op.Concat(integer(o, "id"), branches, in, grids, out, rescales);
            }
            case "channel_slice" -> {
                int[] l = intArray(arr(o, "layer"), 2);
                yield new Int8Op.ChannelSlice(integer(o, "id"), new Layer.ChannelSlice(l[0], l[1]), in, grid(o, "out"));
            }
            case "channel_shuffle" -> {
                int[] l = intArray(arr(o, "layer"), 1);
                // "order" (version 4): an explicit permutation, whose "layer" is [1]; without it the g-group shuffle.
                Layer.ChannelShuffle layer = o.has("order") ? new Layer.ChannelShuffle(l[0], intArray(arr(o, "order")))
                        : new Layer.ChannelShuffle(l[0]);
                yield new Int8Op.ChannelShuffle(integer(o, "id"), layer, in, grid(o, "out"));
            }
            default -> throw new UnknownKind(kind);
        };
    }

    private static Int8Weights weights(JsonObject o, int channels, int perChannel, Reader r) {
        WeightMethod method = WeightMethod.valueOf(str(o, "method").toUpperCase(java.util.Locale.ROOT));
        int bits = integer(o, "bits");
        int[] range = intArray(arr(o, "code_range"), 2);
        if (bits < 1 || bits > 8) throw new IllegalArgumentException("weight bits " + bits + " outside [1, 8]");
        byte[] codes = r.bytes(arr(o, "codes"), Int8Weights.packedLength(channels * perChannel, bits));
        float[] scales = r.floats(arr(o, "scales"), channels);
        int[] zps = o.has("zero_points") ? r.ints(arr(o, "zero_points"), channels) : new int[channels];
        return new Int8Weights(method, bits, channels, perChannel, codes, scales, zps, range[0], range[1],
                o.get("per_channel").getAsBoolean());
    }

    private static Requantization requant(JsonObject o, int channels, QuantParams out, Reader r) {
        int[] m = r.ints(arr(o, "multipliers"), channels);
        int[] s = r.shifts(arr(o, "shifts"), channels);
        int lo = integer(o, "clamp_min");
        int hi = o.has("clamp_max") ? integer(o, "clamp_max") : out.qmax();
        List<Requantizer> pos = new ArrayList<>(), neg = new ArrayList<>();
        for (int c = 0; c < channels; c++) pos.add(new Requantizer(m[c], s[c], out.zeroPoint(), lo, hi));
        if (o.has("neg_multipliers")) {
            int[] nm = r.ints(arr(o, "neg_multipliers"), channels);
            int[] ns = r.shifts(arr(o, "neg_shifts"), channels);
            int nlo = integer(o, "neg_clamp_min");
            for (int c = 0; c < channels; c++) neg.add(new Requantizer(nm[c], ns[c], out.zeroPoint(), nlo, hi));
        } else {
            neg = pos;
        }
        return new Requantization(pos, neg);
    }

    private static Activation activation(JsonObject o) {
        return switch (str(o, "act")) {
            case "none" -> Activation.NONE;
            case "relu" -> Activation.RELU;
            case "leaky_relu" -> Activation.leaky(o.get("alpha").getAsFloat());
            case "relu6" -> Activation.RELU6;
            case "hard_swish" -> Activation.HARD_SWISH;
            default -> throw new IllegalArgumentException("unknown activation '" + str(o, "act") + "'");
        };
    }

    private static QuantParams grid(JsonObject o, String key) {
        return grid(arr(o, key), key);
    }

    private static QuantParams grid(JsonArray a, String key) {
        if (a.size() != 4) throw new IllegalArgumentException("grid '" + key + "' needs [scale, zero_point, qmin, qmax], got " + a);
        return new QuantParams(a.get(0).getAsFloat(), a.get(1).getAsInt(), a.get(2).getAsInt(), a.get(3).getAsInt());
    }

    private static String str(JsonObject o, String key) { return field(o, key).getAsString(); }
    private static int integer(JsonObject o, String key) { return field(o, key).getAsInt(); }
    private static JsonArray arr(JsonObject o, String key) { return field(o, key).getAsJsonArray(); }
    private static JsonObject obj(JsonObject o, String key) { return field(o, key).getAsJsonObject(); }

    private static JsonElement field(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            throw new IllegalArgumentException("field '" + key + "' missing in " + (o.has("op") ? "op " + o.get("op") : "header"));
        }
        return e;
    }

    private static int[] intArray(JsonArray a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = a.get(i).getAsInt();
        return v;
    }

    private static int[] intArray(JsonArray a, int n) {
        if (a.size() != n) throw new IllegalArgumentException("expected " + n + " integers, got " + a);
        return intArray(a);
    }

    /** Bounds-checked reads of [offset, bytes] references into the payload. */
    private record Reader(ByteBuffer payload) {
        private ByteBuffer slice(JsonArray ref, long expectBytes) {
            int[] r = intArray(ref, 2);
            if (r[1] != expectBytes) throw new IllegalArgumentException("payload array " + ref + " holds " + r[1] + " bytes, expected " + expectBytes);
            if (r[0] < 0 || (long) r[0] + r[1] > payload.capacity()) {
                throw new IllegalArgumentException("payload array " + ref + " lies outside the " + payload.capacity() + "-byte payload");
            }
            return payload.slice(r[0], r[1]).order(ByteOrder.LITTLE_ENDIAN);
        }

        byte[] bytes(JsonArray ref, int n) {
            byte[] b = new byte[n];
            slice(ref, n).get(b);
            return b;
        }

        int[] ints(JsonArray ref, int n) {
            int[] v = new int[n];
            slice(ref, 4L * n).asIntBuffer().get(v);
            return v;
        }

        float[] floats(JsonArray ref, int n) {
            float[] v = new float[n];
            slice(ref, 4L * n).asFloatBuffer().get(v);
            return v;
        }

        int[] shifts(JsonArray ref, int n) {
            byte[] b = bytes(ref, n);
            int[] v = new int[n];
            for (int i = 0; i < n; i++) v[i] = b[i];
            return v;
        }
    }

    /** True when the file starts with {@link #MAGIC}; false when it is shorter or cannot be read. */
    static boolean startsWithMagic(java.nio.file.Path path) {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(path)) {
            return java.util.Arrays.equals(in.readNBytes(MAGIC.length), MAGIC);
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
