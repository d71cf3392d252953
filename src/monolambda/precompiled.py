"""Code that Python writes for itself while importing, compiled at build time.

Importing the function makes Python generate and compile source text of its own: each
dataclass's methods (graphql-core's AST nodes, every Strawberry type), each namedtuple's
constructor, each string annotation `typing` turns into a ForwardRef, and each regular
expression that `re` parses and compiles to its matcher's program. That is about 30 % of a
cold `{ health }` (docs/performance.md). The deploy build records what the routes compile
(scripts/precompile.py) into `precompiled.bin` beside this module, and `load` hands each
result back by its exact source text: the same text compiles to the same code (or program),
so a hit is what Python would have built, and any text not recorded (another library's
version, a type added since) is compiled as before.

Only four call sites are hooked, each a module global that shadows the builtin it calls
(dataclasses' `exec`, collections' `eval`, typing's `compile`) or the function `re` calls
through its module (`re._compiler.compile`). Each is called there with plain arguments and
from a module without `__future__` imports, so compiling the text here (no inherited flags)
is what the original call did. The file is ignored when it was written by another Python
(its bytecode or `re`'s program version differs), unreadable, or switched off with
MONOLAMBDA_PRECOMPILED=off; MONOLAMBDA_PRECOMPILED=<path> reads another file.
"""

from __future__ import annotations

import builtins
import collections
import dataclasses
import importlib
import marshal
import os
import re
import typing
from collections.abc import Callable
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).with_name("precompiled.bin")
SWITCH = "MONOLAMBDA_PRECOMPILED"

# `re`'s compiler and matcher are private modules: their program format is versioned by
# `_constants.MAGIC`, which the file's header carries.
_re_compiler: Any = importlib.import_module("re._compiler")
_re_parser: Any = importlib.import_module("re._parser")
_re_constants: Any = importlib.import_module("re._constants")
_sre: Any = importlib.import_module("_sre")

_HEADER = MAGIC_NUMBER + _re_constants.MAGIC.to_bytes(4, "little")

_compile = builtins.compile
_exec = builtins.exec
_eval = builtins.eval
_compile_regex: Callable[..., Any] = _re_compiler.compile

CodeKey = tuple[str, str]  # (source text, mode)
RegexKey = tuple[str | bytes, int]  # (pattern, flags)
RegexProgram = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]

_code: dict[CodeKey, Any] = {}
_regexes: dict[RegexKey, RegexProgram] = {}
_state = {"installed": False, "recording": False, "misses": 0}


def _compiled(source: str, mode: str) -> Any:
    code = _code.get((source, mode))
    if code is None:
        _state["misses"] += 1
        code = _compile(source, "<string>", mode, dont_inherit=True)
        if _state["recording"]:
            _code[(source, mode)] = code
    return code


def _exec_hook(source: Any, globals: Any = None, locals: Any = None, /) -> None:
    if type(source) is str:
        source = _compiled(source, "exec")
    _exec(source, globals, locals)


def _eval_hook(source: Any, globals: Any = None, locals: Any = None, /) -> Any:
    if type(source) is str:
        source = _compiled(source, "eval")
    return _eval(source, globals, locals)


def _compile_hook(  # noqa: PLR0917 - the builtin's signature
    source: Any,
    filename: Any,
    mode: str,
    flags: int = 0,
    dont_inherit: bool = False,
    optimize: int = -1,
    *,
    _feature_version: int = -1,
) -> Any:
    if (
        type(source) is str
        and filename == "<string>"
        and flags == 0
        and optimize == -1
        and _feature_version == -1
    ):
        return _compiled(source, mode)
    return _compile(
        source, filename, mode, flags, dont_inherit, optimize, _feature_version=_feature_version
    )


def _program(pattern: str | bytes, flags: int) -> RegexProgram:
    """What `re._compiler.compile` passes to `_sre.compile` besides the pattern (Python 3.13)."""
    parsed = _re_parser.parse(pattern, flags)
    code = _re_compiler._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    # Plain ints: `re`'s opcodes are an int subclass, which marshal does not write.
    opcodes = [int(c) for c in code]
    return (
        int(flags | parsed.state.flags),
        opcodes,
        parsed.state.groups - 1,
        groupindex,
        tuple(indexgroup),
    )


def _regex_hook(pattern: Any, flags: Any = 0) -> Any:
    if type(pattern) not in (str, bytes) or flags & re.DEBUG:
        return _compile_regex(pattern, flags)
    key = (pattern, int(flags))
    program = _regexes.get(key)
    if program is None:
        _state["misses"] += 1
        if not _state["recording"]:
            return _compile_regex(pattern, flags)
        program = _regexes[key] = _program(pattern, int(flags))
    return _sre.compile(pattern, *program)


def _install() -> None:
    setattr(dataclasses, "exec", _exec_hook)  # noqa: B010 - a global that shadows the builtin
    setattr(collections, "eval", _eval_hook)  # noqa: B010
    setattr(typing, "compile", _compile_hook)  # noqa: B010
    _re_compiler.compile = _regex_hook
    _state["installed"] = True


def uninstall() -> None:
    """Python compiles for itself again (tests)."""
    for module, name in ((dataclasses, "exec"), (collections, "eval"), (typing, "compile")):
        module.__dict__.pop(name, None)
    _re_compiler.compile = _compile_regex
    _code.clear()
    _regexes.clear()
    _state.update(installed=False, recording=False, misses=0)


def load(path: Path | None = None) -> bool:
    """Hands recorded code back from `path` (default: the build's file, or the path
    MONOLAMBDA_PRECOMPILED names); False, with nothing changed, when there is none to use."""
    switch = os.environ.get(SWITCH, "")
    if switch == "off" or _state["installed"]:
        return False
    where = path or (Path(switch) if switch else DEFAULT_PATH)
    try:
        data = where.read_bytes()
        if not data.startswith(_HEADER):
            return False
        # The build's own file, shipped beside the bytecode it is as trusted as.
        code, regexes = marshal.loads(data[len(_HEADER) :])  # noqa: S302
    except (OSError, ValueError, EOFError, TypeError):
        return False  # the function starts as it would without the file
    if not isinstance(code, dict) or not isinstance(regexes, dict):
        return False
    _code.update(code)
    _regexes.update(regexes)
    _install()
    return True


def record() -> None:
    """From now on every compile the hooks see is kept, for `save`."""
    _state["recording"] = True
    if not _state["installed"]:
        _install()


def save(path: Path) -> int:
    """Writes what was recorded; returns the file's size."""
    data = _HEADER + marshal.dumps((_code, _regexes))
    path.write_bytes(data)
    return len(data)


def misses() -> int:
    """How many texts the hooks compiled since they were installed (0: all recorded)."""
    return _state["misses"]


def recorded() -> tuple[int, int]:
    """How many code texts and regular expressions the hooks hold."""
    return len(_code), len(_regexes)
