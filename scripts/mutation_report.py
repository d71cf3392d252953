"""The mutation score of each module `make mutation` mutates, read from mutmut's own records
(mutants/**/*.py.meta) after `mutmut run`.

A mutant that only changes the text of a message (a string inside an error being raised or
built: GraphQLError, BadUserInputError, ValueError...) is left out of the score: the tests
pin what a refusal does, not every word of it. A mutant killed by a test, or stopped by its
time limit (a loop that no longer ends), is killed; one that survived, or that no test
reaches, is not. Exits 1 when a module scores under the goal.

    python scripts/mutation_report.py [--goal 90] [--show]
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"

# mutmut's exit codes (mutmut/__main__.py's status_by_exit_code).
KILLED = {1, 3}
TIMEOUT = {-24, 24, 36, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}
# What builds or raises a message (its first argument) the tests need not pin word for word:
# errors, and log lines.
_MESSAGE_CALLS = re.compile(
    r"(Error|Exception|^_malformed|^_refusal|^debug|^info|^warning|^error|^exception)$"
)


@dataclass
class Module:
    path: str
    killed: int = 0
    survived: list[str] = field(default_factory=list)
    no_tests: list[str] = field(default_factory=list)
    messages: int = 0
    unchecked: int = 0

    @property
    def counted(self) -> int:
        return self.killed + len(self.survived) + len(self.no_tests)

    @property
    def score(self) -> float:
        return 100.0 * self.killed / self.counted if self.counted else 100.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--goal", type=float, default=90.0)
    parser.add_argument("--show", action="store_true", help="print each survivor's change")
    args = parser.parse_args()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    modules = [report(path, show=args.show) for path in config["only_mutate"]]
    print(f"{'module':<42} {'score':>7} {'killed':>7} {'survived':>9} {'no test':>8} {'text':>6}")
    for m in modules:
        print(
            f"{m.path.removeprefix('src/monolambda/'):<42} {m.score:6.1f}% {m.killed:>7} "
            f"{len(m.survived):>9} {len(m.no_tests):>8} {m.messages:>6}"
            + (f"  ({m.unchecked} not run)" if m.unchecked else "")
        )
    print("(text: mutants that change only a message's words, left out of the score)")
    under = [m for m in modules if m.score < args.goal or m.unchecked]
    for m in under:
        print(f"under the goal of {args.goal:g} %: {m.path}")
    return 1 if under else 0


def report(path: str, *, show: bool) -> Module:
    mutated = MUTANTS / path
    meta = json.loads(mutated.with_name(mutated.name + ".meta").read_text())
    functions = {
        node.name: node
        for node in ast.walk(ast.parse(mutated.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and "__mutmut_" in node.name
    }
    module = Module(path)
    for key, code in meta["exit_code_by_key"].items():
        name = key.rsplit(".", 1)[1]
        original = functions.get(re.sub(r"__mutmut_\d+$", "__mutmut_orig", name))
        mutant = functions.get(name)
        if original is not None and mutant is not None and _only_messages(original, mutant):
            module.messages += 1
        elif code is None:
            module.unchecked += 1
        elif code in KILLED or code in TIMEOUT:
            module.killed += 1
        elif code in NO_TESTS:
            module.no_tests.append(name)
        else:
            module.survived.append(name)
            if show and original is not None and mutant is not None:
                print(f"--- {path}: {name}")
                for before, after in _differences(original, mutant):
                    print(f"    {ast.unparse(before)}  ->  {ast.unparse(after)}")
    return module


def _only_messages(original: ast.AST, mutant: ast.AST) -> bool:
    parents = {child: node for node in ast.walk(original) for child in ast.iter_child_nodes(node)}
    differences = list(_differences(original, mutant))
    return bool(differences) and all(
        _is_text(before) and (_is_text(after) or _is_none(after)) and _in_message(before, parents)
        for before, after in differences
    )


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _in_message(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Inside an error's construction, a raise or a log line, as (part of) its message: the
    call's first argument, never its code or its other arguments."""
    current: ast.AST | None = node
    while current is not None:
        parent = parents.get(current)
        if isinstance(parent, ast.Call) and parent.args and current is parent.args[0]:
            name = ast.unparse(parent.func).rsplit(".", 1)[-1]
            if _MESSAGE_CALLS.search(name):
                return True
        if isinstance(parent, ast.stmt):  # the statement it is part of: a raise, or not
            return isinstance(parent, ast.Raise)
        current = parent
    return False


def _differences(before: ast.AST, after: ast.AST) -> Iterator[tuple[ast.AST, ast.AST]]:
    """The outermost nodes where two trees differ (the functions' names aside)."""
    if type(before) is not type(after):
        yield before, after
        return
    for name, value in ast.iter_fields(before):
        if name == "name" and isinstance(before, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        other = getattr(after, name, None)
        if isinstance(value, ast.AST) and isinstance(other, ast.AST):
            yield from _differences(value, other)
        elif isinstance(value, list) and isinstance(other, list):
            if len(value) != len(other):
                yield before, after
                return
            for a, b in zip(value, other, strict=True):
                if isinstance(a, ast.AST) and isinstance(b, ast.AST):
                    yield from _differences(a, b)
                elif a != b:
                    yield before, after
                    return
        elif value != other:
            yield before, after
            return


if __name__ == "__main__":
    sys.exit(main())
