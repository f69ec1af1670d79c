#!/usr/bin/env bash
# ./squeeze test: unit tests (Maven Surefire), then every notebook executed headless at the quick
# budget on real data when data is available, once under each kernel (IJava "java" and "rapaio"), so
# each notebook counts twice. Ends with one summary line "Tests: N passed, M failed".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# The oneDNN probe runs the toolkit jar, so build it first when missing (a fresh clone); mvn verify
# below reuses the compiled classes.
if [ ! -f "$root/toolkit/target/squeeze-toolkit.jar" ] || [ ! -d "$root/toolkit/target/lib" ]; then
  echo "== building the toolkit for the oneDNN probe (mvn package -pl toolkit) =="
  mvn -q -B -ntp package -DskipTests -pl toolkit 2>&1 | grep -v -e 'WARNING: A terminally deprecated' -e 'sun.misc.Unsafe' -e 'Please consider reporting'
fi
# Exports ONEDNN_MAX_CPU_ISA where libtorch's oneDNN computes wrong conv gradients on this CPU; Surefire
# gets it through squeeze.onednn.isa (ALL = uncapped, on machines the probe proved clean). The notebooks
# below inherit it from this environment.
# shellcheck source=toolkit/scripts/onednn-env.sh
source "$root/toolkit/scripts/onednn-env.sh"
echo "== unit tests (mvn verify, ONEDNN_MAX_CPU_ISA=${ONEDNN_MAX_CPU_ISA:-ALL}) =="
mvn -B -ntp verify -Dsqueeze.onednn.isa="${ONEDNN_MAX_CPU_ISA:-ALL}" 2>&1 | tee "$log" | grep -v -e '^\[INFO\] Download' -e 'WARNING: A terminally deprecated' -e 'sun.misc.Unsafe' -e 'Please consider reporting'
unit_rc=${PIPESTATUS[0]}
# Surefire prints one "Tests run:" line without "in <class>" per module: its total. Sum them over the
# modules (toolkit, toolkit/bench).
read -r run fail err skip < <(grep -E '^\[(INFO|ERROR|WARNING)\] Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$' "$log" \
  | sed -E 's/.*Tests run: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+), Skipped: ([0-9]+)/\1 \2 \3 \4/' \
  | awk '{r+=$1; f+=$2; e+=$3; s+=$4} END {if (NR) print r, f, e, s}')
run=${run:-0}; fail=${fail:-0}; err=${err:-0}; skip=${skip:-0}
passed=$((run - fail - err - skip)); failed=$((fail + err))
if [ "$unit_rc" != 0 ] && [ "$failed" = 0 ]; then failed=1; echo "unit tests: Maven failed before or outside the tests (exit $unit_rc)"; fi

nb_passed=0; nb_failed=0
if [ "$unit_rc" = 0 ]; then
  if [ -n "${SQUEEZE_DATA:-}" ] || [ -d "$HOME/.squeeze/data/cifar-10-batches-bin" ]; then
    echo "== notebooks (budget ${SQUEEZE_BUDGET:-quick}) =="
    nblog="$(mktemp)"
    SQUEEZE_BUDGET="${SQUEEZE_BUDGET:-quick}" bash "$root/toolkit/scripts/notebooks.sh" 2>&1 | tee "$nblog"
    nb_rc=${PIPESTATUS[0]}
    line="$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$nblog" | tail -1)"
    nb_passed=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/'); nb_passed=${nb_passed:-0}
    nb_failed=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/'); nb_failed=${nb_failed:-0}
    if [ "$nb_rc" != 0 ] && [ "$nb_failed" = 0 ]; then nb_failed=1; fi
    rm -f "$nblog"
  else
    echo "== notebooks skipped: no data (set SQUEEZE_DATA or see README, Data) =="
  fi
fi
echo
echo "unit tests: $passed passed, $failed failed, $skip skipped; notebooks: $nb_passed passed, $nb_failed failed"
echo "Tests: $((passed + nb_passed)) passed, $((failed + nb_failed)) failed"
[ "$failed" = 0 ] && [ "$nb_failed" = 0 ]
