"""Rules about the code itself that no linter here checks."""

import ast
import itertools
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = [
    path
    for package in ("standards", "limits", "portal", "health")
    for path in (ROOT / package).rglob("*.py")
    if "migrations" not in path.parts
]
ENDS_A_BLOCK = (ast.Return, ast.Raise, ast.Continue, ast.Break)


def unreachable(tree):
    """(line, statement) for every statement that follows a return, raise, continue or
    break in the same block."""
    found = []
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody", "handlers"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            for before, after in itertools.pairwise(block):
                if isinstance(before, ENDS_A_BLOCK):
                    found.append(after.lineno)
    return found


def test_the_check_finds_unreachable_code():
    tree = ast.parse("def f():\n    return 1\n    x = 2\n")
    assert unreachable(tree) == [3]


def test_no_production_module_holds_unreachable_code():
    assert PRODUCTION
    dead = {
        str(path.relative_to(ROOT)): lines
        for path in PRODUCTION
        if (lines := unreachable(ast.parse(path.read_text(), str(path))))
    }
    assert dead == {}
