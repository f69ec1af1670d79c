package dev.squeeze.model;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.squeeze.util.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Squeeze's fp32 model file ({@code .sqz}): self-describing, checksummed, written atomically.
 *
 * <pre>
 *   8 bytes   magic "SQZFP32\0"
 *   4 bytes   format version (little-endian int) = 1
 *   4 bytes   header length L
 *   L bytes   UTF-8 JSON: {"architecture": ..., "provenance": {...}, "parameters": [{"name","shape","type","trainable"}]}
 *   ...       every parameter's float32 values, little-endian, in header order
 *   32 bytes  SHA-256 of everything above
 * </pre>
 *
 * Its size is the honest "fp32 size" in every comparison.
 */
public final class ModelFile {
    static final byte[] MAGIC = "SQZFP32\0".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    private static final Gson GSON = new GsonBuilder().create();

    private ModelFile() {}

    public static void save(Network net, Path path) {
        List<NamedTensor> params = net.parameters();
        JsonObject header = new JsonObject();
        header.add("architecture", ArchitectureJson.toJson(net.architecture()));
        header.add("provenance", GSON.toJsonTree(net.provenance()));
        JsonArray ps = new JsonArray();
        long floats = 0;
        for (NamedTensor t : params) {
            JsonObject o = new JsonObject();
            o.addProperty("name", t.name());
            o.add("shape", GSON.toJsonTree(t.shape()));
            o.addProperty("type", t.type());
            o.addProperty("trainable", t.trainable());
            ps.add(o);
            floats += t.values().length;
        }
        header.add("parameters", ps);
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(16 + h.length + (int) (floats * 4)).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(MAGIC).putInt(VERSION).putInt(h.length).put(h);
        for (NamedTensor t : params) for (float f : t.values()) buf.putFloat(f);
        byte[] body = buf.array();
        byte[] sum = sha256(body, body.length);
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

    private record Parsed(Architecture architecture, Map<String, String> provenance, JsonArray params, ByteBuffer data) {}

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
        byte[] want = sha256(all, all.length - 32);
        if (!Arrays.equals(want, Arrays.copyOfRange(all, all.length - 32, all.length))) {
            throw new IllegalArgumentException("Model file " + path + " fails its SHA-256 check (" + all.length
                    + " bytes): it is truncated or was modified after writing; save the model again");
        }
        ByteBuffer buf = ByteBuffer.wrap(all, 0, all.length - 32).order(ByteOrder.LITTLE_ENDIAN);
        buf.position(8);
        int version = buf.getInt();
        if (version != VERSION) {
            throw new IllegalArgumentException("Model file " + path + " has format version " + version
                    + "; this Squeeze reads version " + VERSION + "; upgrade Squeeze or re-save the model");
        }
        int hl = buf.getInt();
        JsonObject header = JsonParser.parseString(new String(all, 16, hl, StandardCharsets.UTF_8)).getAsJsonObject();
        buf.position(16 + hl);
        @SuppressWarnings("unchecked")
        Map<String, String> prov = GSON.fromJson(header.get("provenance"), Map.class);
        return new Parsed(ArchitectureJson.fromJson(header.getAsJsonObject("architecture")), prov,
                header.getAsJsonArray("parameters"), buf.slice().order(ByteOrder.LITTLE_ENDIAN));
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
            if (data.remaining() < v.length * 4L) {
                throw new IllegalArgumentException("Model file " + path + " ends inside parameter '" + name + "'");
            }
            data.asFloatBuffer().get(v);
            data.position(data.position() + v.length * 4);
            net.setParameter(t.name(), v);
        }
        if (p.provenance != null) {
            for (Map.Entry<String, String> e : p.provenance.entrySet()) net.provenance().put(e.getKey(), String.valueOf(e.getValue()));
        }
    }

    /** The architecture stored in a model file, without loading weights. */
    public static Architecture readArchitecture(Path path) { return parse(path).architecture; }

    static byte[] sha256(byte[] data, int len) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(data, 0, len);
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

}
