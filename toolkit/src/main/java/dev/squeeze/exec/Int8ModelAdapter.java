package dev.squeeze.exec;

import dev.squeeze.ir.Int8Model;
import dev.squeeze.ir.Int8Op;
import dev.squeeze.ir.Int8Weights;
import dev.squeeze.ir.Requantization;
import dev.squeeze.ir.Requantizer;
import dev.squeeze.ir.TensorShape;
import java.util.ArrayList;
import java.util.List;

/**
 * Packs an {@link Int8Model} for the int8 executor: every op maps one to one onto an {@link ExecOp}
 * with the same arithmetic ({@code IntegerReference}'s). Weights are unpacked from their stored bit width
 * and offset by their channel's zero point ({@code w − zp_w}); layers whose offset weights leave
 * [−128, 127] run on the scalar kernels (see {@link Int8Kernels#conv2d}). Each {@code Requantization}
 * becomes an {@link OutputStage}: its positive branch gives the multipliers and qmax, its negative branch
 * the second multipliers and qmin (the other bounds never bind, see {@link OutputStage}); under ReLU6 that
 * qmax is the code of real 6, below the grid's. A concat keeps each branch's {@code Requantizer} (the
 * executor runs it as a one-channel stage), a lookup its table.
 */
public final class Int8ModelAdapter {
    private Int8ModelAdapter() {}

    /** An executor for {@code m}: quantize input, the model's ops, dequantize output. */
    public static Int8Executor executor(Int8Model m, Int8Kernels kernels, Int8Executor.Options options) {
        List<Int8Op> ops = m.ops();
        List<ExecOp> list = convert(ops.subList(1, ops.size() - 1), kernels, m);
        TensorShape in = m.inputShape();
        return Int8Executor.of(kernels, in.toArray(), m.inputParams(), list, options);
    }

    static List<ExecOp> convert(List<Int8Op> ops, Int8Kernels k, Int8Model m) {
        List<ExecOp> out = new ArrayList<>();
        for (Int8Op op : ops) {
            String name = m.nodeName(op.id()) + " " + op.describe(); // profile rows: layer1.0.conv1 conv 64→64 3×3 + relu
            out.add(switch (op) {
                case Int8Op.Conv c -> {
                    var l = c.layer();
                    TensorShape s = c.inputShape();
                    ConvSpec spec = new ConvSpec(l.in(), l.out(), l.kernel(), l.stride(), l.padding(), l.groups(), s.height(), s.width());
                    CodeType t = CodeType.of(c.input().qmin(), c.input().qmax());
                    yield new ExecOp.Conv(name, k.conv2d(spec, t, c.input().zeroPoint(), offsetWeights(c.weights()), c.bias(),
                            stage(c.requantization())), c.output());
                }
                case Int8Op.Dense d -> {
                    var l = d.layer();
                    CodeType t = CodeType.of(d.input().qmin(), d.input().qmax());
                    yield new ExecOp.Linear(name, k.linear(l.in(), l.out(), t, d.input().zeroPoint(), offsetWeights(d.weights()), d.bias(),
                            stage(d.requantization())), d.output());
                }
                case Int8Op.MaxPool p -> new ExecOp.MaxPool(name, p.layer().kernel(), p.layer().stride(), p.layer().padding());
                case Int8Op.AvgPool p -> new ExecOp.AvgPool(name, p.layer().kernel(), p.layer().stride(), p.layer().padding());
                case Int8Op.GlobalAvgPool g -> new ExecOp.GlobalAvgPool(name);
                case Int8Op.Flatten f -> new ExecOp.Flatten(name);
                case Int8Op.Act a -> new ExecOp.Activation(name, stage(a.requantization()), a.output());
                case Int8Op.Lookup l -> new ExecOp.Lookup(name, l.input(), l.table(), l.output());
                case Int8Op.Concat c -> {
                    List<List<ExecOp>> branches = new ArrayList<>();
                    for (List<Int8Op> b : c.branches()) branches.add(convert(b, k, m));
                    yield new ExecOp.Concat(name, branches, c.branchGrids(), c.rescales(), c.output());
                }
                case Int8Op.ChannelSlice s -> new ExecOp.ChannelSlice(name, s.layer().from(), s.layer().to());
                case Int8Op.ChannelShuffle s -> new ExecOp.ChannelShuffle(name, s.sources());
                case Int8Op.Add a -> new ExecOp.Residual(name, convert(a.body(), k, m), convert(a.shortcut(), k, m), a.leftShift(), a.aRescale(),
                        a.bRescale(), stage(a.requantization()), a.output());
                case Int8Op.QuantizeInput q -> throw new IllegalArgumentException("Int8ModelAdapter: quantize-input op inside the graph");
                case Int8Op.Dequantize q -> throw new IllegalArgumentException("Int8ModelAdapter: dequantize op inside the graph");
            });
        }
        return out;
    }

    /** Weight codes minus their channel's zero point, in the stored row-major layout. */
    static int[] offsetWeights(Int8Weights w) {
        int[] codes = w.unpackInts();
        for (int i = 0; i < codes.length; i++) codes[i] -= w.zeroPoint(i / w.perChannel());
        return codes;
    }

    static OutputStage stage(Requantization r) {
        return OutputStage.of(r.positive().toArray(new Requantizer[0]), r.negative().toArray(new Requantizer[0]));
    }
}
