package dev.squeeze.bench;

import java.util.List;
import java.util.Map;

/**
 * Everything {@code bench.json} holds.
 *
 * @param machine JDK, OS, cores and CPU model ({@code dev.squeeze.Environment.machine()})
 * @param cpu CPU model name
 * @param isa the CPU's vector extensions that decide kernel speed (AVX2, FMA, AVX-512, VNNI — int8
 *     dot products —, AMX), from {@code /proc/cpuinfo}; empty where unknown
 * @param loadAverage {@code /proc/loadavg}'s 1-minute load at the start and the end of the run: above
 *     the core count, other processes competed for the CPU and the times are inflated and noisy
 * @param environment thread-related environment variables as they were at start-up (unset ones omitted)
 * @param config what was asked
 * @param models the weights every runtime ran
 * @param rows one per (model, batch, threads, runtime)
 * @param notes caveats a reader must know (untrained weights, failed runtimes)
 */
public record BenchReport(String machine, String cpu, String isa, double[] loadAverage, Map<String, String> environment, BenchConfig config, List<ModelInfo> models,
        List<BenchRow> rows, List<String> notes) {

    /**
     * @param name zoo name
     * @param parameters trainable parameters
     * @param testAccuracy accuracy from training on its test subset, {@code NaN} when untrained
     * @param provenance how the weights came to be
     * @param agreementImages images top-1 agreement was measured on
     */
    public record ModelInfo(String name, long parameters, double testAccuracy, String provenance, int agreementImages) {}
}
