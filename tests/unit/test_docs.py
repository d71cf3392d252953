"""The docs' code blocks are what docs/contributing.md ("Code blocks in the docs") says they
must be, and those that need no stack run here: GraphQL validated against the schema, JSON
parsed, Python run, TypeScript and JavaScript only as includes of files the tests run, the
blocks that need AWS checked without it. The README stays short, and the site loads nothing
from other hosts."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, build_schema, parse, validate

from tests.support.docs import ROOT, Block, Step, all_blocks, blocks_of, pages, steps

LANGUAGES = {"console", "sh", "graphql", "json", "python", "ts", "js", "text"}
# Where included TypeScript and JavaScript may come from: files the tests run or type-check.
RUN_BY_TESTS = ("examples/apollo-client/", "web/src/", "tests/node/", "examples/python_client.py")
README_LIMIT = 12 * 1024
SCHEMA = build_schema((ROOT / "schema.graphql").read_text())
# A path of this repository as a command names it (not a part of a URL or of another path).
OUR_FILES = r"(?<![\w/.$-])((?:scripts|tests|samples|web|events)/[\w./-]+)"
MAKE_TARGETS = set(re.findall(r"(?m)^([a-z][\w-]*):", (ROOT / "Makefile").read_text()))


def blocks(*languages: str) -> list[Block]:
    return [b for b in all_blocks() if not languages or b.language in languages]


def ids(found: list[Block]) -> list[str]:
    return [b.where for b in found]


def test_every_page_is_in_the_sites_navigation() -> None:
    config = (ROOT / "mkdocs.yml").read_text()
    for page in pages()[1:]:
        assert str(page.relative_to(ROOT / "docs")) in config, page


def test_the_readme_is_short() -> None:
    assert len((ROOT / "README.md").read_bytes()) <= README_LIMIT


@pytest.mark.parametrize("block", blocks(), ids=ids(blocks()))
def test_every_block_says_what_it_is(block: Block) -> None:
    assert block.language in LANGUAGES, f"{block.where}: a block of {block.language!r}"


@pytest.mark.parametrize("block", blocks("ts", "js"), ids=ids(blocks("ts", "js")))
def test_typescript_and_javascript_are_included_from_files_the_tests_run(block: Block) -> None:
    assert block.snippets, f"{block.where}: write it in a file the tests run, and include it"
    assert_included_from_tested_files(block)


def assert_included_from_tested_files(block: Block) -> None:
    """Each include names a file the tests run and, when it names one, a section it has."""
    for snippet in block.snippets:
        path, _, section = snippet.partition(":")
        assert path.startswith(RUN_BY_TESTS), f"{block.where}: {path} is run by no test"
        text = (ROOT / path).read_text()
        if section:
            assert f"--8<-- [start:{section}]" in text, f"{path} has no section {section}"
            assert f"--8<-- [end:{section}]" in text, f"{path} does not end {section}"


@pytest.mark.parametrize("block", blocks("graphql"), ids=ids(blocks("graphql")))
def test_graphql_blocks_are_valid_against_the_schema(block: Block) -> None:
    document = parse(block.text)
    assert any(isinstance(d, OperationDefinitionNode) for d in document.definitions)
    assert validate(SCHEMA, document) == []


@pytest.mark.parametrize("block", blocks("json"), ids=ids(blocks("json")))
def test_json_blocks_parse(block: Block) -> None:
    json.loads(block.text)


@pytest.mark.parametrize("block", blocks("python"), ids=ids(blocks("python")))
def test_python_blocks_run(block: Block) -> None:
    """An include names a section of a file the tests run; a named block is run by its test;
    anything else runs here, in a fresh interpreter."""
    if block.snippets:
        assert_included_from_tested_files(block)
        return
    if block.named:
        compile(block.text, block.where, "exec")
        return
    finished = subprocess.run(
        [sys.executable, "-c", block.text], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert finished.returncode == 0, finished.stderr


@pytest.mark.parametrize("block", blocks("text"), ids=ids(blocks("text")))
def test_text_blocks_run_nothing_unless_a_test_checks_them(block: Block) -> None:
    prompts = [line for line in block.text.splitlines() if line.startswith("$ ")]
    assert not prompts or block.named, f"{block.where}: make it a console block, or name it"


NAMED = [b for b in all_blocks() if b.named]


@pytest.mark.parametrize("block", NAMED, ids=[b.named or "" for b in NAMED])
def test_a_named_block_is_named_by_a_test(block: Block) -> None:
    wanted = f'named_block("{block.named}")'
    users = [p for p in (ROOT / "tests").rglob("*.py") if wanted in p.read_text()]
    assert users, f"{block.where}: no test uses {wanted}"
    assert [b.named for b in NAMED].count(block.named) == 1


NEEDING = [b for b in all_blocks() if b.needs]


@pytest.mark.parametrize("block", NEEDING, ids=ids(NEEDING))
def test_blocks_that_need_aws_or_docker_are_checked_without_them(block: Block) -> None:
    """What can be known here: bash parses them, their make targets and our files exist."""
    assert block.needs in ("aws", "docker")
    assert block.language in ("sh", "console")
    script = "\n".join(s.command for s in steps(block))
    syntax = subprocess.run(
        ["bash", "-n"], input=script, capture_output=True, text=True, check=False
    )
    assert syntax.returncode == 0, syntax.stderr
    commands = re.sub(r"(?m)(^|\s)#.*$", "", script)  # comments name no target
    for target in re.findall(r"\bmake (?:-s )?([a-z][\w-]*)", commands):
        assert target in MAKE_TARGETS, f"{block.where}: no make target {target}"
    for path in re.findall(OUR_FILES, commands):
        assert (ROOT / path).exists(), f"{block.where}: {path} does not exist"


def test_the_blocks_are_read_as_markdown_reads_them(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Text.\n\n<!-- block: one -->\n```console\n$ echo a \\\n  b\na b\n$ true\n```\n\n"
        "<!-- needs: aws -->\n```sh\naws s3 ls\n```\n\n    indented, not a block\n\n"
        "```text\nplain\n```\n"
    )
    found = blocks_of(page)
    assert [(b.language, b.named, b.needs) for b in found] == [
        ("console", "one", None),
        ("sh", None, "aws"),
        ("text", None, None),
    ]
    assert [(s.command, s.output) for s in steps(found[0])] == [
        ("echo a \\\n  b", "a b"),
        ("true", ""),
    ]
    step = steps(found[0])[0]
    assert step.matches("a b\n")
    assert not step.matches("a c")
    assert Step("x", "start ... end").matches("start anything at all end")
    assert not Step("x", "start ... end").matches("start anything\nat all end")
    assert Step("x", "a\n...\nb").matches("a\nb")
    assert Step("x", "a\n...\nb").matches("a\nx\ny\nb\n")
    assert not Step("x", "a\n...\nb").matches("a\nb\nc")
    assert not Step("x", "a").matches("")


class _Loads(HTMLParser):
    """Every URL a page loads (not the links a reader may follow)."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("script", "img", "iframe", "source") and found.get("src"):
            self.loaded.append(str(found["src"]))
        if tag == "link" and found.get("href") and found.get("rel") != "canonical":
            self.loaded.append(str(found["href"]))


def test_the_site_builds_strictly_and_loads_nothing_from_other_hosts(tmp_path: Path) -> None:
    mkdocs = Path(sys.executable).parent / "mkdocs"
    built = subprocess.run(
        [str(mkdocs), "build", "--strict", "--quiet", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "NO_MKDOCS_2_WARNING": "1"},
    )
    assert built.returncode == 0, built.stderr
    pages_built = list((tmp_path / "site").rglob("*.html"))
    assert len(pages_built) >= len(pages()) - 1
    for html in pages_built:
        parser = _Loads()
        parser.feed(html.read_text())
        remote = [u for u in parser.loaded if re.match(r"(?i)^(https?:)?//", u)]
        assert remote == [], f"{html}: {remote}"
    css = "\n".join(p.read_text() for p in (tmp_path / "site").rglob("*.css"))
    assert not re.search(r"@import\s+url\(\s*['\"]?(https?:)?//", css)


def test_the_schema_page_is_the_schemas_reference() -> None:
    """Generated at build time: every type of schema.graphql has its section."""
    page = ROOT / "docs" / "schema.md"
    assert "<!-- schema-reference -->" in page.read_text()
    for block in blocks_of(page):
        assert block.language != "graphql" or "type " not in block.text, "SDL written by hand"


def test_the_readme_links_to_pages_that_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    for target in re.findall(r"\]\(((?:docs/)[^)#]+)", readme):
        assert (ROOT / target).exists(), target
