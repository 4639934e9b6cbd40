"""The layers of docs/architecture.md, checked over the real import graph.

Every import counts, also those inside functions (a lazy import is still a
dependency), so a shortcut that points the wrong way fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ledger", "projections", "cli")

ALLOWED: dict[str, tuple[str, ...]] = {
    # layer -> the packages it may import besides its own
    "ledger.domain": (),
    "ledger.security": ("ledger.domain",),
    "ledger.amelding": ("ledger.domain",),
    "ledger.storage": ("ledger.domain", "ledger.security"),
    "ledger.services": ("ledger.domain", "ledger.security", "ledger.storage", "ledger.amelding"),
    "ledger.synthetic": ("ledger.domain", "ledger.security", "ledger.services", "ledger.amelding"),
    "ledger": ("ledger",),  # the package's own lazy public names
    "projections": ("ledger",),
    "cli": ("ledger", "projections"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module]
                targets += [f"{node.module}.{a.name}" for a in node.names]
            for t in targets:
                if t in modules and t != name:
                    edges[name].add(t)
    return edges


def layer(module: str) -> str:
    best = ""
    for candidate in ALLOWED:
        if (module == candidate or module.startswith(candidate + ".")) and len(candidate) > len(
            best
        ):
            best = candidate
    return best


def allowed(src: str, dst: str) -> bool:
    if layer(src) == layer(dst):
        return True
    return any(dst == a or dst.startswith(a + ".") for a in ALLOWED[layer(src)])


def test_every_import_points_down_the_layers() -> None:
    wrong = sorted(
        f"{src} imports {dst}"
        for src, dsts in graph().items()
        for dst in dsts
        if not allowed(src, dst)
    )
    assert wrong == []


def test_the_ledger_never_imports_the_read_side_or_the_command_line() -> None:
    wrong = sorted(
        f"{src} imports {dst}"
        for src, dsts in graph().items()
        if src.split(".")[0] == "ledger"
        for dst in dsts
        if dst.split(".")[0] in ("projections", "cli")
    )
    assert wrong == []


def test_there_is_no_import_cycle() -> None:
    edges = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    assert cycles == []


def test_the_check_sees_a_wrong_import() -> None:
    """The checker itself: a made-up upward import is reported."""
    assert not allowed("ledger.domain.rules.leave", "ledger.storage.store")
    assert not allowed("ledger.services.recording", "projections.api")
    assert allowed("cli.read", "projections.api")
