#!/usr/bin/env bash
# `./squeeze notebooks`: execute every notebooks/*.ipynb headless under both Squeeze kernels, IJava
# (spec "java", what Binder and `./squeeze jupyter` open) and rapaio (spec "rapaio"), a fresh kernel
# per notebook per kernel, and write target/notebooks/<notebook>.<ijava|rapaio>.ipynb and .html.
# Fails if any cell errors under either kernel.
#
#   1. makes sure Jupyter's nbclient/nbconvert are there (installs the Debian packages as root,
#      otherwise prints the apt-get line to run and stops),
#   2. builds the toolkit if its jar is missing or older than the sources,
#   3. (re)installs both kernel specs with install-kernel.sh, the script Binder's postBuild runs
#      (IJava from ../shared/kernels/ijava-1.3.0.zip on the project's machines, else IJAVA_ZIP_URL
#      or the official release),
#   4. runs run-notebooks.py under both kernels; extra arguments are passed on to it
#      (e.g. --kernel rapaio to run under one kernel only).
#
# Environment: SQUEEZE_BUDGET (default quick), SQUEEZE_DATA, SQUEEZE_SKIP_BUILD=1, plus those of
# install-kernel.sh and run-notebooks.py.

set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
APT_PACKAGES=(jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel)

# shellcheck source-path=SCRIPTDIR
source "$SCRIPT_DIR/find-java.sh"

# The Debian packages install into /usr/bin/python3; a pyenv/venv python3 earlier on PATH does not
# see them, so prefer the system interpreter and fall back to whatever python3 has the modules.
has_jupyter_modules() {
    "$1" -c 'import nbclient, nbconvert, nbformat, jupyter_client' >/dev/null 2>&1
}
find_python() {
    local py
    for py in /usr/bin/python3 "$(command -v python3 || true)"; do
        if [[ -n "$py" && -x "$py" ]] && has_jupyter_modules "$py"; then
            echo "$py"
            return 0
        fi
    done
    return 1
}

if ! PYTHON="$(find_python)"; then
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "notebooks: installing ${APT_PACKAGES[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        # Only refresh the package lists when they do not know the packages yet.
        if ! apt-cache show "${APT_PACKAGES[@]}" >/dev/null 2>&1; then
            apt-get update -qq
        fi
        apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" >/dev/null
        PYTHON="$(find_python)" || { echo "notebooks: Jupyter modules still missing after apt-get" >&2; exit 1; }
    else
        echo "notebooks: Jupyter's nbclient/nbconvert are not installed. Run:" >&2
        echo "  sudo apt-get install -y ${APT_PACKAGES[*]}" >&2
        exit 1
    fi
fi

java_bin="$(squeeze_find_java)"
export JAVA_HOME="${java_bin%/bin/java}"

jar="$REPO_ROOT/toolkit/target/squeeze-toolkit.jar"
if [[ "${SQUEEZE_SKIP_BUILD:-0}" != 1 ]]; then
    stale=""
    if [[ ! -f "$jar" || ! -d "$REPO_ROOT/toolkit/target/lib" ]]; then
        stale="missing"
    elif [[ -n "$(find "$REPO_ROOT/toolkit/src/main" "$REPO_ROOT/toolkit/pom.xml" "$REPO_ROOT/pom.xml" \
                  -newer "$jar" -print -quit)" ]]; then
        stale="older than its sources"
    fi
    if [[ -n "$stale" ]]; then
        echo "notebooks: toolkit jar $stale, building it" >&2
        # Offline first (the usual case once ~/.m2 is warm), online if something is not cached.
        (cd "$REPO_ROOT" && { mvn -o -q -B package -DskipTests || mvn -q -B package -DskipTests; })
    fi
fi

# --user: the per-user kernel directory is searched by every Jupyter on the machine, including the
# system one run below, whereas a --sys-prefix spec would be invisible outside its venv.
"$SCRIPT_DIR/install-kernel.sh" --kernel ijava --user
"$SCRIPT_DIR/install-kernel.sh" --kernel rapaio --user

exec "$PYTHON" "$SCRIPT_DIR/run-notebooks.py" "$@"
