"""Install footprint (issue 13): dataskydd in a fresh venv, on disk and in packages.

    python benchmarks/bench_footprint.py [--extras core,demo] [--top 15] [--keep DIR]

The working tree is copied (without .git, data, caches and databases) to a temporary
directory and built into one wheel, so the editable install and the tree are not touched.
Then, per variant, a fresh `python -m venv` gets `pip install <wheel>` (core) or
`<wheel>[demo]` (the `dataskydd demo` command's Faker), and the venv's site-packages is
measured as `du` would (allocated blocks, every file and folder, bytecode that pip compiled
included), per distribution through its RECORD.

Printed beside each figure:

- the floor: the same venv before the install, i.e. what `python -m venv` puts there itself
  (pip, and setuptools before Python 3.12), measured in the same run;
- the goal of issue 13: at most 150 MB in a fresh venv;
- Fides, as the issue quotes it (800 MB, 254 packages): quoted, not measured here.

"dataskydd's install" is site-packages less the floor, and its packages are the distributions
the install added (dataskydd itself counted); the figures with pip and setuptools follow.
Takes one to three minutes per variant (downloads come from pip's cache after the first run).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_MB = 150
FIDES_MB, FIDES_PACKAGES = 800, 254  # issue 13's figure for Fides, not measured here
MB = 1024 * 1024
# pip compiles bytecode at install as it does by default: a setting that stops Python writing
# it must not make the figure smaller than a real install.
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
ENV["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
# Left out of the copy: history, caches and local databases are not part of the package.
IGNORED = shutil.ignore_patterns(
    ".git",
    "data",
    ".data",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    "*.db",
    "*.db-*",
    "*.key",
    ".venv*",
)
# Run by the venv's own interpreter: disk use per distribution, from the files its RECORD
# lists (the .pyc files pip compiled are in RECORD too) and their folders, and of
# site-packages as a whole.
MEASURE = r"""
import json, os, sys, sysconfig
from importlib import metadata
site = sysconfig.get_paths()["purelib"]
def used(path):
    return os.lstat(path).st_blocks * 512
total = 0
for folder, dirs, files in os.walk(site):
    total += used(folder) + sum(used(os.path.join(folder, name)) for name in files)
dists = {}
for dist in metadata.distributions(path=[site]):
    size, folders = 0, set()
    for file in dist.files or ():
        path = os.path.normpath(dist.locate_file(file))
        if os.path.isfile(path) and path.startswith(site + os.sep):
            size += used(path)
            folder = os.path.dirname(path)
            while folder != site:  # its folders too, as du counts them
                folders.add(folder)
                folder = os.path.dirname(folder)
    dists[dist.metadata["Name"]] = size + sum(used(folder) for folder in folders)
json.dump({"site_packages": total, "distributions": dists}, sys.stdout)
"""


def _run(*command: str | Path) -> str:
    result = subprocess.run(
        [str(part) for part in command],
        check=True,
        capture_output=True,
        text=True,
        env=ENV,
    )
    return result.stdout


def _measure(venv: Path) -> dict[str, object]:
    return json.loads(_run(venv / "bin" / "python", "-c", MEASURE))  # type: ignore[no-any-return]


def _wheel(work: Path) -> Path:
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=IGNORED)
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", work / "wheels", source)
    (wheel,) = (work / "wheels").glob("dataskydd-*.whl")
    return wheel


def _variant(work: Path, wheel: Path, extra: str, top: int) -> None:
    venv = work / f"venv-{extra}"
    _run(sys.executable, "-m", "venv", venv)
    floor = _measure(venv)
    target = str(wheel) if extra == "core" else f"{wheel}[{extra}]"
    _run(venv / "bin" / "python", "-m", "pip", "install", "-q", target)
    after = _measure(venv)
    tooling: dict[str, int] = floor["distributions"]  # type: ignore[assignment]
    dists: dict[str, int] = after["distributions"]  # type: ignore[assignment]
    ours = {name: size for name, size in dists.items() if name not in tooling}
    total: int = after["site_packages"]  # type: ignore[assignment]
    empty: int = floor["site_packages"]  # type: ignore[assignment]
    install = total - empty
    label = "pip install dataskydd" + ("" if extra == "core" else f"[{extra}]")
    verdict = "within" if install <= GOAL_MB * MB else "over"
    print(f"\n{label}  ({sys.version.split()[0]}, fresh venv)")
    print(f"  {'':34} {'on disk':>9} {'packages':>9}")
    print(f"  {'dataskydd install':34} {install / MB:7.1f} MB {len(ours):9}   {verdict} the goal")
    print(f"  {'goal (issue 13)':34} {GOAL_MB:7} MB")
    print(
        f"  {'floor: the empty venv':34} {empty / MB:7.1f} MB {len(tooling):9}   "
        f"({', '.join(sorted(tooling))})"
    )
    print(f"  {'site-packages, venv tooling incl.':34} {total / MB:7.1f} MB {len(dists):9}")
    print(f"  {'Fides (quoted by the issue)':34} {FIDES_MB:7} MB {FIDES_PACKAGES:9}")
    print(f"  largest of the {len(ours)}:")
    for name, size in sorted(ours.items(), key=lambda item: -item[1])[:top]:
        print(f"    {size / MB:6.1f} MB  {name}")
    rest = sorted(ours.values(), reverse=True)[top:]
    if rest:
        print(f"    {sum(rest) / MB:6.1f} MB  the other {len(rest)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extras", default="core,demo", help="core and/or extras, comma-separated")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--keep", type=Path, help="build here and keep the venvs")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="dataskydd-footprint-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        wheel = _wheel(work)
        for extra in args.extras.split(","):
            _variant(work, wheel, extra.strip(), args.top)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
