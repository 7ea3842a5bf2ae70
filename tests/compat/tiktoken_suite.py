"""Runs tiktoken's own test suite, unchanged, against tokembed.compat.tiktoken imported under the
name ``tiktoken``: the acceptance check of the drop-in.

The suite is not part of this repository (only code tokembed wrote is). Get tiktoken's sdist,
which holds it, then point this script at it:

    pip download tiktoken==0.14.0 --no-binary :all: --no-deps -d /tmp/tiktoken-sdist
    python tests/compat/tiktoken_suite.py /tmp/tiktoken-sdist/tiktoken-0.14.0.tar.gz [pytest args]

Its tests are copied to a temporary folder next to a ``tiktoken`` package that is this module's
shim, and pytest runs there with the shim first on the path (subprocesses the suite starts see
it too). Nothing is downloaded by the script itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

SHIM = """import sys

import tokembed.compat.tiktoken as _compat

sys.modules[__name__] = _compat
"""


def copy_tests(source: Path, into: Path) -> None:
    if source.is_dir():
        shutil.copytree(source / "tests", into / "tests")
        return
    with tarfile.open(source) as archive:
        members = [m for m in archive.getmembers() if "/tests/" in m.name and m.isfile()]
        if not members:
            raise SystemExit(f"{source}: no tests/ folder in this archive")
        for member in members:
            relative = member.name.split("/tests/", 1)[1]
            target = into / "tests" / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.extractfile(member) as f:  # type: ignore[union-attr]
                target.write_bytes(f.read())


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    source = Path(argv[0])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        copy_tests(source, root)
        (root / "tiktoken").mkdir()
        (root / "tiktoken" / "__init__.py").write_text(SHIM)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
        which = [sys.executable, "-c", "import tiktoken; print('tiktoken is', tiktoken.Encoding.__module__)"]
        subprocess.check_call(which, cwd=root, env=env)  # the shim, not the installed tiktoken
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests", *argv[1:]]
        return subprocess.call(command, cwd=root, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
