#!/usr/bin/env bash
# Installs a Jupyter kernel spec wired so that notebook cells compile and run against the Squeeze
# toolkit with no magics in the notebook. One script for every place a kernel is installed:
# `./squeeze jupyter`, `./squeeze notebooks` / CI, and Binder's postBuild.
#
#   --kernel ijava   IJava 1.3.0, installed as spec "java" (the name the notebooks' metadata ask for,
#                    so Jupyter and Binder open them on it). The default.
#   --kernel rapaio  the rapaio kernel 3.0.1, installed as spec "rapaio".
#
# Usage: install-kernel.sh [--kernel ijava|rapaio] [--user | --sys-prefix] [--name NAME] [--display-name TEXT]
#   Default scope: --sys-prefix inside a virtualenv/conda env (Binder), --user otherwise.
#   Re-running replaces the previous spec (idempotent).
#
# Environment:
#   JAVA_HOME                 JDK to run the kernel (see find-java.sh for the search order)
#   SQUEEZE_DATA, SQUEEZE_BUDGET, SQUEEZE_KERNEL_JAVA_OPTS (extra JVM options, e.g. -Xmx2g)
#                             if set now, recorded as defaults for the kernel; values set when the
#                             kernel starts (e.g. by run-notebooks.py) always win
#   IJAVA_ZIP_URL             where to read IJava's release zip (any URL Python's urllib reads,
#                             file:// included). Default: ../shared/kernels/ijava-1.3.0.zip next to
#                             the repository when it exists (the project's machines, which cannot
#                             reach GitHub), else the official GitHub release; a downloaded zip is
#                             cached in ~/.cache/squeeze/.
#
# How the toolkit reaches the cells, per kernel:
#   rapaio  reads RJK_CLASSPATH at start-up (';'-separated on every OS, globs allowed) and adds the
#           matches to JShell's class path, for compilation and execution alike.
#   IJava   its jar bundles gson 2.8.5 and commons-lang3 3.8.1 unshaded, and the jars named by
#           IJAVA_CLASSPATH load in a child class loader that asks IJava's first (IJava issue #130),
#           so the toolkit would run against IJava's old gson (NoSuchMethodError:
#           JsonParser.parseString). The launcher therefore puts the toolkit's jar and lib/*.jar
#           FIRST on the JVM's -cp, ahead of IJava's jar, and runs IJava's main class; IJAVA_CLASSPATH
#           (written by IJava's own install.py, as Binder always did) still names the same jars so
#           JShell's compiler sees them.
#
# Both launchers are wrapper scripts (kernel.sh in the spec) that set JAVA_HOME, source the repo's
# toolkit/scripts/onednn-env.sh when it exists (libtorch's oneDNN must be configured before the JVM
# loads it), apply the SQUEEZE_* defaults and exec the JVM with
#   --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Djava.awt.headless=true
# and the cell compiler gets --add-modules jdk.incubator.vector too.

set -euo pipefail

RAPAIO_VERSION=3.0.1
RAPAIO_ARTIFACT="io.github.padreati:rapaio-jupyter-kernel:${RAPAIO_VERSION}"
IJAVA_VERSION=1.3.0
IJAVA_MAIN=io.github.spencerpark.ijava.IJava
IJAVA_OFFICIAL_URL="https://github.com/SpencerPark/IJava/releases/download/v${IJAVA_VERSION}/ijava-${IJAVA_VERSION}.zip"
# Pinned like the parent POM's pluginManagement so an offline run finds it in ~/.m2.
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
JVM_FLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Djava.awt.headless=true)
COMPILER_OPTS="--add-modules jdk.incubator.vector"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
TOOLKIT_TARGET="$REPO_ROOT/toolkit/target"

# shellcheck source-path=SCRIPTDIR
source "$SCRIPT_DIR/find-java.sh"

kernel=ijava
scope=""
name=""
display_name=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --kernel) kernel="$2"; shift ;;
        --kernel=*) kernel="${1#--kernel=}" ;;
        --user) scope=user ;;
        --sys-prefix) scope=sys-prefix ;;
        --name) name="$2"; shift ;;
        --display-name) display_name="$2"; shift ;;
        -h|--help) sed -n '2,45p' "$0"; exit 0 ;;
        *) echo "install-kernel: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
case "$kernel" in
    ijava)  name="${name:-java}";   display_name="${display_name:-Java (Squeeze, IJava ${IJAVA_VERSION})}" ;;
    rapaio) name="${name:-rapaio}"; display_name="${display_name:-Java (Squeeze, rapaio ${RAPAIO_VERSION})}" ;;
    *) echo "install-kernel: --kernel must be ijava or rapaio, not '$kernel'" >&2; exit 2 ;;
esac
if [[ -z "$scope" ]]; then
    # repo2docker (Binder) exports NB_PYTHON_PREFIX; conda and venv export their own markers.
    if [[ -n "${VIRTUAL_ENV:-}${CONDA_PREFIX:-}${NB_PYTHON_PREFIX:-}" ]]; then
        scope=sys-prefix
    else
        scope=user
    fi
fi

java_bin="$(squeeze_find_java)"
java_home="$(cd "$(dirname "$java_bin")/.." && pwd)"

if [[ ! -f "$TOOLKIT_TARGET/squeeze-toolkit.jar" ]]; then
    echo "install-kernel: warning: $TOOLKIT_TARGET/squeeze-toolkit.jar is missing; build it" \
         "(mvn -B package -DskipTests) before running notebooks." >&2
fi

# A Python that can import jupyter_client (IJava's install.py needs it): the one on PATH, else the
# system one (Debian's Jupyter packages live there).
find_jupyter_python() {
    local py
    for py in "$(command -v python3 || true)" /usr/bin/python3; do
        if [[ -n "$py" && -x "$py" ]] && "$py" -c 'import jupyter_client' >/dev/null 2>&1; then
            echo "$py"
            return 0
        fi
    done
    return 1
}

stage="$(mktemp -d)"
install_id="$(date +%s)-$$-$RANDOM"
trap 'rm -rf "$stage"' EXIT
spec="$stage/$name"
mkdir -p "$spec"

# --- the kernel's files ----------------------------------------------------------------------------
if [[ "$kernel" == rapaio ]]; then
    # The kernel jar: from the local Maven repository when cached (offline), else downloaded.
    # dependency:copy needs no project, so run it outside the reactor for speed.
    kernel_jar="rapaio-jupyter-kernel-${RAPAIO_VERSION}.jar"
    copy_jar() {
        (cd "$stage" && mvn -B -q "$@" "$DEPENDENCY_PLUGIN:copy" -Dartifact="$RAPAIO_ARTIFACT" \
            -DoutputDirectory="$spec" -Dmdep.overWriteIfNewer=true) >"$stage/mvn.log" 2>&1
    }
    if ! copy_jar -o; then
        echo "install-kernel: $RAPAIO_ARTIFACT not in the local Maven repository, downloading it" >&2
        if ! copy_jar; then
            cat "$stage/mvn.log" >&2
            echo "install-kernel: could not fetch $RAPAIO_ARTIFACT with Maven" >&2
            exit 1
        fi
    fi
    [[ -f "$spec/$kernel_jar" ]] || { echo "install-kernel: $kernel_jar was not copied" >&2; exit 1; }
    # The start-up hang fix (see rapaio-fix/LoopThread.java): a corrected channel loop class, ahead of
    # the kernel jar on the class path.
    "$java_home/bin/javac" --release 21 -nowarn -d "$spec/rapaio-fix" "$SCRIPT_DIR/rapaio-fix/LoopThread.java"
    kernel_cp='$here/rapaio-fix:$here/'"$kernel_jar"
    main_class=org.rapaio.jupyter.kernel.MainApp
    kernel_env_json="$(python3 -c 'import json, sys; print(json.dumps({"RJK_CLASSPATH": sys.argv[1], "RJK_COMPILER_OPTIONS": sys.argv[2]}))' \
        "$TOOLKIT_TARGET/squeeze-toolkit.jar;$TOOLKIT_TARGET/lib/*.jar" "$COMPILER_OPTS")"
else
    PYTHON="$(find_jupyter_python)" || {
        echo "install-kernel: IJava's installer needs Python's jupyter_client; install Jupyter first" \
             "(Debian: apt-get install jupyter-client)" >&2
        exit 1
    }
    shared_zip="$REPO_ROOT/../shared/kernels/ijava-${IJAVA_VERSION}.zip"
    cache_zip="${XDG_CACHE_HOME:-$HOME/.cache}/squeeze/ijava-${IJAVA_VERSION}.zip"
    if [[ -n "${IJAVA_ZIP_URL:-}" ]]; then
        zip_url="$IJAVA_ZIP_URL"
    elif [[ -f "$shared_zip" ]]; then
        zip_url="file://$(cd "$(dirname "$shared_zip")" && pwd)/$(basename "$shared_zip")"
    elif [[ -f "$cache_zip" ]]; then
        zip_url="file://$cache_zip"
    else
        zip_url="$IJAVA_OFFICIAL_URL"
    fi
    # Python rather than curl/unzip: it is certainly there (Binder's image has no unzip).
    "$PYTHON" - "$zip_url" "$stage/ijava.zip" "$stage/ijava" "$IJAVA_VERSION" <<'PY' || exit 1
import sys, urllib.request, zipfile
url, dest, out, version = sys.argv[1:]
try:
    urllib.request.urlretrieve(url, dest)
except Exception as e:
    sys.exit(f"install-kernel: cannot read IJava's release zip from {url}: {e}\n"
             "  set IJAVA_ZIP_URL to a reachable copy (file:// works)")
need = {"install.py", f"java/ijava-{version}.jar", "java/kernel.json"}
with zipfile.ZipFile(dest) as z:
    missing = need - set(z.namelist())
    if missing:
        sys.exit(f"install-kernel: {url} is not IJava {version}'s release zip (missing {sorted(missing)})")
    z.extractall(out)
PY
    if [[ "$zip_url" == "$IJAVA_OFFICIAL_URL" ]]; then
        mkdir -p "$(dirname "$cache_zip")" && cp "$stage/ijava.zip" "$cache_zip" || true
    fi
    # IJava's own installer, as Binder always ran it: it writes IJAVA_CLASSPATH (':'-separated,
    # globs allowed) and IJAVA_COMPILER_OPTS into kernel.json. It always names the spec "java", so
    # install into a scratch prefix and re-register the result under $name below.
    "$PYTHON" "$stage/ijava/install.py" --prefix "$stage/prefix" \
        --classpath "$TOOLKIT_TARGET/squeeze-toolkit.jar" \
        --classpath "$TOOLKIT_TARGET/lib/*.jar" \
        "--comp-opts=$COMPILER_OPTS" >"$stage/install.log" 2>&1 \
        || { cat "$stage/install.log" >&2; exit 1; }
    cp -r "$stage/prefix/share/jupyter/kernels/java/." "$spec/"
    kernel_jar="ijava-${IJAVA_VERSION}.jar"
    [[ -f "$spec/$kernel_jar" ]] || { echo "install-kernel: IJava's installer did not install $kernel_jar" >&2; exit 1; }
    main_class="$IJAVA_MAIN"
    # Toolkit first, IJava's jar last: see the header.
    toolkit_cp="$TOOLKIT_TARGET/squeeze-toolkit.jar:$TOOLKIT_TARGET/lib/*"
    kernel_cp='$toolkit_cp:$here/'"$kernel_jar"
    kernel_env_json="$("$PYTHON" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])).get("env", {})))' "$spec/kernel.json")"
fi

# The main class must be the jar's own (a different release would need this script updated).
manifest_main="$(python3 -c 'import sys, zipfile
for line in zipfile.ZipFile(sys.argv[1]).read("META-INF/MANIFEST.MF").decode().splitlines():
    if line.startswith("Main-Class:"): print(line.split(":", 1)[1].strip())' "$spec/$kernel_jar")"
if [[ "$manifest_main" != "$main_class" ]]; then
    echo "install-kernel: $kernel_jar's Main-Class is '$manifest_main', expected '$main_class'" >&2
    exit 1
fi

# --- the launcher ------------------------------------------------------------------------------------
# A wrapper rather than a bare java argv so that install-time SQUEEZE_* values are only defaults (a
# kernel.json "env" entry would override what the caller sets at start-up), so that onednn-env.sh can
# run before the JVM, and so that the JDK and flags live in one readable place. exec keeps the PID,
# so Jupyter's kill still works.
# shellcheck disable=SC2016 # the single-quoted $... are meant for kernel.sh, expanded at kernel start
{
    echo '#!/usr/bin/env bash'
    echo "# Generated by toolkit/scripts/install-kernel.sh --kernel $kernel from $REPO_ROOT; re-run it to update."
    echo "# install-id: $install_id"
    for var in SQUEEZE_DATA SQUEEZE_BUDGET SQUEEZE_KERNEL_JAVA_OPTS; do
        if [[ -n "${!var:-}" ]]; then
            printf '[[ -n "${%s:-}" ]] || %s=%q\nexport %s\n' "$var" "$var" "${!var}" "$var"
        fi
    done
    printf 'export JAVA_HOME=%q\n' "$java_home"
    echo '# libtorch reads its oneDNN settings when it loads: set them before the JVM starts (optional).'
    printf 'onednn_env=%q\n' "$REPO_ROOT/toolkit/scripts/onednn-env.sh"
    echo '# shellcheck source=/dev/null'
    echo 'if [[ -f "$onednn_env" ]]; then source "$onednn_env" || echo "kernel.sh: $onednn_env failed; starting anyway" >&2; fi'
    printf 'here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"\n'
    [[ -z "${toolkit_cp:-}" ]] || printf 'toolkit_cp=%q\n' "$toolkit_cp"
    printf 'exec %q' "$java_bin"
    printf ' %q' "${JVM_FLAGS[@]}"
    printf ' ${SQUEEZE_KERNEL_JAVA_OPTS:-} -cp "%s" %s "$@"\n' "$kernel_cp" "$main_class"
} >"$spec/kernel.sh"
chmod 755 "$spec/kernel.sh"

# Fixed settings go in kernel.json so `jupyter kernelspec list --json` shows them.
SPEC_NAME="$name" SPEC_DISPLAY="$display_name" SPEC_KERNEL="$kernel" SPEC_ENV="$kernel_env_json" \
    python3 - "$spec/kernel.json" <<'PY'
import json, os, sys
env = json.loads(os.environ["SPEC_ENV"])
env.update({"DJL_OFFLINE": "true", "OPT_OUT_TRACKING": "true", "OMP_WAIT_POLICY": "PASSIVE"})
spec = {
    "argv": ["{resource_dir}/kernel.sh", "{connection_file}"],
    "display_name": os.environ["SPEC_DISPLAY"],
    "language": "java",
    "interrupt_mode": "message",
    "env": env,
    "metadata": {"squeeze": {"kernel": os.environ["SPEC_KERNEL"], "name": os.environ["SPEC_NAME"]}},
}
with open(sys.argv[1], "w") as f:
    json.dump(spec, f, indent=2)
    f.write("\n")
PY

# Install with the jupyter the user will run; without one, copy into the per-user data dir, which
# is all `jupyter kernelspec install --user` does.
if command -v jupyter >/dev/null 2>&1 && jupyter kernelspec --help >/dev/null 2>&1; then
    jupyter kernelspec install --replace --name "$name" "--$scope" "$spec" >/dev/null 2>"$stage/install.log" \
        || { cat "$stage/install.log" >&2; exit 1; }
    installed="$(jupyter kernelspec list --json 2>/dev/null | python3 -c \
        'import json,sys; print(json.load(sys.stdin)["kernelspecs"].get(sys.argv[1], {}).get("resource_dir", ""))' "$name")"
else
    installed="${JUPYTER_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/jupyter}/kernels/$name"
    rm -rf "$installed"
    mkdir -p "$(dirname "$installed")"
    cp -r "$spec" "$installed"
fi

# A spec of the same name in a higher-priority directory (user beats sys-prefix beats system) would
# silently win; catch that here rather than in a confusing notebook failure.
if [[ ! -f "$installed/kernel.sh" ]] || ! grep -qF "install-id: $install_id" "$installed/kernel.sh"; then
    echo "install-kernel: kernel spec '$name' resolves to '$installed', which is not the one just" \
         "installed; remove it (jupyter kernelspec remove $name) and re-run." >&2
    exit 1
fi
echo "install-kernel: kernel spec '$name' ($display_name) -> $installed"
echo "install-kernel: java $java_bin; classpath $TOOLKIT_TARGET/squeeze-toolkit.jar + lib/*.jar"
