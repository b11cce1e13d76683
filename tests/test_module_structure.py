"""The package's shape, held: imports point one way (no cycle, counting imports inside
functions), no private name crosses a module boundary, no file is over 400 lines, and
``import nn`` leaves the heavy parts (the doctor, plots, the slow references, the command
line, the downloaders) unloaded until they are used.

The import graph is read with ``ast``, not by importing: an edge ``a -> b`` for every
``import``/``from ... import`` of an ``nn`` module anywhere in ``a`` (inside functions too,
since a cycle closed by an import inside a function hides the order modules must load in),
plus ``a -> p`` for every package ``p`` above ``b`` other than ``nn`` itself and ``a``'s own
packages (Python runs a package's ``__init__`` before its modules). Imports under
``if TYPE_CHECKING:`` never run and are left out. Third-party imports are not in the graph.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "nn"
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of ``tree`` except those under ``if TYPE_CHECKING:``."""
    nodes, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        nodes.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return nodes


def _resolve(module: str, current: str, level: int) -> str:
    """The absolute name of a ``from`` import's module (relative imports included)."""
    if not level:
        return module
    base = current.split(".")
    if not MODULES[current].name == "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _imports(name: str) -> list[tuple[str, list[str]]]:
    """``(imported module, names imported from it)`` for every nn import in module ``name``."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found = []
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.split(".")[0] == "nn"]
        elif isinstance(node, ast.ImportFrom):
            module = _resolve(node.module or "", name, node.level)
            if module.split(".")[0] == "nn":
                found.append((module, [a.name for a in node.names]))
    return found


def _edges(name: str) -> set[str]:
    targets = set()
    for module, names in _imports(name):
        for imported in names or [None]:
            sub = f"{module}.{imported}" if imported else None
            target = sub if sub in MODULES else module  # `from nn.x import submodule`
            targets.add(target)
            parts = target.split(".")
            above = {".".join(parts[:k]) for k in range(2, len(parts))}  # packages above it
            # ... except the importer's own packages, which are loading already
            targets.update(p for p in above if not name.startswith(p + "."))
    return {t for t in targets if t != name and t in MODULES}


GRAPH = {name: _edges(name) for name in MODULES}


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of modules, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_graph_is_read():
    assert len(MODULES) > 60
    assert "nn.core.layer" in GRAPH["nn.layers.dense"]
    assert "nn.train.loop" in GRAPH["nn.core.network"]  # Network.fit calls the loop
    assert "nn.layers" in GRAPH["nn"]  # packages above an imported module count


def test_the_cycle_finder_finds_a_cycle():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_anywhere_counting_imports_inside_functions():
    cycle = _find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_no_module_imports_the_package_root():
    # `from nn import x` inside the package runs nn/__init__, which imports nearly everything
    offenders = [name for name, targets in GRAPH.items() if name != "nn" and "nn" in targets]
    assert offenders == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_private_name_is_imported_from_another_module(name):
    for module, names in _imports(name):
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        assert not private, f"{name} imports private {private} from {module}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_private_attribute_of_another_object_is_used(name):
    # `net._inputs(X)` from outside Network: the same coupling as importing a private name
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    used = [
        f"line {node.lineno}: {ast.unparse(node)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
        and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
    ]
    assert used == [], f"{name} uses private attributes of other objects: {used}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_file_is_over_400_lines(name):
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name].relative_to(SRC)} has {lines} lines"


HEAVY = (
    "nn.diagnostics.doctor",
    "nn.diagnostics.probe",
    "nn.diagnostics.plots",
    "nn.diagnostics.findings",
    "nn.reference",
    "nn.autograd",
    "nn.bench",
    "nn.cli",
    "nn.datasets.mnist_loaders",
    "matplotlib",
    "tqdm",  # the progress bar comes with the loop, on first use
)


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return set(out)


def test_import_nn_leaves_the_heavy_parts_unloaded():
    loaded = _loaded_after("import nn")
    heavy = sorted(m for m in loaded if m.startswith(HEAVY))
    assert heavy == []


def test_the_heavy_parts_load_when_first_used():
    loaded = _loaded_after("import nn\nnn.diagnose\nnn.reference\nnn.datasets.mnist")
    assert {"nn.diagnostics.doctor", "nn.reference", "nn.datasets.mnist_loaders"} <= loaded
    assert "matplotlib" not in loaded  # the doctor draws nothing unless asked
