"""Every domain error's message can be translated: each `raise NotFound(...)`, `InvalidInput(...)`
… in src/dataskydd passes a `Msg` (a literal English template and its values, which the
catalogue test finds and requires Swedish for), never an f-string, a concatenation, a
`.format()` or a plain literal, which would reach a Swedish page in English.

The check reads the source (ast), so it names file:line; mypy's strict run adds the rest (a
variable passed as a message must be typed `Msg`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import polib
import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "dataskydd"
# Where a `Msg` is built from a template that is not a literal, by design: the message
# type itself, and InvalidInput's "field: reason; …" made of other messages.
BUILDS_MSG = {"dataskydd/messages_i18n.py", "dataskydd/errors.py"}


@cache
def _files() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(), str(path))) for path in sorted(SOURCE.rglob("*.py"))]


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _message_position(cls: ast.ClassDef) -> int | bool | None:
    """Where `__init__` takes its message (positional index after self); None when it takes
    none; False when the class has no `__init__` of its own (it inherits its base's)."""
    for item in cls.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            names = [arg.arg for arg in item.args.posonlyargs + item.args.args][1:]
            kwonly = [arg.arg for arg in item.args.kwonlyargs]
            if "message" in names:
                return names.index("message")
            return -1 if "message" in kwonly else None
    return False


def error_classes(files: list[tuple[Path, ast.Module]]) -> dict[str, int | None]:
    """Every DataskyddError subclass by name, with where its constructor takes the message."""
    classes = {
        node.name: node
        for _path, tree in files
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    }
    positions: dict[str, int | None] = {"DataskyddError": 0}
    changed = True
    while changed:
        changed = False
        for name, cls in classes.items():
            if name in positions:
                continue
            bases = [base for base in map(_name, cls.bases) if base in positions]
            if bases:
                own = _message_position(cls)
                positions[name] = positions[bases[0]] if own is False else own  # type: ignore[assignment]
                changed = True
    return positions


def _is_msg_call(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and _name(node.func) == "Msg"


def _literal_msg(node: ast.Call) -> bool:
    first = node.args[0] if node.args else None
    return isinstance(first, ast.Constant) and isinstance(first.value, str) and len(node.args) == 1


def _why_untranslatable(node: ast.expr) -> str | None:
    if isinstance(node, ast.IfExp):
        return _why_untranslatable(node.body) or _why_untranslatable(node.orelse)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return "a plain literal (not marked with Msg)"
    if isinstance(node, ast.JoinedStr):
        return "an f-string"
    if isinstance(node, ast.BinOp):
        return "a string built with an operator"
    if isinstance(node, ast.Call):
        if _is_msg_call(node):
            return None if _literal_msg(node) else "Msg without a literal template"
        if _name(node.func) in {"format", "str", "join", "repr"}:
            return f"a string built with {_name(node.func)}()"
    return None


def _messages(call: ast.Call, position: int | None) -> Iterator[ast.expr]:
    if position is not None and 0 <= position < len(call.args):
        yield call.args[position]
    for keyword in call.keywords:
        if keyword.arg == "message":
            yield keyword.value
        elif keyword.arg == "problems" and isinstance(keyword.value, ast.List):
            for item in keyword.value.elts:
                if isinstance(item, ast.Tuple) and len(item.elts) == 2:
                    yield item.elts[1]


def untranslatable(files: list[tuple[Path, ast.Module]]) -> list[str]:
    classes = error_classes(files)
    found = []
    for path, tree in files:
        where = path.relative_to(SOURCE.parent)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            if name in classes:
                for message in _messages(node, classes[name]):
                    why = _why_untranslatable(message)
                    if why:
                        found.append(f"{where}:{message.lineno}: {name}(...) message is {why}")
            elif name == "Msg" and where.as_posix() not in BUILDS_MSG and not _literal_msg(node):
                found.append(f"{where}:{node.lineno}: Msg(...) without a literal template")
    return found


def test_the_check_knows_the_error_classes() -> None:
    classes = error_classes(_files())
    assert {"InvalidInput", "NotFound", "Forbidden", "Conflict", "AccessRefused"} <= set(classes)
    assert classes["InvalidInput"] == 1
    assert classes["NotFound"] == 0


@pytest.mark.parametrize(
    ("source", "complaint"),
    [
        ('raise NotFound(f"no request {n}")', "an f-string"),
        ('raise errors.Conflict("already " + state)', "an operator"),
        ('raise InvalidInput("kind", "unknown kind")', "a plain literal"),
        ('raise InvalidInput("kind", "bad {k}".format(k=k))', "format()"),
        ("raise Forbidden(Msg(text))", "without a literal template"),
        ('raise Forbidden(Msg("a") if x else f"b{x}")', "an f-string"),
        ('raise InvalidInput("a", Msg("b"), problems=[("a", f"{c}")])', "an f-string"),
    ],
)
def test_the_check_finds_untranslatable_messages(source: str, complaint: str) -> None:
    files = [*_files(), (SOURCE / "example.py", ast.parse(source))]
    found = [line for line in untranslatable(files) if line.startswith("dataskydd/example.py")]
    assert found, source
    assert complaint in found[0], found


@pytest.mark.parametrize(
    "source",
    [
        'raise NotFound(Msg("no such request"))',
        'raise InvalidInput("purpose", Msg("unknown purpose {key}", key=key))',
        "raise Conflict(error.message)",
    ],
)
def test_the_check_accepts_messages(source: str) -> None:
    files = [*_files(), (SOURCE / "example.py", ast.parse(source))]
    assert not [line for line in untranslatable(files) if "example.py" in line]


def msg_templates(files: list[tuple[Path, ast.Module]]) -> Iterator[tuple[str, str]]:
    """(file:line, template) of every `Msg("…")` with a literal template."""
    for path, tree in files:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _is_msg_call(node) and _literal_msg(node):
                first = node.args[0]
                assert isinstance(first, ast.Constant)
                yield f"{path.relative_to(SOURCE.parent)}:{node.lineno}", str(first.value)


def test_every_msg_template_has_swedish() -> None:
    # Read from the source, not through Babel's extraction (which the catalogue test uses):
    # a template Babel's tokenizer does not see, such as one wrapped in parentheses, is
    # still found here.
    swedish = {
        entry.msgid
        for po in sorted((SOURCE / "web" / "locales" / "sv" / "LC_MESSAGES").glob("*.po"))
        for entry in polib.pofile(str(po)).translated_entries()
    }
    templates = list(msg_templates(_files()))
    assert len(templates) > 250
    missing = [f"{where}: {template!r}" for where, template in templates if template not in swedish]
    assert not missing, "no Swedish for:\n" + "\n".join(missing)


def test_every_domain_error_message_is_translatable() -> None:
    found = untranslatable(_files())
    assert not found, f"{len(found)} untranslatable error messages:\n" + "\n".join(found)
