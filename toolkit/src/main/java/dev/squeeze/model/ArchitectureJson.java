package dev.squeeze.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The architecture description every saved model carries, as JSON: {@code {"name":...,
 * "input_shape":[C,H,W], "layers":[{"op":"conv2d", ...}, ...]}}. Hand-written rather than reflective so
 * the format is stable across refactorings of the records.
 */
public final class ArchitectureJson {
    private ArchitectureJson() {}

    public static JsonObject toJson(Architecture a) {
        JsonObject o = new JsonObject();
        o.addProperty("name", a.name());
        JsonArray in = new JsonArray();
        for (int d : a.inputShape()) in.add(d);
        o.add("input_shape", in);
        o.add("layers", layers(a.layers()));
        return o;
    }

    public static Architecture fromJson(JsonObject o) {
        try {
            JsonArray in = o.getAsJsonArray("input_shape");
            int[] shape = new int[in.size()];
            for (int i = 0; i < shape.length; i++) shape[i] = in.get(i).getAsInt();
            return new Architecture(o.get("name").getAsString(), shape, parseLayers(o.getAsJsonArray("layers")));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Invalid architecture description: " + e.getMessage()
                    + "; the file was not written by this version of Squeeze or is damaged", e);
        }
    }

    private static JsonArray layers(List<Layer> layers) {
        JsonArray arr = new JsonArray();
        for (Layer l : layers) arr.add(layer(l));
        return arr;
    }

    private static JsonObject layer(Layer l) {
        JsonObject o = new JsonObject();
        switch (l) {
            case Layer.Conv2d c -> {
                o.addProperty("op", "conv2d");
                o.addProperty("in", c.in()); o.addProperty("out", c.out()); o.addProperty("kernel", c.kernel());
                o.addProperty("stride", c.stride()); o.addProperty("padding", c.padding());
                o.addProperty("groups", c.groups()); o.addProperty("bias", c.bias());
            }
            case Layer.Linear f -> {
                o.addProperty("op", "linear");
                o.addProperty("in", f.in()); o.addProperty("out", f.out()); o.addProperty("bias", f.bias());
            }
            case Layer.BatchNorm b -> { o.addProperty("op", "batchnorm"); o.addProperty("channels", b.channels()); }
            case Layer.Relu r -> o.addProperty("op", "relu");
            case Layer.LeakyRelu r -> { o.addProperty("op", "leaky_relu"); o.addProperty("alpha", r.alpha()); }
            case Layer.MaxPool p -> {
                o.addProperty("op", "max_pool");
                o.addProperty("kernel", p.kernel()); o.addProperty("stride", p.stride()); o.addProperty("padding", p.padding());
            }
            case Layer.AvgPool p -> {
                o.addProperty("op", "avg_pool");
                o.addProperty("kernel", p.kernel()); o.addProperty("stride", p.stride()); o.addProperty("padding", p.padding());
            }
            case Layer.GlobalAvgPool g -> o.addProperty("op", "global_avg_pool");
            case Layer.Flatten f -> o.addProperty("op", "flatten");
            case Layer.Relu6 r -> o.addProperty("op", "relu6");
            case Layer.HardSwish h -> o.addProperty("op", "hard_swish");
            case Layer.Concat c -> {
                o.addProperty("op", "concat");
                JsonArray branches = new JsonArray();
                for (List<Layer> b : c.branches()) branches.add(layers(b));
                o.add("branches", branches);
            }
            case Layer.ChannelSlice c -> { o.addProperty("op", "channel_slice"); o.addProperty("from", c.from()); o.addProperty("to", c.to()); }
            case Layer.ChannelShuffle c -> {
                o.addProperty("op", "channel_shuffle");
                o.addProperty("groups", c.groups());
                if (c.explicit()) {
                    com.google.gson.JsonArray order = new com.google.gson.JsonArray();
                    for (int v : c.order()) order.add(v);
                    o.add("order", order);
                }
            }
            case Layer.Residual r -> {
                o.addProperty("op", "residual");
                o.add("body", layers(r.body()));
                o.add("shortcut", layers(r.shortcut()));
            }
        }
        return o;
    }

    private static List<Layer> parseLayers(JsonArray arr) {
        List<Layer> out = new ArrayList<>();
        for (JsonElement e : arr) out.add(parse(e.getAsJsonObject()));
        return out;
    }

    private static Layer parse(JsonObject o) {
        String op = o.get("op").getAsString();
        return switch (op) {
            case "conv2d" -> new Layer.Conv2d(i(o, "in"), i(o, "out"), i(o, "kernel"), i(o, "stride"), i(o, "padding"),
                    i(o, "groups"), o.get("bias").getAsBoolean());
            case "linear" -> new Layer.Linear(i(o, "in"), i(o, "out"), o.get("bias").getAsBoolean());
            case "batchnorm" -> new Layer.BatchNorm(i(o, "channels"));
            case "relu" -> new Layer.Relu();
            case "leaky_relu" -> new Layer.LeakyRelu(o.get("alpha").getAsFloat());
            case "max_pool" -> new Layer.MaxPool(i(o, "kernel"), i(o, "stride"), i(o, "padding"));
            case "avg_pool" -> new Layer.AvgPool(i(o, "kernel"), i(o, "stride"), i(o, "padding"));
            case "global_avg_pool" -> new Layer.GlobalAvgPool();
            case "flatten" -> new Layer.Flatten();
            case "relu6" -> new Layer.Relu6();
            case "hard_swish" -> new Layer.HardSwish();
            case "concat" -> {
                List<List<Layer>> branches = new ArrayList<>();
                for (JsonElement b : o.getAsJsonArray("branches")) branches.add(parseLayers(b.getAsJsonArray()));
                yield new Layer.Concat(branches);
            }
            case "channel_slice" -> new Layer.ChannelSlice(i(o, "from"), i(o, "to"));
            case "channel_shuffle" -> o.has("order")
                    ? Layer.ChannelShuffle.permutation(new com.google.gson.Gson().fromJson(o.get("order"), int[].class))
                    : new Layer.ChannelShuffle(i(o, "groups"));
            case "residual" -> new Layer.Residual(parseLayers(o.getAsJsonArray("body")), parseLayers(o.getAsJsonArray("shortcut")));
            default -> throw new IllegalArgumentException("unknown op '" + op + "'");
        };
    }

    private static int i(JsonObject o, String k) {
        JsonElement e = o.get(k);
        if (e == null) throw new IllegalArgumentException("field '" + k + "' missing in " + o);
        return e.getAsInt();
    }
}
