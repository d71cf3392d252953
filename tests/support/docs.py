"""The docs' code blocks, as the tests run them (docs/contributing.md, "Code blocks in the
docs", says what each kind of block must be).

Each block is read with markdown-it-py, as Markdown reads it, with the HTML comment just
above it, which says who runs it:

- `<!-- block: NAME -->`: a named test runs it (tests that use `named_block(NAME)`);
- `<!-- needs: aws -->` / `<!-- needs: docker -->`: it needs what this machine has not; it is
  checked without running (bash's syntax, the make targets and files it names);
- nothing: run by tests/integration/test_docs_commands.py against a local stack, in order,
  one shell per page (`console` and `sh`), or checked whole (`graphql`, `json`, `python`).
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
MARKER = re.compile(r"<!--\s*(block|needs):\s*([\w.-]+)\s*-->")
SNIPPET = re.compile(r'^--8<-- "([^"]+)"$')
# The API's address the docs show (make dev's default), for that of the stack a test runs.
SHOWN_API = "127.0.0.1:3000"


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # 1-based, of the opening fence
    language: str
    text: str
    marker: tuple[str, str] | None  # ("block", NAME) or ("needs", "aws")

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def named(self) -> str | None:
        return self.marker[1] if self.marker and self.marker[0] == "block" else None

    @property
    def needs(self) -> str | None:
        return self.marker[1] if self.marker and self.marker[0] == "needs" else None

    @property
    def snippets(self) -> list[str]:
        """The files (and sections) the block includes, when it is only includes."""
        lines = [line for line in self.text.splitlines() if line.strip()]
        found = [SNIPPET.match(line.strip()) for line in lines]
        return [m.group(1) for m in found if m] if all(found) and found else []


def pages() -> list[Path]:
    return [README, *sorted(DOCS.rglob("*.md"))]


@cache
def blocks_of(page: Path) -> tuple[Block, ...]:
    tokens = MarkdownIt("commonmark").parse(page.read_text())
    found: list[Block] = []
    for before, token in zip([None, *tokens], tokens, strict=False):
        if token.type == "fence" and token.map is not None:
            marker = None
            if before is not None and before.type == "html_block":
                hit = MARKER.search(before.content)
                marker = (hit.group(1), hit.group(2)) if hit else None
            language = token.info.split()[0] if token.info.strip() else ""
            found.append(Block(page, token.map[0] + 1, language, token.content, marker))
    return tuple(found)


def all_blocks() -> list[Block]:
    return [block for page in pages() for block in blocks_of(page)]


def named_block(name: str) -> Block:
    """The block marked `<!-- block: NAME -->`: there must be exactly one."""
    matches = [block for block in all_blocks() if block.named == name]
    assert len(matches) == 1, f"expected one docs block named {name!r}, found {len(matches)}"
    return matches[0]


@dataclass(frozen=True)
class Step:
    """One `$ command` of a console block and the output it shows: a line `...` stands for
    any number of lines, and `...` within a line for any text on that line."""

    command: str
    output: str

    def at(self, address: str) -> Step:
        """The step against a stack at `address` (host:port) rather than make dev's default."""
        return Step(
            self.command.replace(SHOWN_API, address), self.output.replace(SHOWN_API, address)
        )

    def matches(self, printed: str) -> bool:
        lines = [line.rstrip() for line in printed.strip().splitlines()]
        text = "".join(f"{line}\n" for line in lines)
        return output_pattern(self.output).fullmatch(text) is not None


def output_pattern(shown: str) -> re.Pattern[str]:
    parts = []
    for line in (line.rstrip() for line in shown.strip().splitlines()):
        if line == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(r"[^\n]*?".join(re.escape(p) for p in line.split("...")) + r"\n")
    return re.compile("".join(parts))


def steps(block: Block) -> list[Step]:
    """A `console` block's commands (`$ ` lines; a trailing `\\` continues one) and outputs;
    an `sh` block is one step whose output is not shown."""
    if block.language == "sh":
        return [Step(block.text, "...")]
    found: list[Step] = []
    command: list[str] = []
    output: list[str] = []
    continuing = False
    for line in block.text.splitlines():
        if continuing:
            command.append(line)
            continuing = line.endswith("\\")
        elif line.startswith("$ "):
            if command:
                found.append(Step("\n".join(command), "\n".join(output)))
            command, output = [line[2:]], []
            continuing = line.endswith("\\")
        else:
            output.append(line)
    if command:
        found.append(Step("\n".join(command), "\n".join(output)))
    return found


def users_environment(**extra: str) -> dict[str, str]:
    """A shell as a user has it: not the one of the `make test` that runs these tests."""
    kept = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    return {**kept, **extra}


@dataclass(frozen=True)
class Ran:
    step: Step
    where: str
    status: int
    printed: str

    @property
    def ok(self) -> bool:
        return self.status == 0 and self.step.matches(self.printed)


def run_blocks(
    blocks: list[Block], work: Path, api: str, env: dict[str, str], timeout: float = 300
) -> list[Ran]:
    """Runs the blocks' steps in order in one bash, as a user types them into one terminal
    (a variable set by one is seen by the next), the shown address replaced by `api`'s."""
    address = api.split("://", 1)[-1]
    planned = [(step.at(address), b) for b in blocks for step in steps(b)]
    script = ["set -o pipefail", f"cd {ROOT}"]
    for n, (step, _) in enumerate(planned):
        # Braces, not a subshell: an assignment (TOKEN=$(...)) stays for the next step.
        out = work / str(n)
        script.append(f"{{\n{step.command}\n}} > {out} 2>&1 < /dev/null; echo $? > {out}.rc")
    subprocess.run(
        ["bash", "-c", "\n".join(script)], env=env, check=False, timeout=timeout, cwd=ROOT
    )
    ran = []
    for n, (step, block) in enumerate(planned):
        status_file = work / f"{n}.rc"
        status = int(status_file.read_text()) if status_file.exists() else -1
        printed = (work / str(n)).read_text() if (work / str(n)).exists() else ""
        ran.append(Ran(step, block.where, status, printed))
    return ran


def runnable(page: Path) -> list[Block]:
    """A page's blocks that run against a stack: console and sh, not marked."""
    return [b for b in blocks_of(page) if b.language in ("console", "sh") and b.marker is None]
