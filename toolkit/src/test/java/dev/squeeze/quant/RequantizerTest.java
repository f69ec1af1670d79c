package dev.squeeze.quant;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.ir.PerChannelQuantParams;
import dev.squeeze.ir.QuantParams;
import dev.squeeze.ir.Requantizer;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RequantizerTest {

    @Test
    void quantizeMultiplierKnownValues() {
        assertEquals(new Requantizer.Multiplier(1 << 30, 0), Requantizer.quantizeMultiplier(0.5));
        assertEquals(new Requantizer.Multiplier(1 << 30, -1), Requantizer.quantizeMultiplier(0.25));
        assertEquals(new Requantizer.Multiplier(1 << 30, 1), Requantizer.quantizeMultiplier(1.0));
        assertEquals(new Requantizer.Multiplier(3 << 29, 0), Requantizer.quantizeMultiplier(0.75));
        assertEquals(new Requantizer.Multiplier(1431655765, -1), Requantizer.quantizeMultiplier(1.0 / 3));
        assertEquals(new Requantizer.Multiplier(0, 0), Requantizer.quantizeMultiplier(0));
        assertEquals(new Requantizer.Multiplier(0, 0), Requantizer.quantizeMultiplier(1e-10)); // shift < -31
        assertEquals(new Requantizer.Multiplier(1 << 30, -31), Requantizer.quantizeMultiplier(0x1.0p-32));
        // q·2^31 rounds up to 2^31: renormalised to 2^30 with shift + 1
        assertEquals(new Requantizer.Multiplier(1 << 30, 1), Requantizer.quantizeMultiplier(1 - 0x1.0p-40));
        assertEquals(1.0 / 3, Requantizer.quantizeMultiplier(1.0 / 3).real(), 1e-9);
        for (double bad : new double[] {-1, Double.NaN, Double.POSITIVE_INFINITY, 0x1.0p31}) {
            assertThrows(IllegalArgumentException.class, () -> Requantizer.quantizeMultiplier(bad), "" + bad);
        }
    }

    @Test
    void roundingShiftRight() {
        assertEquals(3, Requantizer.roundingShiftRight(5, 1)); // 2.5 → 3
        assertEquals(-2, Requantizer.roundingShiftRight(-5, 1)); // -2.5 → -2 (ties toward +∞)
        assertEquals(2, Requantizer.roundingShiftRight(4, 1));
        assertEquals(-2, Requantizer.roundingShiftRight(-4, 1));
        assertEquals(1, Requantizer.roundingShiftRight(3, 2)); // 0.75
        assertEquals(-1, Requantizer.roundingShiftRight(-3, 2)); // -0.75
        assertEquals(1, Requantizer.roundingShiftRight(2, 2)); // 0.5
        assertEquals(0, Requantizer.roundingShiftRight(-2, 2)); // -0.5
        assertEquals(0, Requantizer.roundingShiftRight(1, 2));
        assertEquals(17, Requantizer.roundingShiftRight(17, 0));
        assertEquals(-17, Requantizer.roundingShiftRight(-17, 0));
        assertEquals(-1, Requantizer.roundingShiftRight(-(1L << 62), 62));
        assertEquals(1, Requantizer.roundingShiftRight((1L << 62) - 1, 62));
        assertEquals(0, Requantizer.roundingShiftRight((1L << 60) - 1, 62));
        assertThrows(IllegalArgumentException.class, () -> Requantizer.roundingShiftRight(1, 63));
        assertThrows(IllegalArgumentException.class, () -> Requantizer.roundingShiftRight(1, -1));
    }

    /** Documented: M ≥ 0.5 exactly representable ⇒ result = floor(acc·M + 1/2) + zp, exhaustively. */
    @Test
    void exactForMultipliersAtLeastHalf() {
        double[] ms = {0.5, 0.75, 0.625, 0.9990234375, 1, 1.5, 2, 3, 7.25, 1024};
        for (double m : ms) {
            Requantizer r = Requantizer.of(m, 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
            assertEquals(m, r.effectiveMultiplier(), 0.0);
            for (int acc = -200_000; acc <= 200_000; acc++) {
                long expected = (long) Math.floor(acc * m + 0.5);
                assertEquals(expected, r.requantize(acc), "M=" + m + " acc=" + acc);
            }
        }
        // with a zero point and clamping
        Requantizer u8 = Requantizer.of(0.75, 100, 0, 255);
        assertEquals(100 + 75, u8.requantize(100));
        assertEquals(100 - 75, u8.requantize(-100));
        assertEquals(255, u8.requantize(1000));
        assertEquals(0, u8.requantize(-1000));
    }

    @Test
    void powersOfTwoAtLeastOneAreExactShifts() {
        for (int k = 0; k <= 18; k++) { // M = 2^k pre-shifts by k+1; 3000 · 2^19 fits int32: no saturation
            Requantizer r = Requantizer.of(Math.scalb(1.0, k), 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
            for (int acc = -3000; acc <= 3000; acc += 7) assertEquals((long) acc << k, r.requantize(acc));
        }
        // No intermediate saturation: acc·M is exact in int64 and only the final clamp limits it.
        Requantizer r = Requantizer.of(0x1.0p19, 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
        assertEquals(-3000 << 19, r.requantize(-3000));
        assertEquals(3000 << 19, r.requantize(3000));
        assertEquals(Integer.MAX_VALUE, r.requantize(5000));
    }

    /** One rounding also below M = 0.5, where gemmlowp's two roundings would give 0.25 → 1. */
    @Test
    void singleRoundingBelowHalf() {
        Requantizer quarter = Requantizer.of(0.25, 0, -128, 127);
        assertEquals(0, quarter.requantize(1)); // 0.25
        assertEquals(0, quarter.requantize(-1)); // -0.25
        assertEquals(1, quarter.requantize(2));  // 0.5 → 1 (ties up)
        assertEquals(0, quarter.requantize(-2)); // -0.5 → 0 (ties up)
        assertEquals(1, quarter.requantize(3));  // 0.75
        assertEquals(1, quarter.requantize(4));
        assertEquals(2, quarter.requantize(6));  // 1.5 → 2
        assertEquals(-1, quarter.requantize(-6)); // -1.5 → -1
        assertEquals(-2, quarter.requantize(-7)); // -1.75
        // every accumulator: exactly floor(acc·M_q + 1/2), also where gemmlowp's pair would round a value just below a half up
        Requantizer r = Requantizer.of(0.3, 0, -128, 127);
        for (int acc = -400; acc <= 400; acc++) {
            assertEquals((long) Math.floor(acc * r.effectiveMultiplier() + 0.5), r.requantize(acc), "acc=" + acc);
        }
    }

    @Test
    void saturatesAtExtremes() {
        Requantizer r = Requantizer.of(0.9, 0, 0, 255);
        assertEquals(255, r.requantize(Integer.MAX_VALUE));
        assertEquals(0, r.requantize(Integer.MIN_VALUE));
        Requantizer s = Requantizer.of(0.0123, 5, -128, 127);
        assertEquals(127, s.requantize(Integer.MAX_VALUE));
        assertEquals(-128, s.requantize(Integer.MIN_VALUE));
        Requantizer big = Requantizer.of(0x1.0p20, -3, -128, 127); // left shift saturates
        assertEquals(127, big.requantize(1_000_000));
        assertEquals(-128, big.requantize(-1_000_000));
        assertEquals(127, big.requantize(1)); // 2^20 - 3 clamps
        assertEquals(-3, big.requantize(0));
        Requantizer zero = Requantizer.of(0, 7, 0, 255);
        assertEquals(7, zero.requantize(123456));
        // zero point added without int32 wrap-around
        Requantizer wide = Requantizer.of(1.0, Integer.MAX_VALUE - 1, Integer.MIN_VALUE, Integer.MAX_VALUE);
        assertEquals(Integer.MAX_VALUE, wide.requantize(1000));
    }

    /**
     * 100k random cases: bit-exact against an independent exact formulation of the documented formula
     * ({@code floor(acc·M_q + 1/2) + zp}, clamped, in BigDecimal), and within 1 LSB of round(acc·M) + zp
     * in double.
     */
    @Test
    void randomCasesMatchReferences() {
        SplittableRandom rnd = new SplittableRandom(2024);
        int offByOne = 0;
        for (int t = 0; t < 100_000; t++) {
            double m = Math.pow(2, -20 + rnd.nextDouble() * 28); // [2^-20, 2^8)
            boolean unsigned = rnd.nextBoolean();
            int qmin = unsigned ? 0 : -128, qmax = unsigned ? 255 : 127;
            int zp = qmin + rnd.nextInt(256);
            int acc;
            double reach = 300 / m;
            if (rnd.nextInt(10) == 0 || reach > Integer.MAX_VALUE) acc = rnd.nextInt();
            else acc = (int) Math.round((rnd.nextDouble() * 2 - 1) * reach);
            Requantizer r = Requantizer.of(m, zp, qmin, qmax);
            int got = r.requantize(acc);

            assertEquals(independent(acc, r), got, "M=" + m + " acc=" + acc);

            double ref = Math.max(qmin, Math.min(qmax, Math.rint(acc * m) + zp));
            assertTrue(Math.abs(got - ref) <= 1, "M=" + m + " acc=" + acc + " got " + got + " ref " + ref);
            if (got != ref) offByOne++;
        }
        assertTrue(offByOne < 100, offByOne + " of 100k cases were one LSB off the double reference");
    }

    /** The documented result, {@code clamp(floor(acc · multiplier · 2^(shift−31) + 1/2) + zp)}, in exact decimal arithmetic. */
    private static long independent(int acc, Requantizer r) {
        BigDecimal v = new BigDecimal(BigInteger.valueOf(acc).multiply(BigInteger.valueOf(r.multiplier())))
                .multiply(new BigDecimal(Math.scalb(1.0, r.shift() - 31))); // a power of two: exact in double and decimal
        long y = v.add(new BigDecimal("0.5")).setScale(0, RoundingMode.FLOOR).longValueExact();
        return Math.max(r.qmin(), Math.min(r.qmax(), y + r.zeroPoint()));
    }

    @Test
    void layerHelpers() {
        QuantParams out = new QuantParams(0.05f, 10, 0, 255);
        Requantizer r = Requantizer.forLayer(0.02f, 0.004f, out);
        assertEquals((double) 0.02f * 0.004f / 0.05f, r.effectiveMultiplier(), 1e-12);
        PerChannelQuantParams w = new PerChannelQuantParams(new float[] {0.004f, 0.008f}, new int[] {0, 0}, 0, -128, 127);
        Requantizer[] pc = Requantizer.perChannel(0.02f, w, out);
        assertEquals(2, pc.length);
        assertEquals(pc[0].effectiveMultiplier() * 2, pc[1].effectiveMultiplier(), 1e-12);
        assertEquals(Math.rint(0.37 / (0.02 * 0.004)), Requantizer.quantizeBias(0.37f, 0.02f, 0.004f), 1);
        assertEquals(Integer.MAX_VALUE, Requantizer.quantizeBias(1e30f, 1e-6f, 1e-6f));
        int[] acc = {0, 1000, -1000, 2500};
        int[] o = new int[4];
        r.requantize(acc, 0, 4, o, 0);
        for (int i = 0; i < 4; i++) assertEquals(r.requantize(acc[i]), o[i]);
        assertThrows(IllegalArgumentException.class, () -> new Requantizer(12345, 0, 0, 0, 255));
    }
}
