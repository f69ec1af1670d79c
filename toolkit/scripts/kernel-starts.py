#!/usr/bin/python3
"""Start a Jupyter kernel N times and count the starts that never answer.

    /usr/bin/python3 toolkit/scripts/kernel-starts.py [--kernel java] [--starts 30] [--timeout 20] [--out DIR]

Each start is a fresh kernel process (jupyter_client's KernelManager), asked for kernel_info the way
Jupyter front ends do (jupyter_client's wait_for_ready re-sends the request every second) and then
killed. A start that gives no reply within --timeout seconds counts as hung; for it, DIR gets the
kernel's log (<i>.log), `jstack` of its JVM (<i>.jstack.txt, JAVA_HOME/bin/jstack) and `ss -tanp`
(<i>.ss.txt), and a second, fresh client is tried, to tell a kernel that is deaf to everyone from a
lost connection. Prints one line per start and "NAME: H of N starts got no kernel_info reply".

This is how the rapaio kernel's start-up hang was diagnosed (README, Notebooks and kernels): with
rapaio 3.0.1 as released, every hung start's thread dump lacked the shell channel's loop thread.
"""
import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from jupyter_client.manager import KernelManager


def jvm_pid(pid: int) -> str:
    """The kernel's JVM: the wrapper kernel.sh execs java, so usually the same pid."""
    kids = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return kids[0] if kids else str(pid)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kernel", default="java")
    p.add_argument("--starts", type=int, default=30)
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("--out", type=Path, default=Path("target/kernel-starts"))
    args = p.parse_args()
    out = args.out / args.kernel
    out.mkdir(parents=True, exist_ok=True)
    jstack = os.path.join(os.environ.get("JAVA_HOME", "/usr"), "bin", "jstack")
    hung, times = 0, []
    for i in range(args.starts):
        km = KernelManager(kernel_name=args.kernel)
        with open(out / f"{i}.log", "w") as log:
            t0 = time.monotonic()
            km.start_kernel(stdout=log, stderr=subprocess.STDOUT)
            kc = km.client()
            kc.start_channels()
            try:
                kc.wait_for_ready(timeout=args.timeout)
                ok = True
            except (RuntimeError, TimeoutError):
                ok = False
            dt = time.monotonic() - t0
            note = ""
            if ok:
                times.append(dt)
            else:
                hung += 1
                pid = jvm_pid(km.provisioner.process.pid)
                dump = subprocess.run([jstack, pid], capture_output=True, text=True).stdout
                (out / f"{i}.jstack.txt").write_text(dump)
                (out / f"{i}.ss.txt").write_text(subprocess.run(["ss", "-tanp"], capture_output=True, text=True).stdout)
                threads = re.findall(r'^"([^"]+)" #\d+', dump, re.M)
                probe = km.client()
                probe.start_channels()
                try:
                    probe.wait_for_ready(timeout=10)
                    note = "; a fresh client got an answer"
                except (RuntimeError, TimeoutError):
                    note = "; a fresh client got none either"
                probe.stop_channels()
                note += f"; threads: {', '.join(t for t in threads if not t.startswith(('GC ', 'G1 ', 'C1 ', 'C2 ')))}"
            kc.stop_channels()
            km.shutdown_kernel(now=True)
        print(f"{i:3d} {'ok  ' if ok else 'HUNG'} {dt:5.1f}s load {os.getloadavg()[0]:.1f}{note}", flush=True)
    median = sorted(times)[len(times) // 2] if times else float("nan")
    print(f"{args.kernel}: {hung} of {args.starts} starts got no kernel_info reply within {args.timeout:.0f}s "
          f"(median answered start {median:.1f}s)")
    return 1 if hung else 0


if __name__ == "__main__":
    sys.exit(main())
