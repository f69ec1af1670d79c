package dev.squeeze.util;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.nio.file.Path;

/** Pretty JSON for result files, written atomically. NaN becomes null so every JSON reader accepts the file. */
public final class Json {
    private Json() {}

    private static final Gson GSON = new GsonBuilder().setFieldNamingPolicy(com.google.gson.FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES).setPrettyPrinting().serializeSpecialFloatingPointValues()
            .disableHtmlEscaping().create();

    public static String toJson(Object o) {
        return GSON.toJson(o).replace("NaN", "null").replace("-Infinity", "null").replace("Infinity", "null");
    }

    public static void write(Path file, Object o) {
        AtomicFiles.writeString(file, toJson(o) + "\n");
    }
}
