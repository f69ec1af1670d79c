package org.rapaio.jupyter.kernel.channels;

/**
 * Squeeze's drop-in replacement for the rapaio Jupyter kernel's (3.0.1) channel loop thread, put ahead
 * of the kernel jar on the class path by install-kernel.sh. Same name, constructor and methods; two
 * behaviours differ, and they are why the original hangs about one kernel start in ten:
 *
 * <ul>
 *   <li>The original {@code start()} starts the thread and only then sets {@code running}; a thread
 *       that gets the CPU first reads {@code running == false}, leaves {@code run()} at once and never
 *       serves its socket. Losing that race on the shell channel is a kernel that never answers
 *       {@code kernel_info} (a "hung" start); on the control channel, one that ignores interrupts and
 *       shutdown requests. Here {@code running} is set before the thread starts.</li>
 *   <li>An exception escaping the loop body ended the thread the same way (for example a request that
 *       arrives before the kernel has registered its message handlers). Here it is logged and the loop
 *       goes on; Jupyter clients repeat {@code kernel_info} requests until one is answered.</li>
 * </ul>
 */
public final class LoopThread extends Thread {

    private static final int MAX_LOGGED_ERRORS = 20;

    private volatile boolean running;
    private final long sleepMillis;
    private final Runnable loopBody;
    private int errors;

    public LoopThread(String name, long sleepMillis, Runnable loopBody) {
        super(name);
        this.sleepMillis = sleepMillis;
        this.loopBody = loopBody;
    }

    @Override
    public synchronized void start() {
        running = true;
        super.start();
    }

    @Override
    public void run() {
        while (running) {
            try {
                loopBody.run();
            } catch (RuntimeException | LinkageError e) {
                if (running && ++errors <= MAX_LOGGED_ERRORS) {
                    System.err.println("[" + getName() + "] loop body failed, going on: " + e);
                    e.printStackTrace();
                }
            }
            try {
                Thread.sleep(sleepMillis);
            } catch (InterruptedException e) {
                running = false;
            }
        }
    }

    public void shutdown() {
        running = false;
    }
}
