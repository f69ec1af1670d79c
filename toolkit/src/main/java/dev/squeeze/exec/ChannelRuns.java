package dev.squeeze.exec;

import java.util.ArrayList;
import java.util.List;

/**
 * How the ops that only move channels (channel slice, channel shuffle, the copies of a concat) build one
 * image's output {@code [outChannels, plane]} from the images of one or more input tensors ("parts",
 * each {@code [partChannels[p], plane]} per image): a list of runs, each {@code len[r]} consecutive
 * channels from part {@code part[r]} starting at channel {@code src[r]} to output channel {@code dst[r]}.
 * Consecutive channels that stay consecutive are merged into one run, so a slice or a concat branch is
 * one copy per image and only a shuffle copies plane by plane. Both executors run these runs
 * (the int8 one requantizes a concat branch instead of copying when its grid differs from the output's).
 */
record ChannelRuns(int[] partChannels, int outChannels, int plane, int[] part, int[] src, int[] dst, int[] len) {

    /** Channels {@code [from, to)} of a {@code [channels, plane]} tensor. */
    static ChannelRuns slice(int channels, int from, int to, int plane) {
        return new ChannelRuns(new int[] {channels}, to - from, plane, new int[] {0}, new int[] {from}, new int[] {0}, new int[] {to - from});
    }

    /** ShuffleNet's shuffle of {@code channels = groups · k}: output channel {@code j·groups + i} is input channel {@code i·k + j}. */
    static ChannelRuns shuffle(int channels, int groups, int plane) {
        int k = channels / groups;
        int[] from = new int[channels];
        for (int i = 0; i < groups; i++) for (int j = 0; j < k; j++) from[j * groups + i] = i * k + j;
        return merged(new int[] {channels}, new int[channels], from, plane);
    }

    /** The parts stacked along channels in order. */
    static ChannelRuns concat(int[] partChannels, int plane) {
        int n = partChannels.length, c = 0;
        int[] dst = new int[n], part = new int[n];
        for (int p = 0; p < n; p++) {
            part[p] = p;
            dst[p] = c;
            c += partChannels[p];
        }
        return new ChannelRuns(partChannels.clone(), c, plane, part, new int[n], dst, partChannels.clone());
    }

    /** Runs for "output channel j comes from channel {@code from[j]} of part {@code part[j]}", merged where consecutive. */
    private static ChannelRuns merged(int[] partChannels, int[] part, int[] from, int plane) {
        List<int[]> runs = new ArrayList<>();
        for (int j = 0; j < from.length; j++) {
            int[] last = runs.isEmpty() ? null : runs.getLast();
            if (last != null && last[0] == part[j] && last[1] + last[3] == from[j]) last[3]++;
            else runs.add(new int[] {part[j], from[j], j, 1});
        }
        int n = runs.size();
        int[] p = new int[n], s = new int[n], d = new int[n], l = new int[n];
        for (int r = 0; r < n; r++) {
            int[] run = runs.get(r);
            p[r] = run[0];
            s[r] = run[1];
            d[r] = run[2];
            l[r] = run[3];
        }
        return new ChannelRuns(partChannels.clone(), from.length, plane, p, s, d, l);
    }

    int runs() { return part.length; }

    /** Offset of run {@code r}'s first source value in image {@code n} of its part, relative to the part's offset. */
    int srcOffset(int r, int n) { return (n * partChannels[part[r]] + src[r]) * plane; }

    /** Offset of run {@code r}'s first output value in image {@code n}, relative to the output's offset. */
    int dstOffset(int r, int n) { return (n * outChannels + dst[r]) * plane; }

    /** Values run {@code r} moves per image. */
    int count(int r) { return len[r] * plane; }
}
