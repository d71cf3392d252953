"""The build's compiled copy of what Python generates while importing (monolambda.precompiled):
a hit is what Python would have compiled, a miss is compiled as before, and a file that does
not fit this interpreter changes nothing."""

from __future__ import annotations

import collections
import dataclasses
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from monolambda import precompiled


@pytest.fixture(autouse=True)
def _python_compiles_for_itself_after() -> Iterator[None]:
    precompiled.uninstall()
    yield
    precompiled.uninstall()


# Made fresh by each call: what importing a module would generate (the regular expression's
# text is new to `re`'s own cache, which sits in front of the hook).
def generated(tag: str) -> dict[str, Any]:
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Node:
        name: str
        value: int = 0

    Pair = collections.namedtuple("Pair", ["left", "right"])
    forward = typing.ForwardRef(f"dict[str, list[{tag!r}]]")
    pattern = re.compile(rf"(?P<word>{tag}\w+)-(\d+)", re.IGNORECASE)
    return {"Node": Node, "Pair": Pair, "forward": forward, "pattern": pattern}


def behaviour(made: dict[str, Any]) -> dict[str, Any]:
    node = made["Node"](name="a", value=2)
    matched = made["pattern"].match("TAGxyz-42") or made["pattern"].match("RECxyz-42")
    return {
        "node": (repr(node), node == made["Node"](name="a", value=2), hash(node)),
        "frozen": _refuses(lambda: setattr(node, "name", "b")),
        "pair": tuple(made["Pair"](1, right=2)),
        "forward": typing.get_args(eval(made["forward"].__forward_code__, {})),  # noqa: S307
        "pattern": (
            made["pattern"].groups,
            dict(made["pattern"].groupindex),
            made["pattern"].flags,
            matched and matched.groups(),
        ),
    }


def _refuses(change: Any) -> bool:
    try:
        change()
    except dataclasses.FrozenInstanceError:
        return True
    return False


def recorded_to(path: Path, tag: str) -> dict[str, Any]:
    precompiled.record()
    made = generated(tag)
    precompiled.save(path)
    precompiled.uninstall()
    return made


def test_what_was_recorded_is_handed_back_and_behaves_as_compiled(tmp_path: Path) -> None:
    path = tmp_path / "precompiled.bin"
    compiled = behaviour(recorded_to(path, "tag"))
    assert precompiled.load(path)
    assert precompiled.misses() == 0
    handed_back = behaviour(generated("tag"))
    # The dataclass's methods, the namedtuple's constructor, the annotation and the regular
    # expression all came from the file, and behave as Python's own compile made them.
    assert precompiled.misses() == 0
    assert handed_back == compiled
    assert handed_back["frozen"] is True
    assert handed_back["pattern"][3] == ("TAGxyz", "42")


def test_text_that_was_not_recorded_is_compiled_as_before(tmp_path: Path) -> None:
    path = tmp_path / "precompiled.bin"
    recorded = behaviour(recorded_to(path, "tag"))
    assert precompiled.load(path)
    other = behaviour(generated("rec"))
    # The same dataclass and namedtuple texts (hits); the other tag's annotation and regular
    # expression are new texts, compiled on the spot.
    assert precompiled.misses() == 2
    assert other["pattern"][3] == ("RECxyz", "42")
    assert other["node"] == recorded["node"]


def test_a_regular_expression_from_the_file_is_the_one_re_makes(tmp_path: Path) -> None:
    path = tmp_path / "precompiled.bin"
    patterns: list[Any] = [
        r"(?x) ^ (?P<a> [a-z]+ ) \s* (?P=a) $",
        rb"(\d+)|(?P<hex>0x[0-9a-f]+)",
        r"(?i)caf\u00e9",
    ]
    precompiled.record()
    for p in patterns:
        re.compile(p, re.MULTILINE)
    precompiled.save(path)
    precompiled.uninstall()
    re.purge()
    made = [re.compile(p, re.MULTILINE) for p in patterns]
    re.purge()
    assert precompiled.load(path)
    loaded = [re.compile(p, re.MULTILINE) for p in patterns]
    assert precompiled.misses() == 0
    for theirs, ours in zip(made, loaded, strict=True):
        assert (ours.pattern, ours.flags, ours.groups, ours.groupindex) == (
            theirs.pattern,
            theirs.flags,
            theirs.groups,
            theirs.groupindex,
        )
    assert loaded[0].match("abc abc")
    assert not loaded[0].match("abc abd")
    hexed = loaded[1].match(b"0x1f")
    assert hexed is not None
    assert hexed.group("hex") is None  # the first branch matches the "0"
    assert loaded[2].match("CAF\u00c9")


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda data: b"\x00\x00\x00\x00" + data[4:], id="another-python"),
        pytest.param(lambda data: data[:8] + b"\x00" + data[9:], id="another-re-version"),
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: data[:8] + b"\xff" * 40, id="not-marshal"),
        pytest.param(lambda data: b"", id="empty"),
    ],
)
def test_a_file_that_does_not_fit_changes_nothing(tmp_path: Path, spoil: Any) -> None:
    path = tmp_path / "precompiled.bin"
    recorded_to(path, "tag")
    path.write_bytes(spoil(path.read_bytes()))
    assert precompiled.load(path) is False
    assert "exec" not in vars(dataclasses)
    assert behaviour(generated("tag"))["pair"] == (1, 2)


def test_no_file_and_the_switch_leave_python_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert precompiled.load(tmp_path / "absent.bin") is False
    path = tmp_path / "precompiled.bin"
    recorded_to(path, "tag")
    monkeypatch.setenv(precompiled.SWITCH, "off")
    assert precompiled.load(path) is False
    assert "compile" not in vars(typing)
    monkeypatch.setenv(precompiled.SWITCH, str(path))
    assert precompiled.load() is True  # the switch names the file


def test_uninstall_gives_python_its_own_back() -> None:
    precompiled.record()
    assert vars(collections)["eval"] is not eval
    precompiled.uninstall()
    for module, name in ((dataclasses, "exec"), (collections, "eval"), (typing, "compile")):
        assert name not in vars(module)
    assert re.compile("x+").match("xx")


def shape() -> Any:
    class Shape(NamedTuple):
        kind: str

    return Shape


def test_a_typed_namedtuple_keeps_its_fields_when_handed_back(tmp_path: Path) -> None:
    path = tmp_path / "precompiled.bin"
    precompiled.record()
    compiled = shape()
    precompiled.save(path)
    precompiled.uninstall()
    assert precompiled.load(path)
    again = shape()
    assert precompiled.misses() == 0
    assert again("a") == compiled("a") == ("a",)
    assert again._fields == ("kind",)
