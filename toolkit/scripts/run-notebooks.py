#!/usr/bin/python3
"""Execute the Squeeze notebooks headless and fail on any error.

Runs every notebooks/*.ipynb of the repository (or the notebooks given as arguments) with nbclient
under each kernel named with --kernel (default: "java", IJava, and "rapaio"; see install-kernel.sh),
in a fresh kernel per notebook per kernel, and writes each executed notebook and its HTML rendering
to target/notebooks/<notebook>.<kernel>.ipynb / .html at the repository root. Every (notebook,
kernel) run counts once in the summary.

Why the start-up retry: the rapaio kernel 3.0.1 as released hangs on about one start in six (its
channel loop threads can exit before they ever run: see rapaio-fix/LoopThread.java, which
install-kernel.sh puts ahead of the kernel jar). A start that does not answer within the start-up
timeout is killed (SIGKILL via the kernel manager) and retried with a fresh process, and the
per-run line says on which try it started, so a regression shows.

Environment:
  SQUEEZE_BUDGET                  passed to the kernel; default "quick"
  SQUEEZE_KERNEL_START_TIMEOUT    seconds to wait for a kernel to answer (default 60)
  SQUEEZE_KERNEL_START_TRIES      kernel start attempts per notebook (default 4)
  SQUEEZE_CELL_TIMEOUT            seconds per cell (default 1800)

Prints one line per run (notebook and kernel named) with its timing and ends with
"N passed, M failed" alone on a line, counting runs: 3 notebooks under 2 kernels are 6.
Exit status: 0 when every notebook passed, 1 otherwise (including when there is nothing to run).
"""

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

try:
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    from nbclient.util import ensure_async
    from nbconvert import HTMLExporter
except ImportError as e:  # pragma: no cover - depends on the machine
    sys.exit(
        f"run-notebooks: missing Python module ({e.name}). Install the Debian packages:\n"
        "  apt-get install -y jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel\n"
        "and run this script with /usr/bin/python3."
    )

REPO_ROOT = Path(__file__).resolve().parents[2]
# The two kernels install-kernel.sh installs: "java" is IJava (what the notebooks' metadata and
# Binder open), "rapaio" the rapaio kernel. CI runs every notebook under both.
DEFAULT_KERNELS = ("java", "rapaio")


def env_number(name, default, kind=float):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        sys.exit(f"run-notebooks: {name}={raw!r} is not a number")


def atomic_write(path: Path, data: str) -> None:
    """Readers (CI artifacts, a browser) never see a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; outputs are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class Outcome:
    def __init__(self, name, kernel):
        self.name = name
        self.kernel = kernel
        self.ok = False
        self.message = ""
        self.start_s = 0.0
        self.start_tries = 0
        self.run_s = 0.0
        self.process = None


async def kill_kernel(client: NotebookClient, process=None) -> None:
    """SIGKILL the kernel process; a hung rapaio kernel ignores shutdown and interrupt requests."""
    km = client.km
    if getattr(client, "kc", None) is not None:
        await ensure_async(client.kc.stop_channels())
        client.kc = None
    if km is not None:
        try:
            if km.has_kernel:
                await km.shutdown_kernel(now=True)
        except Exception as e:  # already dead, or never started
            print(f"    (kill: {e})", flush=True)
        finally:
            try:
                await ensure_async(km.cleanup_resources())
            except Exception:
                pass
            client.km = None
    # Belt and braces: the process we spawned must be gone before the next attempt.
    if process is not None and process.poll() is None:
        process.kill()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            print(f"    warning: kernel process {process.pid} survived SIGKILL", flush=True)


def kernel_process(client):
    """The Popen of the kernel (jupyter_client's local provisioner), if there is one."""
    provisioner = getattr(client.km, "provisioner", None) if client.km is not None else None
    return getattr(provisioner, "process", None)


async def start_kernel(client, log, outcome, timeouts, simulate_hangs=0):
    """Start a kernel that answers kernel_info within the timeout; kill and retry otherwise."""
    last_error = None
    for attempt, timeout in enumerate(timeouts, start=1):
        client.km = client.create_kernel_manager()
        process = None
        t0 = time.monotonic()
        log.write(f"=== run-notebooks: kernel start attempt {attempt}/{len(timeouts)} ===\n")
        log.flush()
        try:
            # Kernel stdout/stderr (rapaio logs every message) go to the log, not the CI output.
            await client.async_start_new_kernel(stdout=log, stderr=subprocess.STDOUT)
            process = kernel_process(client)
            if attempt <= simulate_hangs and process is not None:
                # Test aid: a stopped process never answers, like a hung rapaio start.
                os.kill(process.pid, signal.SIGSTOP)
            # nbclient's async_start_new_kernel_client does the same, but only takes whole seconds.
            client.kc = client.km.client()
            await ensure_async(client.kc.start_channels())
            await client.kc.wait_for_ready(timeout=timeout)
            client.kc.allow_stdin = False
            outcome.start_s = time.monotonic() - t0
            outcome.start_tries = attempt
            outcome.process = process
            return
        except Exception as e:
            last_error = e
            print(f"    kernel start {attempt}/{len(timeouts)} got no answer in {time.monotonic() - t0:.1f}s"
                  f" ({type(e).__name__}: {e}); killing it", flush=True)
            await kill_kernel(client, process)
    raise RuntimeError(f"kernel did not start after {len(timeouts)} tries: {last_error}")


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def describe_error(output) -> str:
    """One line from an error output; rapaio puts compile errors in the traceback, not evalue."""
    head = ": ".join(x for x in (output.get("ename", ""), output.get("evalue", "")) if x)
    lines = [ANSI.sub("", line).strip() for line in output.get("traceback", [])]
    text = " | ".join([head] + [line for line in lines if line] if head else [line for line in lines if line])
    return text[:500] or "(no message)"


def cell_name(nb, index) -> str:
    """'cell 3 (first line of its source)': 1-based, as a person counts cells in the notebook."""
    if index is None or index >= len(nb.cells):
        return "cell ?"
    first = next((line.strip() for line in nb.cells[index].source.splitlines() if line.strip()), "")
    return f"cell {index + 1} ({first[:60]!r})"


def cell_error(nb, index):
    if index is None or index >= len(nb.cells):
        return None
    return next((o for o in nb.cells[index].get("outputs", []) if o.get("output_type") == "error"), None)


def first_error_output(nb):
    """(index, output) of the first error output not explicitly allowed by a raises-exception tag."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "raises-exception" in cell.metadata.get("tags", []):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return index, output
    return None


async def run_notebook(path: Path, out_dir: Path, kernel: str, label: str, args) -> Outcome:
    """One notebook under one kernel spec; label names the outputs (<stem>.<label>.ipynb)."""
    outcome = Outcome(path.name, kernel)
    nb = nbformat.read(path, as_version=4)
    current = {"index": None}

    def on_cell_start(cell, cell_index):
        current["index"] = cell_index

    client = NotebookClient(
        nb,
        kernel_name=kernel,
        timeout=int(args.cell_timeout),
        allow_errors=False,
        record_timing=True,
        shutdown_kernel="immediate",
        on_cell_start=on_cell_start,
        resources={"metadata": {"path": str(path.parent)}},
    )
    timeouts = [args.start_timeout] * args.start_tries
    if args.first_start_timeout is not None:
        timeouts[0] = args.first_start_timeout

    log_path = out_dir / "logs" / f"{path.stem}.{label}.kernel.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        try:
            await start_kernel(client, log, outcome, timeouts, args.simulate_hangs)
            t0 = time.monotonic()
            try:
                await client.async_execute()
            finally:
                outcome.run_s = time.monotonic() - t0
            found = first_error_output(nb)
            if found:
                index, output = found
                outcome.message = f"{cell_name(nb, index)} has an error output: {describe_error(output)}"
            else:
                outcome.ok = True
        except CellTimeoutError:
            outcome.message = f"{cell_name(nb, current['index'])} timed out after {args.cell_timeout:.0f}s"
        except CellExecutionError as e:
            output = cell_error(nb, current["index"])
            detail = describe_error(output) if output else str(e).strip().splitlines()[-1][:500]
            outcome.message = f"{cell_name(nb, current['index'])} failed: {detail}"
        except DeadKernelError as e:
            outcome.message = f"kernel died in {cell_name(nb, current['index'])}: {e}"
        except Exception as e:
            outcome.message = f"{type(e).__name__}: {e}"
        finally:
            await kill_kernel(client, outcome.process)

    # Write what ran, pass or fail: a partial notebook is the best failure report.
    stem = out_dir / f"{path.stem}.{label}"
    atomic_write(out_dir / f"{stem.name}.ipynb", nbformat.writes(nb))
    try:
        body, _ = HTMLExporter().from_notebook_node(nb)
        atomic_write(out_dir / f"{stem.name}.html", body)
    except Exception as e:
        print(f"    warning: HTML export of {path.name} failed: {e}", flush=True)
    if not outcome.ok and outcome.start_tries == 0:
        outcome.message += f"\n    kernel log tail ({log_path}):\n" + tail(log_path)
    return outcome


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("notebooks", nargs="*", type=Path,
                   help="notebooks to run (default: notebooks/*.ipynb of the repository)")
    p.add_argument("--kernel", action="append", dest="kernels", metavar="NAME",
                   help="kernel spec to run every notebook under; repeat for several "
                        f"(default: {' and '.join(DEFAULT_KERNELS)})")
    p.add_argument("--out", type=Path, default=REPO_ROOT / "target" / "notebooks",
                   help="output directory (default: target/notebooks at the repository root)")
    p.add_argument("--start-timeout", type=float,
                   default=env_number("SQUEEZE_KERNEL_START_TIMEOUT", 60.0))
    p.add_argument("--start-tries", type=int,
                   default=env_number("SQUEEZE_KERNEL_START_TRIES", 4, int))
    p.add_argument("--cell-timeout", type=float,
                   default=env_number("SQUEEZE_CELL_TIMEOUT", 1800.0))
    p.add_argument("--first-start-timeout", type=float, default=None,
                   help="timeout of the first start attempt only (test aid for the retry path)")
    p.add_argument("--simulate-hangs", type=int, default=0, metavar="N",
                   help="test aid: SIGSTOP the kernel in the first N start attempts of each notebook")
    return p.parse_args()


def kernel_label(name, spec) -> str:
    """Short, file-name-safe kernel id for output names: the spec's squeeze.kernel ("ijava",
    "rapaio") when install-kernel.sh wrote it, else the spec name."""
    label = (spec.metadata or {}).get("squeeze", {}).get("kernel") or name
    return re.sub(r"[^A-Za-z0-9_-]", "_", label)


def main():
    args = parse_args()
    kernels = list(dict.fromkeys(args.kernels or DEFAULT_KERNELS))
    os.environ["SQUEEZE_BUDGET"] = os.environ.get("SQUEEZE_BUDGET") or "quick"
    notebooks = [p.resolve() for p in args.notebooks] or sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
    runs = len(notebooks) * len(kernels)
    if not notebooks:
        print(f"run-notebooks: no notebooks found in {REPO_ROOT / 'notebooks'}", file=sys.stderr)
        print("0 passed, 0 failed")
        return 1
    specs = {}
    for name in kernels:
        try:
            specs[name] = KernelSpecManager().get_kernel_spec(name)
        except NoSuchKernel:
            print(f"run-notebooks: no Jupyter kernel spec named '{name}'; run "
                  "toolkit/scripts/install-kernel.sh --kernel ijava (spec java) and --kernel rapaio first",
                  file=sys.stderr)
            print(f"0 passed, {runs} failed")
            return 1
    labels = {name: kernel_label(name, spec) for name, spec in specs.items()}
    if len(set(labels.values())) < len(labels):  # two specs of one kernel: fall back to spec names
        labels = {name: re.sub(r"[^A-Za-z0-9_-]", "_", name) for name in specs}

    args.out.mkdir(parents=True, exist_ok=True)
    kernel_list = ", ".join(f"'{name}' ({specs[name].display_name})" for name in kernels)
    print(f"run-notebooks: {len(notebooks)} notebook(s) x {len(kernels)} kernel(s) [{kernel_list}], "
          f"budget {os.environ['SQUEEZE_BUDGET']}, output {args.out}", flush=True)
    outcomes = []
    for path in notebooks:
        for name in kernels:
            tag = f"{path.name} [kernel {name}: {specs[name].display_name}]"
            print(f"  {tag} ...", flush=True)
            t0 = time.monotonic()
            outcome = asyncio.run(run_notebook(path, args.out, name, labels[name], args))
            total = time.monotonic() - t0
            status = "PASS" if outcome.ok else "FAIL"
            if outcome.start_tries:
                detail = (f"kernel start {outcome.start_s:.1f}s on try {outcome.start_tries}, "
                          f"cells {outcome.run_s:.1f}s")
            else:
                detail = "kernel never answered"
            print(f"  {status} {tag}: total {total:.1f}s ({detail}) -> {path.stem}.{labels[name]}.ipynb",
                  flush=True)
            if not outcome.ok:
                print(f"    {path.name} [{name}]: {outcome.message}", flush=True)
            outcomes.append(outcome)

    failed = [o for o in outcomes if not o.ok]
    for o in failed:
        print(f"FAILED {o.name} [kernel {o.kernel}]: {o.message.splitlines()[0]}")
    print(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
