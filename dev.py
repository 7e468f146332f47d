#!/usr/bin/env python3
"""The README's two commands, needing only Python 3.11+.

    python3 dev.py run    install into .venv, start the service on embedded PostgreSQL
    python3 dev.py test   install into .venv (with test tools), lint, type-check, run every test

Versions come from constraints.txt, so every machine installs the same set.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def sh(*args: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True, env=env)


def install(extra: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be run by an older python3
        sys.exit("event-service needs Python 3.11 or newer")
    if not (BIN / "python").exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    sh(*pip, "-c", ROOT / "constraints.txt", "-e", f".[{extra}]" if extra else ".")


def run(argv: list[str]) -> None:
    install("")
    env = {**os.environ}
    if not env.get("NODE_ENV") and not env.get("APP_ENV"):
        env["NODE_ENV"] = "development"
    os.execve(str(BIN / "event-service"), [str(BIN / "event-service"), "serve", *argv], env)


def test(argv: list[str]) -> None:
    install("test")
    sh(BIN / "ruff", "check", ".")
    sh(BIN / "mypy")
    result = subprocess.run([str(BIN / "pytest"), *argv], cwd=ROOT)
    # pytest exits 5 when it collected nothing: that is a failure too.
    sys.exit(result.returncode)


def main() -> None:
    command, *argv = sys.argv[1:] or ["help"]
    if command == "run":
        run(argv)
    elif command == "test":
        test(argv)
    else:
        print(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
