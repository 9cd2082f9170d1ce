"""The package's rooms import each other in one direction only (docs/architecture.md, "Layers").
A test reads every module's imports (ast) and names the line that breaks the table."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "src" / "linkletter"

# room -> the rooms it may import (besides itself). A room is a top-level module or sub-package.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "model": {"errors"},
    "locks": set(),
    "values": {"errors", "model"},
    "settings": {"errors", "model", "values"},
    "content": {"errors", "model", "values"},
    "importers": {"errors", "model", "values"},
    "select": {"model"},
    "publish": {"errors", "model", "values", "select"},
    "newsletter": {"errors", "model", "values", "select", "locks", "publish.templates"},
    "commands": {
        "errors",
        "model",
        "locks",
        "values",
        "settings",
        "content",
        "importers",
        "select",
        "publish",
        "newsletter",
    },
    "cli": {"commands", "errors", "model", "__init__"},
    "__main__": {"cli"},
    "__init__": set(),
}


def room_of(module: str) -> str:
    """'linkletter.publish.feeds' -> 'publish'; 'linkletter.cli' -> 'cli'; a name defined in the
    package's own __init__ (linkletter.__version__) -> '__init__'."""
    parts = module.split(".")
    if len(parts) < 2:
        return "__init__"
    known = (PACKAGE / parts[1]).is_dir() or (PACKAGE / f"{parts[1]}.py").is_file()
    return parts[1] if known else "__init__"


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1] if len(parts) > 2 else parts
    return ".".join(parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import of linkletter's own modules in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path).rsplit(".", 0 if path.name == "__init__.py" else 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [f"{target}.{a.name}" for a in node.names] if not node.module or node.level else [target]
            found += [(node.lineno, n) for n in names if n.startswith("linkletter")]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("linkletter")]
    return found


def allowed(source_room: str, target: str) -> bool:
    target_room = room_of(target)
    if target_room == source_room:
        return True
    rules = ALLOWED[source_room]
    dotted = ".".join(target.split(".")[1:3])
    return target_room in rules or dotted in rules


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_room_is_in_the_table():
    rooms = {room_of(module_name(p)) for p in modules()}
    assert rooms <= set(ALLOWED), rooms - set(ALLOWED)


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_imports_follow_the_layers(path):
    source_room = room_of(module_name(path))
    wrong = [
        f"{path.relative_to(PACKAGE.parent.parent).as_posix()}:{line}: {source_room} imports {target}"
        for line, target in imported_modules(path)
        if not allowed(source_room, target)
    ]
    assert not wrong, "\n".join(wrong)


def test_the_checker_reads_relative_imports_and_refuses_wrong_directions():
    names = [name for _, name in imported_modules(PACKAGE / "values" / "links.py")]
    assert "linkletter.errors.ValueProblem" in names and "linkletter.values.text.clean_text" in names
    assert not allowed("publish", "linkletter.newsletter.render.render_issue")
    assert allowed("newsletter", "linkletter.publish.templates.Templates")
    assert not allowed("newsletter", "linkletter.publish.feeds.build_rss")
    assert not allowed("select", "linkletter.content.load.load_bookmarks")
    assert not allowed("cli", "linkletter.content.bookmark.parse_bookmark")
