package dev.squeeze.export;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.squeeze.data.BatchMaker;
import dev.squeeze.data.Datasets;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.data.Split;
import dev.squeeze.model.ModelFile;
import dev.squeeze.model.Network;
import dev.squeeze.quant.CalibrationMethod;
import dev.squeeze.ir.Int8Model;
import dev.squeeze.quant.IntegerReference;
import dev.squeeze.quant.Quantization;
import dev.squeeze.quant.QuantizedNetwork;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Not a unit test: the exporter on a trained model and the real CIFAR-10 test set, printing the
 * figures (fp32 max |ORT − Squeeze|, int8 top-1 agreement between ORT and {@link IntegerReference},
 * accuracies, the kernels ORT fused to). Needs CIFAR-10 under {@code $SQUEEZE_DATA}.
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp CLASSPATH \
 *        dev.squeeze.export.OnnxRealDataCheck seed-cnn.sqz [out-dir]
 * </pre>
 */
public final class OnnxRealDataCheck {
    public static void main(String[] args) throws Exception {
        Path model = Path.of(args.length > 0 ? args[0] : "/tmp/runs/std/seed-cnn.sqz");
        Path out = Files.createDirectories(Path.of(args.length > 1 ? args[1] : "/tmp/onnx-check"));
        Preprocessing prep = Preprocessing.halfHalf();
        ImageSet test = Datasets.cifar10(Split.TEST);
        int n = test.size(), bs = 500;
        BatchMaker maker = new BatchMaker(test, prep);
        try (Network net = ModelFile.load(model)) {
            int[] in = net.architecture().inputShape();
            // ---- fp32
            Path f32 = OnnxExport.fp32(net, out.resolve("seed-cnn-fp32.onnx"));
            double maxAbs = 0, maxRel = 0;
            int agreeF = 0, correctSq = 0, correctOrt = 0;
            long tSq = 0, tOrt = 0;
            try (Ort ort = new Ort(f32)) {
                for (int from = 0; from < n; from += bs) {
                    int c = Math.min(bs, n - from);
                    float[] x = maker.batch(from, c);
                    long t0 = System.nanoTime();
                    float[] want = net.logits(x, c);
                    long t1 = System.nanoTime();
                    float[] got = ort.run(x, c, in[0], in[1], in[2]);
                    long t2 = System.nanoTime();
                    tSq += t1 - t0;
                    tOrt += t2 - t1;
                    for (int i = 0; i < want.length; i++) {
                        double d = Math.abs(got[i] - want[i]);
                        maxAbs = Math.max(maxAbs, d);
                        maxRel = Math.max(maxRel, d / Math.max(1, Math.abs(want[i])));
                    }
                    int[] a = Network.argmax(want, c), b = Network.argmax(got, c);
                    for (int i = 0; i < c; i++) {
                        if (a[i] == b[i]) agreeF++;
                        if (a[i] == test.label(from + i)) correctSq++;
                        if (b[i] == test.label(from + i)) correctOrt++;
                    }
                }
            }
            System.out.printf("fp32: %s (%,d bytes)%n", f32, Files.size(f32));
            System.out.printf("fp32: max |ORT − Squeeze| = %.3g, max relative (÷max(1,|logit|)) = %.3g over %d×10 logits%n", maxAbs, maxRel, n);
            System.out.printf("fp32: top-1 agreement %.4f; accuracy Squeeze %.4f, ORT %.4f; time Squeeze %.2f s, ORT %.2f s%n",
                    (double) agreeF / n, (double) correctSq / n, (double) correctOrt / n, tSq / 1e9, tOrt / 1e9);

            // ---- int8
            ImageSet calib = Datasets.cifar10(Split.TRAIN).subset(1000, 7, true);
            Int8Model m;
            int[] fakeQuant;
            try (QuantizedNetwork q = Quantization.calibrate(net, calib, prep, CalibrationMethod.MSE)) {
                m = q.convert();
                fakeQuant = q.evaluate(test, prep).predictions(); // the float simulation the integer model was converted from
            }
            int[] ortPred = new int[n], refPred = new int[n];
            Path q8 = OnnxExport.int8Qdq(m, out.resolve("seed-cnn-int8-qdq.onnx"));
            Path opt = out.resolve("seed-cnn-int8-qdq.optimized.onnx");
            OptLevel level = OptLevel.valueOf(System.getProperty("ort.level", "EXTENDED_OPT"));
            int agree = 0, correctRef = 0, correctQ = 0, closeCalls = 0;
            double worstSteps = 0, sumSteps = 0;
            long tRef = 0, tQ = 0;
            float step = m.outputParams().scale();
            try (Ort ort = new Ort(q8, level, opt)) {
                for (int from = 0; from < n; from += bs) {
                    int c = Math.min(bs, n - from);
                    float[] x = maker.batch(from, c);
                    long t0 = System.nanoTime();
                    float[] ref = IntegerReference.logits(m, x, c);
                    long t1 = System.nanoTime();
                    float[] got = ort.run(x, c, in[0], in[1], in[2]);
                    long t2 = System.nanoTime();
                    tRef += t1 - t0;
                    tQ += t2 - t1;
                    int[] codes = IntegerReference.run(m, x, c);
                    int[] a = IntegerReference.argmax(codes, c), b = Network.argmax(got, c);
                    System.arraycopy(a, 0, refPred, from, c);
                    System.arraycopy(b, 0, ortPred, from, c);
                    for (int i = 0; i < c; i++) {
                        if (a[i] == b[i]) agree++;
                        else {
                            // How close was the reference's own decision? margin = top-1 code − runner-up code.
                            int best = codes[i * 10 + a[i]], second = Integer.MIN_VALUE;
                            for (int k = 0; k < 10; k++) if (k != a[i]) second = Math.max(second, codes[i * 10 + k]);
                            if (best - second <= 1) closeCalls++;
                        }
                        if (a[i] == test.label(from + i)) correctRef++;
                        if (b[i] == test.label(from + i)) correctQ++;
                    }
                    for (int i = 0; i < ref.length; i++) {
                        double d = Math.abs(got[i] - ref[i]) / step;
                        worstSteps = Math.max(worstSteps, d);
                        sumSteps += d;
                    }
                }
            }
            System.out.printf("int8: %s (%,d bytes); int8 model %s%n", q8, Files.size(q8), m);
            System.out.printf("int8: ORT vs IntegerReference top-1 agreement %.4f (%d of %d differ; in %d of them the reference's"
                    + " top two output codes were within 1 step)%n", (double) agree / n, n - agree, n, closeCalls);
            System.out.printf("int8: logits: max %.2f output steps, mean %.4f steps (step %.4g)%n", worstSteps, sumSteps / (n * 10.0), step);
            System.out.printf("int8: accuracy IntegerReference %.4f, ORT %.4f; time IntegerReference %.2f s, ORT %.2f s%n",
                    (double) correctRef / n, (double) correctQ / n, tRef / 1e9, tQ / 1e9);
            System.out.println("int8: ops ORT runs (" + level + "): " + OnnxExportInt8Test.opHistogram(OnnxReader.read(opt)));
            int refFq = 0, ortFq = 0;
            for (int i = 0; i < n; i++) {
                if (refPred[i] == fakeQuant[i]) refFq++;
                if (ortPred[i] == fakeQuant[i]) ortFq++;
            }
            System.out.println("int8: per-op code differences, ORT vs IntegerReference, first 1000 test images:");
            for (Ort.TapDiff d : Ort.compareTaps(m, maker.batch(0, 1000), 1000, out)) System.out.println("    " + d);
            System.out.printf("int8: for scale: top-1 agreement with the fake-quant network: IntegerReference %.4f, ORT %.4f%n",
                    (double) refFq / n, (double) ortFq / n);
        }
    }
}
