package dev.squeeze.util;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256, the checksum of Squeeze's model files and of downloaded data sets. */
public final class Sha256 {
    private Sha256() {}

    /** A fresh digest (every Java runtime provides SHA-256). */
    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }

    /** The 32-byte SHA-256 of {@code data[0, len)}. */
    public static byte[] of(byte[] data, int len) {
        MessageDigest md = digest();
        md.update(data, 0, len);
        return md.digest();
    }
}
