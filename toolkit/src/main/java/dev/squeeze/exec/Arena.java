package dev.squeeze.exec;

import java.util.ArrayList;
import java.util.List;

/**
 * Activation memory shared by the int8 {@link Int8Executor} and the {@link FloatExecutor}: each tensor has a
 * per-image size and a lifetime in step indices, and {@link #place} gives every tensor an offset in one
 * array by first fit, so tensors whose lifetimes do not overlap share memory. Planned once per batch size.
 */
final class Arena {
    private Arena() {}

    /** Memory of one tensor: per-image size, lifetime (step indices, inclusive), arena offset. */
    static final class Tensor {
        final long size;
        final int birth;
        int death, offset;

        Tensor(long size, int birth) {
            this.size = size;
            this.birth = birth;
            this.death = birth;
        }
    }

    /** Lifetime as the planner sees it (an executor may widen some, e.g. to run a prefix in image groups). */
    interface Lifetime {
        int birth(Tensor t);
        int death(Tensor t);

        Lifetime AS_RECORDED = new Lifetime() {
            @Override public int birth(Tensor t) { return t.birth; }
            @Override public int death(Tensor t) { return t.death; }
        };
    }

    /**
     * Sets every tensor's offset for batch {@code b} (tensors in creation order, each placed at the lowest
     * offset that overlaps no live tensor placed before it) and returns the arena length.
     *
     * @param who names the executor and the element ("Int8Executor: activations … need more than 2 GB") in the error
     * @throws IllegalArgumentException when the arena would exceed a Java array
     */
    static int place(List<Tensor> tensors, int b, Lifetime life, String who) {
        List<Tensor> placed = new ArrayList<>();
        long end = 0;
        for (Tensor t : tensors) {
            long need = t.size * b, off = 0;
            boolean moved = true;
            while (moved) {
                moved = false;
                for (Tensor o : placed) {
                    boolean live = life.birth(o) <= life.death(t) && life.birth(t) <= life.death(o);
                    long oSize = o.size * b;
                    if (live && off < o.offset + oSize && o.offset < off + need) {
                        off = o.offset + oSize;
                        moved = true;
                    }
                }
            }
            if (off + need > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException(who + " of batch " + b + " need more than 2^31 elements; run smaller batches");
            }
            t.offset = (int) off;
            placed.add(t);
            end = Math.max(end, off + need);
        }
        return (int) end;
    }
}
