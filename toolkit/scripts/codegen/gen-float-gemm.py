# Generates toolkit/src/main/java/dev/squeeze/exec/panama/PanamaFloatGemm.java (run: python3 toolkit/scripts/codegen/gen-float-gemm.py)
TILES = [(16, 1), (8, 2), (12, 2), (6, 4)]

def kernel(MR, NV, direct):
    name = f"{'d' if direct else 'p'}{MR}x{NV}"
    accs = [f"c{r}_{v}" for r in range(MR) for v in range(NV)]
    s = []
    if direct:
        s.append(f"    /** {MR} rows × {NV} vector(s): row r of step t at {{@code a[ao + t·lda + r]}}, vector v of B at {{@code b[bBase + tap[t] + vo_v]}} (vo_0 = 0). */")
        s.append(f"    static void {name}(float[] a, int ao, int lda, float[] b, int bBase, int[] tap, int t0, int t1, int vo1, int vo2, int vo3, float[] c, int co, int ldc, boolean acc) {{")
    else:
        s.append(f"    /** {MR} rows × {NV} vector(s): row r of step t at {{@code a[ao + t·lda + r]}}, B {{@code b[bo ..]}} as [kc][{NV}·L]. */")
        s.append(f"    static void {name}(float[] a, int ao, int lda, float[] b, int bo, int kc, float[] c, int co, int ldc, boolean acc) {{")
    s.append("        FloatVector " + ", ".join(accs) + ";")
    s.append("        if (acc) {")
    for r in range(MR):
        s.append("            " + " ".join(f"c{r}_{v} = FloatVector.fromArray(FS, c, co + {r} * ldc{f' + {v} * L' if v else ''});" for v in range(NV)))
    s.append("        } else {")
    s.append("            FloatVector z = FloatVector.zero(FS);")
    for r in range(MR):
        s.append("            " + " ".join(f"c{r}_{v} = z;" for v in range(NV)))
    s.append("        }")
    if direct:
        s.append("        for (int t = t0, ai = ao; t < t1; t++, ai += lda) {")
        s.append("            int o = bBase + tap[t];")
    else:
        s.append("        for (int t = 0, ai = ao, o = bo; t < kc; t++, ai += lda, o += %d * L) {" % NV)
    for v in range(NV):
        if direct:
            s.append(f"            FloatVector b{v} = FloatVector.fromArray(FS, b, o{f' + vo{v}' if v else ''});")
        else:
            s.append(f"            FloatVector b{v} = FloatVector.fromArray(FS, b, o{f' + {v} * L' if v else ''});")
    s.append("            FloatVector w;")
    for r in range(MR):
        s.append(f"            w = FloatVector.broadcast(FS, a[ai{f' + {r}' if r else ''}]); " + " ".join(f"c{r}_{v} = b{v}.fma(w, c{r}_{v});" for v in range(NV)))
    s.append("        }")
    for r in range(MR):
        s.append("        " + " ".join(f"c{r}_{v}.intoArray(c, co + {r} * ldc{f' + {v} * L' if v else ''});" for v in range(NV)))
    s.append("    }")
    return "\n".join(s)

out = []
out.append("""package dev.squeeze.exec.panama;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register-blocked float32 FMA micro-kernels of {@link PanamaFloatKernels}: a tile of MR output channels
 * × NV vectors of pixels accumulated over a run of the reduction, written (or, with {@code acc}, added)
 * to {@code c[co + r·ldc + j]}. A is packed {@code [k][lda]} with the tile's rows first in each step (one
 * broadcast per row and step; {@code lda > MR} lets a narrower tile run on rows of a wider packing), B is
 * either a packed panel {@code [k][NV·L]} ("p" kernels) or read straight from stride-phase planes
 * through per-tap offsets, each vector at its own offset from the first ("d" kernels: consecutive pixels
 * of the padded plane, or whole output rows). Generated (one method per shape so that every accumulator
 * stays in a register) by {@code toolkit/scripts/codegen/gen-float-gemm.py} (edit that, not this file); shapes: """ + ", ".join(f"{m}×{v}L" for m, v in TILES) + """.
 */
final class PanamaFloatGemm {
    static final VectorSpecies<Float> FS = PanamaFloatKernels.FS;
    static final int L = FS.length();

    private PanamaFloatGemm() { }

    /** Tile shapes: rows and vectors of each {@link #packed}/{@link #direct} shape index. */
    static final int[] MRS = {""" + ", ".join(str(m) for m, v in TILES) + """}, NVS = {""" + ", ".join(str(v) for m, v in TILES) + """};

    /** Packed-B tile of shape {@code shape} (an index into {@link #MRS}). */
    static void packed(int shape, float[] a, int ao, int lda, float[] b, int bo, int kc, float[] c, int co, int ldc, boolean acc) {
        switch (shape) {""")
for i, (m, v) in enumerate(TILES):
    out.append(f"            case {i} -> p{m}x{v}(a, ao, lda, b, bo, kc, c, co, ldc, acc);")
out.append("""            default -> throw new IllegalArgumentException("tile shape " + shape);
        }
    }

    /** Direct tile of shape {@code shape} over taps {@code [t0, t1)}. */
    static void direct(int shape, float[] a, int ao, int lda, float[] b, int bBase, int[] tap, int t0, int t1, int vo1, int vo2, int vo3, float[] c,
            int co, int ldc, boolean acc) {
        switch (shape) {""")
for i, (m, v) in enumerate(TILES):
    out.append(f"            case {i} -> d{m}x{v}(a, ao, lda, b, bBase, tap, t0, t1, vo1, vo2, vo3, c, co, ldc, acc);")
out.append("""            default -> throw new IllegalArgumentException("tile shape " + shape);
        }
    }
""")
for m, v in TILES:
    out.append(kernel(m, v, False))
    out.append("")
    out.append(kernel(m, v, True))
    out.append("")
out[-1] = "}"
open(__import__("os").path.join(__import__("os").path.dirname(__import__("os").path.abspath(__file__)), "../../src/main/java/dev/squeeze/exec/panama/PanamaFloatGemm.java"), "w").write("\n".join(out) + "\n")
