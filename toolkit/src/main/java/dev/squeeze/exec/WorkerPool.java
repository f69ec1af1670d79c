package dev.squeeze.exec;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Intra-op threads: {@code workers − 1} daemon threads plus the caller run one phase of one op together
 * and the caller returns when all are done. Allocation-free per dispatch (fields and a counter); waiting
 * spins briefly and then parks, which suits a shared machine with few cores.
 */
final class WorkerPool implements AutoCloseable {

    /** Work that a pool runs: every worker calls it once per dispatch. */
    interface Task {
        void execute(int phase, int worker, int workers);
    }

    private final int workers;
    private final Thread[] threads;
    private final Thread[] waiting; // the caller of the current dispatch
    private final AtomicInteger pending = new AtomicInteger();
    private volatile int generation;
    private volatile Task task;
    private volatile int phase;
    private volatile boolean closed;
    private volatile Throwable failure;

    WorkerPool(int workers, String name) {
        this.workers = workers;
        this.waiting = new Thread[1];
        threads = new Thread[workers - 1];
        for (int i = 0; i < threads.length; i++) {
            int id = i + 1;
            threads[i] = new Thread(() -> loop(id), name + "-worker-" + id);
            threads[i].setDaemon(true);
            threads[i].start();
        }
    }

    int workers() { return workers; }

    /** Runs {@code t.execute(phase, w, workers)} for every worker w and returns when all have finished. */
    void run(Task t, int ph) {
        if (workers == 1) {
            t.execute(ph, 0, 1);
            return;
        }
        task = t;
        phase = ph;
        failure = null;
        waiting[0] = Thread.currentThread();
        pending.set(workers - 1);
        generation++;
        for (Thread th : threads) LockSupport.unpark(th);
        Throwable mine = null;
        try {
            t.execute(ph, 0, workers);
        } catch (Throwable e) {
            mine = e;
        }
        int spins = 0;
        while (pending.get() != 0) {
            if (++spins < 2000) Thread.onSpinWait();
            else LockSupport.parkNanos(this, 50_000);
        }
        task = null;
        Throwable f = mine != null ? mine : failure;
        if (f instanceof RuntimeException r) throw r;
        if (f instanceof Error e) throw e;
        if (f != null) throw new IllegalStateException(f);
    }

    private void loop(int id) {
        int seen = 0;
        while (true) {
            int spins = 0;
            while (generation == seen && !closed) {
                if (++spins < 2000) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            if (closed) return;
            seen = generation;
            try {
                task.execute(phase, id, workers);
            } catch (Throwable e) {
                failure = e;
            }
            if (pending.decrementAndGet() == 0) LockSupport.unpark(waiting[0]);
        }
    }

    @Override public void close() {
        closed = true;
        for (Thread th : threads) LockSupport.unpark(th);
    }
}
