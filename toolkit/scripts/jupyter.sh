#!/usr/bin/env bash
# `./squeeze jupyter`: (re)install the two Squeeze kernel specs and open the notebooks interactively
# with JupyterLab if it is installed, else the classic Notebook. Extra arguments go to Jupyter
# (e.g. --no-browser --port 8899).
#
# The notebooks' metadata ask for the spec "java", which is IJava 1.3.0 (install-kernel.sh --kernel
# ijava): it has never hung at start-up here. The rapaio kernel is installed next to it as "rapaio"
# (Kernel > Change Kernel), with Squeeze's fix for its start-up hang (rapaio-fix/LoopThread.java).

set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

if [[ ! -f "$REPO_ROOT/toolkit/target/squeeze-toolkit.jar" ]]; then
    echo "jupyter: the toolkit is not built; run 'mvn -B package -DskipTests' (or ./squeeze build) first" >&2
    exit 1
fi

app=""
if command -v jupyter >/dev/null 2>&1; then
    # `jupyter lab --version` succeeds only when the lab extension app is really importable.
    if jupyter lab --version >/dev/null 2>&1; then
        app=lab
    elif jupyter notebook --version >/dev/null 2>&1; then
        app=notebook
    fi
fi
if [[ -z "$app" ]]; then
    echo "jupyter: neither JupyterLab nor Jupyter Notebook is installed. Install one of:" >&2
    echo "  sudo apt-get install -y jupyter-notebook      # Debian/Ubuntu" >&2
    echo "  pip install jupyterlab                        # any Python >= 3.8" >&2
    exit 1
fi

"$SCRIPT_DIR/install-kernel.sh" --kernel ijava
"$SCRIPT_DIR/install-kernel.sh" --kernel rapaio

extra=()
# Jupyter refuses to run as root without this; containers and CI machines often are root.
[[ "$(id -u)" -eq 0 ]] && extra+=(--allow-root)

mkdir -p "$REPO_ROOT/notebooks"
cd "$REPO_ROOT/notebooks"
exec jupyter "$app" "${extra[@]}" "$@"
