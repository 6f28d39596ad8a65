"""Start-up of the `dataskydd` command and of `dataskydd serve` (issue 13).

Each command is run as a fresh process (as an operator or cron runs it) `--runs` times on a
small SQLite register made here, and its median wall time (and CPU time: the machine is shared)
is printed beside the floors measured in the same run: `python -c pass`, the interpreter alone,
and `python -c "import sqlalchemy"` / `"import sqlalchemy.orm"`, what any command that opens
the database pays before doing anything. Then `dataskydd serve` from its start to the first
200 on /healthz, and the server's resident memory (RSS) once it answers.

Python's bytecode is cached (in a temporary PYTHONPYCACHEPREFIX), as an installed package has
it; `--no-bytecode` measures as a checkout with PYTHONDONTWRITEBYTECODE=1, where every start
compiles every imported module of dataskydd again. One untimed run of each command comes first.

    python benchmarks/bench_startup.py                 # 7 runs of each command
    python benchmarks/bench_startup.py --runs 5 --serve-runs 3
    python benchmarks/bench_startup.py --no-bytecode
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from dataskydd.policy.loader import load_bundled_policy
from dataskydd.policy.schema import LegalBasis

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from serving import free_port, stop  # noqa: E402

# `--help` as it was before issue 13: every command's module imported before anything runs.
EAGER_HELP = (
    "import sys\n"
    "from dataskydd.cli import COMMANDS, load_commands, main\n"
    "for module in dict.fromkeys(entry.module for entry in COMMANDS.values()):\n"
    "    load_commands(module)\n"
    "sys.argv = ['dataskydd', '--help']\n"
    "main()\n"
)
# A fixed benchmark-only password; never reuse it.
ADMIN_PASSWORD = "Bänk-Start-Tid-2026-x"  # noqa: S105


def dataskydd(*args: str) -> list[str]:
    # The installed entry point, as an operator types it; its wrapper adds little beside
    # `python -m dataskydd`, which is what is measured so that the same interpreter runs.
    return [sys.executable, "-m", "dataskydd", *args]


def contract_purpose() -> str:
    """A purpose the operator may read any subject under without a case or consent."""
    policy = load_bundled_policy()
    for key, purpose in policy.purposes.items():
        if purpose.legal_basis is LegalBasis.CONTRACT and not purpose.case_required:
            return key
    raise SystemExit("the bundled policy has no contract purpose")


def timed(command: Sequence[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds of `command` as a new process, `runs` times."""
    walls: list[float] = []
    cpus: list[float] = []
    subprocess.run(command, env=env, capture_output=True, check=False)  # warm-up, untimed
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, check=False)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode not in (0, 1):  # 1: findings or broken promises, still a run
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr.decode()[-2000:]}")
    return statistics.median(walls), statistics.median(cpus)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User and system time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve_once(env: dict[str, str]) -> tuple[float, float, float]:
    """Seconds from starting `dataskydd serve` to its first 200 on /healthz, the server's CPU
    seconds until then, and its RSS."""
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        dataskydd("serve", "--port", str(port)),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(timeout=1.0) as client:
            while True:
                if server.poll() is not None:
                    raise SystemExit("dataskydd serve exited before answering")
                try:
                    if client.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.01)
        return time.perf_counter() - started, cpu_seconds(server.pid), rss_mb(server.pid)
    finally:
        stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each command (≥ 5)")
    parser.add_argument("--serve-runs", type=int, default=5)
    parser.add_argument(
        "--no-bytecode", action="store_true", help="compile at every start (no .pyc files)"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    env = {key: value for key, value in os.environ.items() if not key.startswith("DATASKYDD_")}
    env |= {
        "DATASKYDD_DATABASE_URL": f"sqlite:///{workdir / 'dataskydd.db'}",
        "DATASKYDD_KEY_FILE": str(workdir / "dataskydd.key"),
    }
    if args.no_bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    try:
        subprocess.run(
            dataskydd("init", "--admin-password", ADMIN_PASSWORD),
            env=env,
            cwd=workdir,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            dataskydd("demo", "--customers", "20", "--seed", "1", "--no-other-systems"),
            env=env,
            cwd=workdir,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            dataskydd("audit", "checkpoint"), env=env, cwd=workdir, check=True, capture_output=True
        )
        purpose = contract_purpose()
        rows: list[tuple[str, list[str]]] = [
            ("floor: python -c pass", [sys.executable, "-c", "pass"]),
            ("floor: python -c 'import typer'", [sys.executable, "-c", "import typer"]),
            ("floor: python -c 'import sqlalchemy'", [sys.executable, "-c", "import sqlalchemy"]),
            (
                "floor: python -c 'import sqlalchemy.orm'",
                [sys.executable, "-c", "import sqlalchemy.orm"],
            ),
            ("dataskydd --help", dataskydd("--help")),
            ("  the same, every command module loaded", [sys.executable, "-c", EAGER_HELP]),
            ("dataskydd policy --help", dataskydd("policy", "--help")),
            ("dataskydd policy notice", dataskydd("policy", "notice")),
            ("dataskydd policy check", dataskydd("policy", "check")),
            ("dataskydd subject show 1", dataskydd("subject", "show", "1", "--purpose", purpose)),
            ("dataskydd audit verify", dataskydd("audit", "verify")),
            ("dataskydd promises", dataskydd("promises")),
            ("dataskydd requests list", dataskydd("requests", "list")),
            ("dataskydd jobs list", dataskydd("jobs", "list")),
        ]
        bytecode = "no bytecode cache" if args.no_bytecode else "bytecode cached"
        print(f"{'command':<42} {'wall (median)':>14} {'CPU':>8}   ({args.runs} runs, {bytecode})")
        for label, command in rows:
            wall, cpu = timed(command, env, args.runs)
            print(f"{label:<42} {wall * 1000:>11.0f} ms {cpu * 1000:>5.0f} ms", flush=True)
        serve_once(env)  # warm-up, untimed
        results = [serve_once(env) for _ in range(args.serve_runs)]
        first = statistics.median(seconds for seconds, _, _ in results)
        cpu = statistics.median(seconds for _, seconds, _ in results)
        rss = statistics.median(mb for _, _, mb in results)
        print(
            f"{'dataskydd serve → first 200 on /healthz':<42} {first * 1000:>11.0f} ms"
            f" {cpu * 1000:>5.0f} ms   RSS after start {rss:.0f} MB (median of {args.serve_runs})"
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
