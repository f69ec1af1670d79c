#!/usr/bin/env bash
# Sourced by every entry point that starts a JVM loading libtorch (./squeeze, test.sh, the kernel
# wrappers, Binder). Contract: after `source onednn-env.sh`, ONEDNN_MAX_CPU_ISA is exported when this
# machine needs libtorch's oneDNN capped (its AVX-512 conv backward_data kernel computes wrong input
# gradients on some CPUs), and left untouched otherwise. A value the caller already set always wins.
# Needs JAVA_HOME (a JDK ≥ 21) only the first time on a machine, to run the probe; never exits the caller.
#
# Why a probe: oneDNN reads the variable once, in the native process, so the JVM cannot set it for
# itself; and the cap costs throughput, so it goes only where the bug is live. The probe is
# dev.squeeze.train.ConvGradientCheck (a few conv forward/backward passes against a double-precision
# reference, ~2 s) run once per machine in a child JVM without the variable; its verdict is cached
# under ${XDG_CACHE_HOME:-$HOME/.cache}/squeeze/ keyed by the CPU (model name + flags), the libtorch
# version and the check's version, so a new CPU, libtorch or check re-probes.
#
# Run directly: `bash onednn-env.sh --key` prints this machine's cache key (the test compares it with
# Java's), `bash onednn-env.sh` prints what sourcing would export.

# Must equal ConvGradientCheck.VERSION (ConvGradientCheckTest checks).
squeeze_onednn_check_version=2
# Caps to try when the probe finds the bug, narrowest first: AVX2_VNNI_2 drops only the AVX-512 levels
# (every AVX-512 level was wrong where the bug was found); AVX2 is the fallback every oneDNN knows.
squeeze_onednn_caps="AVX2_VNNI_2 AVX2"

squeeze_onednn_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# libtorch's version from the native jar's name in toolkit/target/lib (pytorch-native-cpu-2.7.1-….jar).
squeeze_onednn_torch_version() {
  local jar
  for jar in "$squeeze_onednn_root"/toolkit/target/lib/pytorch-native-cpu-*.jar; do
    [ -f "$jar" ] || continue
    jar="${jar##*/pytorch-native-cpu-}"; echo "${jar%%-*}"; return 0
  done
  return 1
}

# First 16 hex digits of SHA-256 over: CPU model name, CPU flags, libtorch version, check version (one
# per line). ConvGradientCheck.cacheKey computes the same in Java for the in-JVM warning.
squeeze_onednn_key() {
  local model flags torch
  model="$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | sed 's/^[^:]*:[[:space:]]*//; s/[[:space:]]*$//')"
  flags="$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | sed 's/^[^:]*:[[:space:]]*//; s/[[:space:]]*$//')"
  torch="$(squeeze_onednn_torch_version)" || return 1
  [ -n "$model" ] && [ -n "$flags" ] || return 1
  printf '%s\n%s\n%s\n%s\n' "$model" "$flags" "$torch" "$squeeze_onednn_check_version" | sha256sum | cut -c1-16
}

squeeze_onednn_cache_dir() { echo "${XDG_CACHE_HOME:-$HOME/.cache}/squeeze"; }

# Runs ConvGradientCheck in a child JVM with the given cap ("" = none); its exit status: 0 exact, 3 wrong.
squeeze_onednn_probe() {
  local cap="$1" java="${JAVA_HOME:+$JAVA_HOME/bin/}java" lib="$squeeze_onednn_root/toolkit/target"
  ( unset ONEDNN_MAX_CPU_ISA; [ -n "$cap" ] && export ONEDNN_MAX_CPU_ISA="$cap"
    DJL_OFFLINE=true OPT_OUT_TRACKING=true OMP_WAIT_POLICY=PASSIVE \
      "$java" --enable-native-access=ALL-UNNAMED -Dorg.slf4j.simpleLogger.defaultLogLevel=error \
      -cp "$lib/squeeze-toolkit.jar:$lib/lib/*" dev.squeeze.train.ConvGradientCheck >/dev/null 2>&1 )
}

# Prints the cap this machine needs ("" when none), probing and caching on the first call.
squeeze_onednn_decide() {
  local key dir file verdict cap tmp rc c
  local jar="$squeeze_onednn_root/toolkit/target/squeeze-toolkit.jar"
  if [ ! -f "$jar" ] || ! squeeze_onednn_torch_version >/dev/null; then
    echo "squeeze: $jar or its lib/ is missing, so the oneDNN check cannot run: exporting ONEDNN_MAX_CPU_ISA=AVX2 to be safe (build the toolkit to probe)" >&2
    echo AVX2; return 0
  fi
  # No key (no /proc/cpuinfo flags): probe every time rather than trust a verdict for another CPU.
  file=""
  if key="$(squeeze_onednn_key)"; then
    dir="$(squeeze_onednn_cache_dir)"; file="$dir/onednn-check-$key"
    if [ -f "$file" ]; then
      verdict="$(sed -n 's/^verdict=//p' "$file")"; cap="$(sed -n 's/^cap=//p' "$file")"
      case "$verdict" in exact) echo ""; return 0 ;; wrong) echo "${cap:-AVX2}"; return 0 ;; esac
    fi
  fi
  if squeeze_onednn_probe ""; then rc=0; else rc=$?; fi
  case "$rc" in
    0) verdict=exact; cap="" ;;
    3) verdict=wrong; cap=""
       for c in $squeeze_onednn_caps; do
         if squeeze_onednn_probe "$c"; then cap="$c"; break; fi
       done ;;
    *) # The JVM or libtorch failed to start: no verdict to cache; cap this time, probe again next time.
       echo "squeeze: the oneDNN check failed to run (exit $rc; see: $squeeze_onednn_root/squeeze doctor): exporting ONEDNN_MAX_CPU_ISA=AVX2 for now" >&2
       echo AVX2; return 0 ;;
  esac
  if [ "$verdict" = wrong ] && [ -z "$cap" ]; then
    echo "squeeze: libtorch's conv gradients are wrong on this CPU and stayed wrong under every cap tried ($squeeze_onednn_caps); setting AVX2 anyway, run ./squeeze doctor" >&2
    cap=AVX2
  fi
  if [ -n "$file" ] && mkdir -p "$dir" 2>/dev/null && tmp="$(mktemp "$dir/.onednn-check.XXXXXX" 2>/dev/null)"; then
    # mktemp + mv: a reader never sees half a file, and two first runs at once both write whole ones.
    if printf 'verdict=%s\ncap=%s\ncpu=%s\ndate=%s\n' "$verdict" "$cap" \
        "$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^[^:]*:[[:space:]]*//')" "$(date -u +%FT%TZ)" >"$tmp" \
        && chmod 644 "$tmp" && mv -f "$tmp" "$file"; then :; else rm -f "$tmp"; file=""; fi
  else
    file=""
  fi
  local where="verdict not cached"; [ -n "$file" ] && where="verdict cached in $file"
  if [ "$verdict" = wrong ]; then
    echo "squeeze: libtorch's oneDNN computes wrong conv gradients on this CPU (AVX-512 kernels): exporting ONEDNN_MAX_CPU_ISA=$cap ($where)" >&2
  else
    echo "squeeze: libtorch's conv gradients are exact on this CPU: no oneDNN cap needed ($where)" >&2
  fi
  echo "$cap"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  # Executed, not sourced.
  if [ "${1:-}" = --key ]; then squeeze_onednn_key; exit; fi
  if [ -n "${ONEDNN_MAX_CPU_ISA:-}" ]; then echo "ONEDNN_MAX_CPU_ISA=$ONEDNN_MAX_CPU_ISA (set by the caller)"; exit 0; fi
  c="$(squeeze_onednn_decide)"; echo "ONEDNN_MAX_CPU_ISA=${c:-(unset: not needed)}"; exit 0
fi

if [ -z "${ONEDNN_MAX_CPU_ISA:-}" ]; then
  squeeze_onednn_cap="$(squeeze_onednn_decide)"
  [ -n "$squeeze_onednn_cap" ] && export ONEDNN_MAX_CPU_ISA="$squeeze_onednn_cap"
  unset squeeze_onednn_cap
fi
:
