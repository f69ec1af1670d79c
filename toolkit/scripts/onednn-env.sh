#!/usr/bin/env bash
# Sourced by every entry point that starts a JVM loading libtorch (./squeeze, test.sh, the kernel
# wrappers, Binder). Contract: after `source onednn-env.sh`, ONEDNN_MAX_CPU_ISA is exported when this
# machine needs libtorch's oneDNN capped (its AVX-512 conv backward_data kernel computes wrong input
# gradients on some CPUs), and left untouched otherwise. A value the caller already set always wins.
# Placeholder until the probe lands: does nothing.
:
