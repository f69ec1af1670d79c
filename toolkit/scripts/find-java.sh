#!/usr/bin/env bash
# JDK discovery shared by the Squeeze scripts (and meant to match the ./squeeze launcher):
#   1. $JAVA_HOME/bin/java
#   2. /usr/lib/jvm/*25*/bin/java   (the JDK the project is developed on)
#   3. java on PATH
# The first candidate that is a full JDK >= 21 wins; candidates that are too old are reported and
# skipped rather than silently used, because the kernel needs jdk.jshell and the toolkit needs
# Java 21 bytecode and jdk.incubator.vector.
#
# Source it and call `squeeze_find_java` (prints the path to the java binary), or run it directly.

squeeze_java_major() {
    # java.specification.version is "21", "25", ... (and "1.8" for Java 8, which compares as 1).
    "$1" -XshowSettings:properties -version 2>&1 \
        | awk -F'= ' '/java.specification.version/ { split($2, v, "."); print (v[1] == 1 ? v[2] : v[1]); exit }'
}

squeeze_find_java() {
    local min="${SQUEEZE_MIN_JAVA:-21}" candidate major
    local -a candidates=()
    [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME/bin/java")
    local jdk
    for jdk in /usr/lib/jvm/*25*; do
        [[ -x "$jdk/bin/java" ]] && candidates+=("$jdk/bin/java")
    done
    if command -v java >/dev/null 2>&1; then
        candidates+=("$(command -v java)")
    fi
    for candidate in "${candidates[@]}"; do
        [[ -x "$candidate" ]] || continue
        major="$(squeeze_java_major "$candidate")"
        if [[ -z "$major" || "$major" -lt "$min" ]]; then
            echo "find-java: skipping $candidate (Java ${major:-?}, need >= $min)" >&2
            continue
        fi
        # A JRE has no jshell, which every Java Jupyter kernel is built on.
        if ! "$candidate" --list-modules 2>/dev/null | grep -q '^jdk.jshell@'; then
            echo "find-java: skipping $candidate (no jdk.jshell module: a JRE, not a JDK)" >&2
            continue
        fi
        # Resolve symlinks (e.g. /usr/bin/java) so kernel specs keep pointing at this exact JDK.
        readlink -f "$candidate"
        return 0
    done
    echo "find-java: no JDK >= $min found (looked at JAVA_HOME, /usr/lib/jvm/*25*, PATH)." >&2
    echo "find-java: install one (e.g. 'apt-get install openjdk-21-jdk-headless' or Temurin) or set JAVA_HOME." >&2
    return 1
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    squeeze_find_java
fi
