"""Scans of the application's source: each finds, by parsing, what only one
module may do (write status, decide access) done anywhere else."""

import ast
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The application's code (migrations are history, not code paths).
SCANNED = ("complaints", "accounts", "casetracker")

Detector = Callable[[ast.AST], list[tuple[int, str]]]


def offences(detector: Detector, allowed: Path) -> list[str]:
    """`path:line: what` for each finding of `detector` outside `allowed`."""
    found = []
    for package in SCANNED:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts or relative == allowed:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            found += [f"{relative}:{line}: {what}" for line, what in detector(tree)]
    return found
