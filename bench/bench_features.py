"""Benchmark: the whole Gherkin feature suite, in-process (issue 4: well under a minute).

    python bench/bench_features.py [--repeat 3]

Runs ``pytest tests/bdd`` in a subprocess, serially (no xdist), and prints the wall time
of each run, the best, and the number of scenarios.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    times = []
    summary = ""
    for _ in range(args.repeat):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "tests/bdd"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        times.append(time.perf_counter() - start)
        lines = [line for line in done.stdout.splitlines() if re.search(r"\d+ passed", line)]
        summary = lines[-1] if lines else done.stdout[-500:]
        if done.returncode != 0:
            print(done.stdout[-3000:])
            sys.exit(done.returncode)
    print(f"feature suite in-process: {summary}")
    print("runs: " + ", ".join(f"{t:.1f} s" for t in times) + f"; best {min(times):.1f} s")


if __name__ == "__main__":
    main()
