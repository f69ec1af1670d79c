package dev.squeeze.model;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.squeeze.util.AtomicFiles;
import dev.squeeze.util.Sha256;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Squeeze's fp32 model file ({@code .sqz}): self-describing, checksummed, written atomically.
 *
 * <pre>
 *   8 bytes   magic "SQZFP32\0"
 *   4 bytes   format version (little-endian int) = 2, or 3 when the architecture holds an explicit
 *             channel permutation
 *   4 bytes   header length L
 *   L bytes   UTF-8 JSON: {"architecture": ..., "provenance": {...},
 *             "parameters": [{"name","path","shape","type","trainable"}], "masks": [{"path","count"}]}
 *   ...       every parameter's values, little-endian, in header order, as float32 — or as
 *             float16 / bfloat16 when the header's "storage" says so (weights stored at half width,
 *             widened back to float32 on load)
 *   ...       each pruning mask in header order: ceil(count / 8) bytes, bit i (LSB first) set where
 *             weight i is kept
 *   32 bytes  SHA-256 of everything above
 * </pre>
 *
 * Version 2 added the parameters' path names ({@code layer1.0.conv1.weight}) and the pruning masks;
 * version 1 files (no names, no masks) still load, by position as before. Version 3 is version 2 whose
 * architecture holds a channel shuffle with an explicit {@code "order"} (a structured-pruned ShuffleNet):
 * a version-2 reader would not know the field and would run that op as the identity, so such a file
 * must be one it refuses; files without one are still written as version 2.
 *
 * Its size is the honest "fp32 size" in every comparison.
 */
public final class ModelFile {
    static final byte[] MAGIC = "SQZFP32\0".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 2;
    /** The version of files whose architecture holds an explicit channel permutation (see above). */
    static final int VERSION_PERMUTATION = 3;
    private static final Gson GSON = new GsonBuilder().create();

    private ModelFile() {}

    /** Whether any layer, inside residual and concat branches too, is a channel shuffle with an explicit order. */
    static boolean hasPermutation(Architecture a) {
        return a.flatLayers().stream().anyMatch(l -> l instanceof Layer.ChannelShuffle c && c.explicit());
    }

    /** How parameter values are stored. */
    public enum Storage {
        FP32(4), FP16(2), BF16(2);
        final int bytes;
        Storage(int bytes) { this.bytes = bytes; }
    }

    public static void save(Network net, Path path) { save(net, path, Storage.FP32); }

    /** Saves with parameters stored as float32, float16 (IEEE half) or bfloat16 (round to nearest even). */
    public static void save(Network net, Path path, Storage storage) { save(net, path, storage, Map.of()); }

    /**
     * Saves with pruning masks: {@code keep} maps a parameter's path name ({@code layer1.0.conv1.weight})
     * to one flag per value, true where the weight is kept. {@link #readMasks} gives them back.
     */
    public static void save(Network net, Path path, Storage storage, Map<String, boolean[]> keep) {
        List<NamedTensor> params = net.parameters();
        List<String> paths = net.parameterNames();
        for (Map.Entry<String, boolean[]> e : keep.entrySet()) {
            int i = paths.indexOf(e.getKey());
            if (i < 0) throw new IllegalArgumentException("mask for '" + e.getKey() + "', which is not a parameter of " + net.architecture().name() + "; its parameters are " + paths);
            if (e.getValue().length != params.get(i).values().length) {
                throw new IllegalArgumentException("mask for '" + e.getKey() + "' has " + e.getValue().length + " flags but the parameter has "
                        + params.get(i).values().length + " values");
            }
        }
        JsonObject header = new JsonObject();
        header.addProperty("storage", storage.name());
        header.add("architecture", ArchitectureJson.toJson(net.architecture()));
        header.add("provenance", GSON.toJsonTree(net.provenance()));
        JsonArray ps = new JsonArray();
        long floats = 0;
        for (int k = 0; k < params.size(); k++) {
            NamedTensor t = params.get(k);
            JsonObject o = new JsonObject();
            o.addProperty("name", t.name());
            o.addProperty("path", paths.get(k));
            o.add("shape", GSON.toJsonTree(t.shape()));
            o.addProperty("type", t.type());
            o.addProperty("trainable", t.trainable());
            ps.add(o);
            floats += t.values().length;
        }
        header.add("parameters", ps);
        JsonArray ms = new JsonArray();
        long maskBytes = 0;
        for (Map.Entry<String, boolean[]> e : keep.entrySet()) {
            JsonObject o = new JsonObject();
            o.addProperty("path", e.getKey());
            o.addProperty("count", e.getValue().length);
            ms.add(o);
            maskBytes += (e.getValue().length + 7) / 8;
        }
        header.add("masks", ms);
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(16 + h.length + (int) (floats * storage.bytes + maskBytes)).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(MAGIC).putInt(hasPermutation(net.architecture()) ? VERSION_PERMUTATION : VERSION).putInt(h.length).put(h);
        for (NamedTensor t : params) {
            for (float f : t.values()) {
                switch (storage) {
                    case FP32 -> buf.putFloat(f);
                    case FP16 -> buf.putShort(Float.floatToFloat16(f));
                    case BF16 -> buf.putShort(toBfloat16(f));
                }
            }
        }
        for (boolean[] flags : keep.values()) {
            byte[] packed = new byte[(flags.length + 7) / 8];
            for (int i = 0; i < flags.length; i++) if (flags[i]) packed[i >>> 3] |= (byte) (1 << (i & 7));
            buf.put(packed);
        }
        byte[] body = buf.array();
        byte[] sum = Sha256.of(body, body.length);
        AtomicFiles.write(path, out -> { out.write(body); out.write(sum); });
    }

    /** Loads a model file into a new network built from the architecture the file carries. */
    public static Network load(Path path) {
        Parsed p = parse(path);
        Network net = Network.create(p.architecture, 0);
        try {
            fill(net, p, path);
        } catch (RuntimeException e) {
            net.close();
            throw e;
        }
        return net;
    }

    /**
     * Loads a model file's weights into {@code target}, checking that every parameter's name and
     * shape match (DJL's own loader does not); the first difference is reported by name.
     */
    public static void loadInto(Network target, Path path) {
        fill(target, parse(path), path);
    }

    private record Parsed(Architecture architecture, Map<String, String> provenance, JsonArray params, ByteBuffer data,
            Storage storage, JsonArray masks) {}

    /**
     * The pruning masks saved with a model (path name → keep flags, in file order); empty when the
     * file has none (every version-1 file).
     */
    public static Map<String, boolean[]> readMasks(Path path) {
        Parsed p = parse(path);
        Map<String, boolean[]> out = new java.util.LinkedHashMap<>();
        if (p.masks == null || p.masks.isEmpty()) return out;
        ByteBuffer data = p.data.duplicate();
        long floats = 0;
        for (var e : p.params) {
            long n = 1;
            for (long d : GSON.fromJson(e.getAsJsonObject().get("shape"), long[].class)) n *= d;
            floats += n;
        }
        data.position((int) (floats * p.storage.bytes));
        for (var e : p.masks) {
            String name = e.getAsJsonObject().get("path").getAsString();
            int count = e.getAsJsonObject().get("count").getAsInt();
            byte[] packed = new byte[(count + 7) / 8];
            if (data.remaining() < packed.length) {
                throw new IllegalArgumentException("Model file " + path + " ends inside the mask of '" + name + "' (" + data.remaining()
                        + " bytes left, " + packed.length + " needed); save the model again");
            }
            data.get(packed);
            boolean[] flags = new boolean[count];
            for (int i = 0; i < count; i++) flags[i] = (packed[i >>> 3] >> (i & 7) & 1) != 0;
            out.put(name, flags);
        }
        return out;
    }

    /** Round to nearest even on the 16 dropped mantissa bits; NaN stays NaN. */
    static short toBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    static float fromBfloat16(short s) { return Float.intBitsToFloat((s & 0xFFFF) << 16); }

    private static Parsed parse(Path path) {
        byte[] all;
        try {
            all = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read model file " + path + ": " + e.getMessage(), e);
        }
        if (all.length < 16 + 32 || !Arrays.equals(Arrays.copyOf(all, 8), MAGIC)) {
            throw new IllegalArgumentException("Model file " + path + " does not start with Squeeze's fp32 magic 'SQZFP32'"
                    + " (" + all.length + " bytes); it is not a Squeeze fp32 model (int8 models load with Int8Model.read)");
        }
        byte[] want = Sha256.of(all, all.length - 32);
        if (!Arrays.equals(want, Arrays.copyOfRange(all, all.length - 32, all.length))) {
            throw new IllegalArgumentException("Model file " + path + " fails its SHA-256 check (" + all.length
                    + " bytes): it is truncated or was modified after writing; save the model again");
        }
        ByteBuffer buf = ByteBuffer.wrap(all, 0, all.length - 32).order(ByteOrder.LITTLE_ENDIAN);
        buf.position(8);
        int version = buf.getInt();
        if (version < 1 || version > VERSION_PERMUTATION) {
            throw new IllegalArgumentException("Model file " + path + " has format version " + version
                    + "; this Squeeze reads versions 1 to " + VERSION_PERMUTATION + "; upgrade Squeeze or re-save the model");
        }
        int hl = buf.getInt();
        JsonObject header = JsonParser.parseString(new String(all, 16, hl, StandardCharsets.UTF_8)).getAsJsonObject();
        buf.position(16 + hl);
        @SuppressWarnings("unchecked")
        Map<String, String> prov = GSON.fromJson(header.get("provenance"), Map.class);
        Storage storage = header.has("storage") ? Storage.valueOf(header.get("storage").getAsString()) : Storage.FP32;
        return new Parsed(ArchitectureJson.fromJson(header.getAsJsonObject("architecture")), prov,
                header.getAsJsonArray("parameters"), buf.slice().order(ByteOrder.LITTLE_ENDIAN), storage,
                header.has("masks") ? header.getAsJsonArray("masks") : null);
    }

    private static void fill(Network net, Parsed p, Path path) {
        List<NamedTensor> live = net.parameters();
        if (live.size() != p.params.size()) {
            throw new IllegalArgumentException("Model file " + path + " holds " + p.params.size() + " parameters but "
                    + net.architecture().name() + " has " + live.size() + "; load it into the architecture it was saved from");
        }
        ByteBuffer data = p.data;
        for (int i = 0; i < live.size(); i++) {
            JsonObject o = p.params.get(i).getAsJsonObject();
            String name = o.get("name").getAsString();
            long[] shape = GSON.fromJson(o.get("shape"), long[].class);
            NamedTensor t = live.get(i);
            if (!Arrays.equals(shape, t.shape())) {
                throw new IllegalArgumentException("Model file " + path + ": parameter #" + i + " '" + name + "' has shape "
                        + Arrays.toString(shape) + " but " + net.architecture().name() + " expects " + t.shapeString()
                        + " for '" + t.name() + "'; load it into the architecture it was saved from");
            }
            float[] v = new float[t.values().length];
            if (data.remaining() < (long) v.length * p.storage.bytes) {
                throw new IllegalArgumentException("Model file " + path + " ends inside parameter '" + name + "'");
            }
            for (int k = 0; k < v.length; k++) {
                v[k] = switch (p.storage) {
                    case FP32 -> data.getFloat();
                    case FP16 -> Float.float16ToFloat(data.getShort());
                    case BF16 -> fromBfloat16(data.getShort());
                };
            }
            net.setParameter(t.name(), v);
        }
        if (p.provenance != null) {
            for (Map.Entry<String, String> e : p.provenance.entrySet()) net.provenance().put(e.getKey(), String.valueOf(e.getValue()));
        }
    }

    /**
     * True when {@code path} starts with the fp32 magic {@code SQZFP32}: how callers that take either
     * format (the CLI) tell them apart, by content rather than by file name.
     */
    public static boolean hasMagic(Path path) {
        return startsWith(path, MAGIC);
    }

    /** True when the file's first bytes are {@code magic}; false for shorter or unreadable files. */
    public static boolean startsWith(Path path, byte[] magic) {
        try (java.io.InputStream in = Files.newInputStream(path)) {
            return Arrays.equals(in.readNBytes(magic.length), magic);
        } catch (IOException e) {
            return false;
        }
    }

    /** The architecture stored in a model file, without loading weights. */
    public static Architecture readArchitecture(Path path) { return parse(path).architecture; }

}
