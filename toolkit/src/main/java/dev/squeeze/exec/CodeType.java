package dev.squeeze.exec;

/**
 * How an activation tensor's 8-bit codes are held in a {@code byte[]}: {@code UINT8} codes in [0, 255]
 * are read as {@code b & 0xFF}, {@code INT8} codes in [−128, 127] as {@code b}. Narrower grids (e.g. 4-bit
 * activations) use the type whose range contains them. Writing is {@code (byte) code} for both.
 */
public enum CodeType {
    UINT8(0, 255),
    INT8(-128, 127);

    private final int min, max;

    CodeType(int min, int max) {
        this.min = min;
        this.max = max;
    }

    /** Smallest code this type can hold. */
    public int min() { return min; }

    /** Largest code this type can hold. */
    public int max() { return max; }

    /** The code stored in {@code b}. */
    public int decode(byte b) { return this == UINT8 ? b & 0xFF : b; }

    /** True when every code in [qmin, qmax] fits this type. */
    public boolean holds(int qmin, int qmax) { return qmin >= min && qmax <= max; }

    /**
     * The type for a grid [qmin, qmax]: {@code UINT8} when qmin ≥ 0, otherwise {@code INT8}.
     *
     * @throws IllegalArgumentException when the grid fits neither (e.g. [−1, 200])
     */
    public static CodeType of(int qmin, int qmax) {
        CodeType t = qmin >= 0 ? UINT8 : INT8;
        if (!t.holds(qmin, qmax)) {
            throw new IllegalArgumentException("Activation grid [" + qmin + ", " + qmax + "] fits neither uint8 [0, 255] nor int8"
                    + " [-128, 127]; the int8 executor stores activations as 8-bit codes (re-quantize to an 8-bit grid)");
        }
        return t;
    }
}
