"""The layout rules of issue 10, kept by the tests: no import cycle among first-party modules
(imports run when a module loads; an import inside a function, the way a cycle is broken, and
`if TYPE_CHECKING:` imports do not count), no module imports another's `_private` names, and
the outbox imports no app above it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("cxaudit", "surveys", "shoppers")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[tuple[str, str | None]]:
    """(first-party module imported, name taken from it or None) for one import statement."""
    if isinstance(node, ast.Import):
        wanted = [(alias.name, None) for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
            parts = package.split(".")
            parent = ".".join(parts[: len(parts) - node.level + 1])
            base = f"{parent}.{base}" if node.module else parent
        wanted = []
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            wanted.append((sub, None) if sub in MODULES else (base, alias.name))
    result = []
    for name, taken in wanted:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name and name != module:
            result.append((name, taken))
    return result


def _load_time_imports(tree: ast.Module):
    """Import statements that run when the module loads (module body, and if/try blocks in it,
    except `if TYPE_CHECKING:`)."""
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if "TYPE_CHECKING" not in ast.unparse(node.test):
                pending.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            pending.extend(node.body + node.orelse + node.finalbody)
            for handler in node.handlers:
                pending.extend(handler.body)


def _graph() -> dict[str, set[str]]:
    graph = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        graph[module] = {t for node in _load_time_imports(tree) for t, _ in _targets(module, node)}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
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
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_among_first_party_modules():
    graph = _graph()
    # The reader sees relative and absolute imports (a check that it reads anything at all).
    assert "surveys.responses.models" in graph["surveys.models"]
    assert "cxaudit.messaging.registry" in graph["cxaudit.messaging.services"]
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_another_modules_private_names():
    offences = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom):
                for target, taken in _targets(module, node):
                    if taken and taken.startswith("_") and not taken.startswith("__"):
                        offences.append(f"{module} takes {taken} from {target}")
    assert offences == [], "make what is shared public"


def _imports_from(package: str, above: tuple[str, ...]) -> list[str]:
    """Every import (at load time or not) by a module of `package` of a module in `above`."""
    offences = []
    for module, path in MODULES.items():
        if not module.startswith(package):
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                offences += [
                    f"{module} imports {t}"
                    for t, _ in _targets(module, node)
                    if t.startswith(above)
                ]
    return offences


def test_the_outbox_imports_no_app_above_it():
    above = (
        "cxaudit.accounts",
        "cxaudit.webhooks",
        "cxaudit.journeys",
        "cxaudit.insights",
        "surveys",
        "shoppers",
    )
    assert _imports_from("cxaudit.messaging", above) == []


def test_webhooks_import_no_app_that_emits():
    """cxaudit.webhooks sits above accounts and below every app that emits events."""
    above = ("cxaudit.journeys", "cxaudit.insights", "surveys", "shoppers")
    assert _imports_from("cxaudit.webhooks", above) == []
