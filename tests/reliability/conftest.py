"""Print the figures of the run (requests, faults, invariant checks, data lost) for docs/reliability.md."""

from __future__ import annotations

import pytest

from tests.reliability.support import FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES["requests"] or FIGURES["invariant_checks"]:
        terminalreporter.write_line("reliability figures: " + ", ".join(f"{k}={v}" for k, v in FIGURES.items()))
