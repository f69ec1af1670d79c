package dev.squeeze.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class Int8KernelsLookupTest {

    @Test
    void propertyForcesScalarWithOneWarning() {
        List<String> warnings = new ArrayList<>();
        Consumer<String> old = Int8Kernels.redirectWarnings(warnings::add);
        String before = System.getProperty(Int8Kernels.SCALAR_PROPERTY);
        try {
            System.setProperty(Int8Kernels.SCALAR_PROPERTY, "true");
            Int8Kernels k = Int8Kernels.lookup();
            assertSame(Int8Kernels.scalar(), k);
            assertFalse(k.vectorized());
            assertTrue(k.description().startsWith("scalar"), k.description());
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).contains(Int8Kernels.SCALAR_PROPERTY), warnings.get(0));
            assertTrue(warnings.get(0).contains("--add-modules jdk.incubator.vector"), warnings.get(0));
            Int8Kernels.lookup();
            assertEquals(1, warnings.size(), "the warning is printed once per JVM");
        } finally {
            if (before == null) System.clearProperty(Int8Kernels.SCALAR_PROPERTY);
            else System.setProperty(Int8Kernels.SCALAR_PROPERTY, before);
            Int8Kernels.redirectWarnings(old);
        }
    }

    @Test
    void missingModuleFallsBackToScalarNamingTheFlag() {
        List<String> warnings = new ArrayList<>();
        Int8Kernels k = Int8Kernels.select(false, false, warnings::add);
        assertSame(Int8Kernels.scalar(), k);
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("--add-modules jdk.incubator.vector"), warnings.get(0));
    }

    @Test
    void panamaWhenTheModuleIsThere() {
        // The run without the module (a Surefire execution of its own) has nothing to check here; the
        // run with it must find the module, or a lost flag would pass unnoticed.
        assumeTrue(Int8KernelsTest.vectorModuleExpected(), "this run starts the JVM without jdk.incubator.vector");
        assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                "Surefire should start the JVM with --add-modules jdk.incubator.vector (the pom's squeeze.jvm.flags)");
        List<String> warnings = new ArrayList<>();
        Int8Kernels k = Int8Kernels.select(false, true, warnings::add);
        assertTrue(Int8Kernels.panamaAvailable());
        assertTrue(k.vectorized());
        assertTrue(warnings.isEmpty(), warnings.toString());
        assertTrue(k.description().startsWith("panama: IntVector"), k.description());
        assertEquals("panama", Int8Kernels.panama().name());
        assertTrue(Int8Kernels.lookup().vectorized(), "the default lookup picks the Vector API kernels");
        System.out.println("default int8 kernels: " + Int8Kernels.kernels());
    }

    @Test
    void withoutTheModuleTheDefaultIsScalar() {
        assumeFalse(Int8KernelsTest.vectorModuleExpected(), "this run starts the JVM with jdk.incubator.vector");
        assertFalse(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent());
        assertSame(Int8Kernels.scalar(), Int8Kernels.lookup());
        assertTrue(Int8Kernels.kernels().startsWith("scalar"), Int8Kernels.kernels());
    }
}
