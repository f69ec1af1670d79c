package dev.squeeze;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class EnvironmentTest {
    @Test
    void warnsAboutAMissingOnednnCapUnlessTheMachineIsProvenClean() {
        String wrong = Environment.onednnWarning(null, "wrong");
        assertNotNull(wrong);
        assertTrue(wrong.contains("ONEDNN_MAX_CPU_ISA=") && wrong.contains("wrong convolution gradients"), wrong);
        String unknown = Environment.onednnWarning(null, null);
        assertNotNull(unknown);
        assertTrue(unknown.contains("onednn-env.sh") && unknown.contains("never checked"), unknown);
        assertNull(Environment.onednnWarning(null, "exact"), "no warning on a machine the probe proved clean");
        assertNull(Environment.onednnWarning("AVX2", "wrong"), "the caller set the cap");
        assertNull(Environment.onednnWarning("ALL", null), "the caller chose no cap on purpose");
        assertFalse(wrong.contains("\n") || unknown.contains("\n"), "one line each");
    }
}
