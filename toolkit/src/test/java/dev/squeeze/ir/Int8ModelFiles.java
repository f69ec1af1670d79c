package dev.squeeze.ir;

/**
 * Test-only access to the package-private {@code .sqz8} codec ({@link Int8ModelFile}) for the quantization
 * tests, which live in {@code dev.squeeze.quant} and decode models in memory (framing, version and refusal
 * checks) without making the codec part of the public API.
 */
public final class Int8ModelFiles {
    private Int8ModelFiles() {}

    public static Int8Model decode(byte[] all, String where) { return Int8ModelFile.decode(all, where); }

    public static int version(Int8Model m) { return Int8ModelFile.version(m); }
}
