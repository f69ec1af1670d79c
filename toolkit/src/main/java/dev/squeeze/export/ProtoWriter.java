package dev.squeeze.export;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A minimal protocol-buffers wire-format encoder: just what ONNX's messages need, no generated code,
 * no dependency. A message is built field by field into a growable byte array; a nested message is
 * built in its own writer and appended as a length-delimited field ({@link #message}).
 *
 * <p>Wire types used: 0 (varint: int32, int64, enum), 2 (length-delimited: bytes, string, nested
 * message) and 5 (fixed32: float). {@code int32} and {@code int64} values are two's-complement varints
 * (a negative value takes 10 bytes, as protobuf encodes it); repeated numeric fields are written
 * unpacked, one tag per element, because onnx.proto is proto2 and declares them without
 * {@code [packed = true]} (readers accept either form; unpacked is the canonical one for proto2).
 *
 * <p>Fields are written in the order the caller writes them; the same calls always give the same bytes.
 */
final class ProtoWriter {
    private static final int VARINT = 0, FIXED32 = 5, LENGTH_DELIMITED = 2;

    private byte[] buf;
    private int size;

    ProtoWriter() { this(64); }

    ProtoWriter(int capacity) { buf = new byte[Math.max(16, capacity)]; }

    /** Bytes written so far. */
    int size() { return size; }

    /** A copy of the encoded message. */
    byte[] toByteArray() { return Arrays.copyOf(buf, size); }

    void writeTo(OutputStream out) throws IOException { out.write(buf, 0, size); }

    // ---- fields ---------------------------------------------------------------------------------

    /** An {@code int64} (or {@code uint64}) field. */
    ProtoWriter int64(int field, long value) {
        tag(field, VARINT);
        varint(value);
        return this;
    }

    /** An {@code int32} or enum field: negative values are sign-extended to 64 bits, as protobuf does. */
    ProtoWriter int32(int field, int value) { return int64(field, value); }

    /** A {@code float} field (fixed32, little-endian IEEE 754). */
    ProtoWriter float32(int field, float value) {
        tag(field, FIXED32);
        int bits = Float.floatToRawIntBits(value);
        ensure(4);
        buf[size++] = (byte) bits;
        buf[size++] = (byte) (bits >>> 8);
        buf[size++] = (byte) (bits >>> 16);
        buf[size++] = (byte) (bits >>> 24);
        return this;
    }

    /** A UTF-8 {@code string} field. */
    ProtoWriter string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    /** A {@code bytes} field. */
    ProtoWriter bytes(int field, byte[] value) {
        tag(field, LENGTH_DELIMITED);
        varint(value.length);
        ensure(value.length);
        System.arraycopy(value, 0, buf, size, value.length);
        size += value.length;
        return this;
    }

    /** A nested message field holding everything {@code child} has written. */
    ProtoWriter message(int field, ProtoWriter child) {
        tag(field, LENGTH_DELIMITED);
        varint(child.size);
        ensure(child.size);
        System.arraycopy(child.buf, 0, buf, size, child.size);
        size += child.size;
        return this;
    }

    /** A repeated {@code int64} field, unpacked. */
    ProtoWriter repeatedInt64(int field, long[] values) {
        for (long v : values) int64(field, v);
        return this;
    }

    /** A repeated {@code float} field, unpacked. */
    ProtoWriter repeatedFloat(int field, float[] values) {
        for (float v : values) float32(field, v);
        return this;
    }

    // ---- encoding -------------------------------------------------------------------------------

    private void tag(int field, int wireType) {
        if (field < 1 || field > (1 << 29) - 1) {
            throw new IllegalArgumentException("Protobuf field number must be in [1, 2^29 − 1], got " + field);
        }
        varint(((long) field << 3) | wireType);
    }

    /** Base-128 varint, least significant group first; the value is treated as unsigned 64-bit. */
    private void varint(long v) {
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[size++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[size++] = (byte) v;
    }

    private void ensure(int more) {
        long need = (long) size + more;
        if (need > Integer.MAX_VALUE - 8) {
            // protobuf itself limits a message to 2 GiB; ONNX models beyond that need external data.
            throw new IllegalStateException("ONNX message would exceed 2 GiB (" + need + " bytes); protobuf cannot encode it"
                    + " in one file: export a smaller model");
        }
        if (need > buf.length) buf = Arrays.copyOf(buf, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(need, 2L * buf.length)));
    }
}
