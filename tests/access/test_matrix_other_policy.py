"""The generated access matrix once more, with another company's policy: a web bookshop whose
purposes, roles and subject kinds share no key with Omilon's (examples/bokhandel/policy.yaml).

test_matrix.py reads its policy once, at import, from DATASKYDD_TEST_POLICY; a fresh pytest
process is the honest way to give it another one.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO, TEST_POLICY_ENV

BOOKSHOP = "examples/bokhandel/policy.yaml"


def test_the_matrix_holds_for_a_bookshop_policy() -> None:
    env = {**os.environ, TEST_POLICY_ENV: BOOKSHOP}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/access/test_matrix.py",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-W",
            "ignore::pytest.PytestWarning",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in summary
