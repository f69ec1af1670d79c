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

    /**
     * A channel permutation of a {@code [sources.length, plane]} tensor: output channel {@code j} is input
     * channel {@code sources[j]} (ShuffleNet's g-group shuffle or an explicit permutation, see
     * {@code Layer.ChannelShuffle.sources}).
     */
    static ChannelRuns permute(int[] sources, int plane) {
        return merged(new int[] {sources.length}, new int[sources.length], sources, plane);
    }

    /** The parts stacked along channels in order. */
    static ChannelRuns concat(int[] partChannels, int plane) {
        return concat(partChannels, new int[partChannels.length], partChannels, plane);
    }

    /**
     * Channels {@code [from[p], from[p] + len[p])} of each part {@code p} stacked in order (a concat branch that
     * is only a channel slice reads its part of the concat's input directly, without a copy of its own).
     */
    static ChannelRuns concat(int[] partChannels, int[] from, int[] len, int plane) {
        int n = partChannels.length, c = 0;
        int[] dst = new int[n], part = new int[n];
        for (int p = 0; p < n; p++) {
            part[p] = p;
            dst[p] = c;
            c += len[p];
        }
        return new ChannelRuns(partChannels.clone(), c, plane, part, from.clone(), dst, len.clone());
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
