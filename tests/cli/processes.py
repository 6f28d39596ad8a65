"""The command run as a new process, as the entry point runs it, saying afterwards which of
some modules it imported: for the start-up and the language tests (a process of its own, so
that nothing the test session imported counts)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

# Runs the CLI, then says which of the watched modules (and their sub-modules) it imported,
# after a marker line, so the command's own output can come first.
PROGRAM = """
import json, sys
watched = json.loads(sys.argv[2])
sys.argv = ["dataskydd", *json.loads(sys.argv[1])]
{prelude}
from dataskydd.cli import main
try:
    main()
except SystemExit as stop:
    code = stop.code
else:
    code = 0
loaded = sorted(m for m in sys.modules if any(m == w or m.startswith(w + ".") for w in watched))
print("\\n@@modules@@" + json.dumps({{"code": code, "loaded": loaded}}))
"""


def run_cli(
    args: list[str],
    *,
    cwd: Path,
    watched: Sequence[str],
    prelude: str = "",
    env: Mapping[str, str] | None = None,
) -> tuple[str, str, int, list[str]]:
    """(stdout before the marker, stderr, exit code, the watched modules imported, sorted);
    `env` instead of this process's environment when given."""
    ran = subprocess.run(
        [
            sys.executable,
            "-c",
            PROGRAM.format(prelude=prelude),
            json.dumps(args),
            json.dumps(watched),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=None if env is None else dict(env),
        check=False,
    )
    output, marker, report = ran.stdout.rpartition("\n@@modules@@")
    assert marker, ran.stderr
    found = json.loads(report)
    return output, ran.stderr, int(found["code"] or 0), list(found["loaded"])
