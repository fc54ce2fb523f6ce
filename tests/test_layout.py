"""The package's shape: each folder one purpose, no import cycles, no function defined twice.

Read from the source with `ast`, so these tests import nothing and take a fraction of a second.
"""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "chapter12"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _trees():
    return {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in MODULES.items()}


def import_graph(trees=None) -> dict[str, set[str]]:
    """Module -> the chapter12 modules it imports anywhere in its code (function bodies included)."""
    graph = {}
    for name, tree in (trees or _trees()).items():
        edges = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from chapter12.imdb import words` names the module chapter12.imdb.words
                targets = [
                    f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES else node.module
                    for a in node.names
                ]
            else:
                continue
            edges |= {t for t in targets if t in MODULES and t != name}
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_module_imports_a_module_that_imports_it_back():
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_graph_sees_imports_inside_functions():
    tree = ast.parse("def f():\n    from chapter12.report import results\n")
    assert import_graph({"chapter12.files": tree})["chapter12.files"] == {"chapter12.report.results"}


def _functions(trees):
    """(module, qualified name, node) of every function and method."""
    for module, tree in trees.items():
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield module, node.name, node
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        yield module, f"{node.name}.{item.name}", item


def test_no_function_is_defined_twice():
    # A public name defined in two modules, or two functions with the same body, are two copies that drift.
    trees = _trees()
    by_name, by_body = defaultdict(list), defaultdict(list)
    for module, name, node in _functions(trees):
        if "." not in name and not name.startswith("_"):
            by_name[name].append(module)
        body = [stmt for stmt in node.body if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))]
        if len(body) > 1 or (body and not isinstance(body[0], (ast.Return, ast.Pass, ast.Raise))):
            by_body[ast.dump(ast.Module(body=body, type_ignores=[]))].append(f"{module}.{name}")
    twice = {name: modules for name, modules in by_name.items() if len(modules) > 1}
    assert not twice, f"defined in several modules: {twice}"
    same = [names for names in by_body.values() if len(names) > 1]
    assert not same, f"functions with the same body: {same}"


# The package's layers, top to bottom. A module may import its own folder and any lower layer, never a
# higher one; the parts of one layer are independent of each other. The commands (`run`) drive the sweep;
# the sweep uses the notebook runner and the results files (`report`), which read the timing measurements;
# timing and the sweep's cells train (`train`); training uses the data, the models and nothing above them.
LAYERS = [
    ["chapter12.__main__"],
    ["chapter12.run"],
    ["chapter12.sweep"],
    ["chapter12.notebook", "chapter12.report"],
    ["chapter12.timing"],
    ["chapter12.train", "chapter12.predict"],
    ["chapter12.imdb", "chapter12.models", "chapter12.teaching"],
    ["chapter12.memory", "chapter12.environment", "chapter12.process"],
    ["chapter12.book"],
    ["chapter12.checks", "chapter12.files", "chapter12.logs", "chapter12.paths"],
    ["chapter12.errors"],
]
PART_OF = {part: (depth, part) for depth, parts in enumerate(LAYERS) for part in parts}


def part_of(module: str) -> tuple[int, str] | None:
    """(layer index, part) of a module: the part is the listed name it is or lies under; None for the package's
    `__init__` (it only re-exports, lazily)."""
    for part, where in PART_OF.items():
        if module == part or module.startswith(part + "."):
            return where
    return None


def layer_problems(graph: dict[str, set[str]]) -> list[str]:
    """Every import that goes up a layer or across to another part of the same layer."""
    problems = []
    for module, targets in sorted(graph.items()):
        mine = part_of(module)
        if mine is None:
            continue
        for target in sorted(targets):
            theirs = part_of(target)
            if theirs is None or theirs[1] == mine[1]:
                continue
            if theirs[0] < mine[0]:
                problems.append(f"{module} imports {target}, a higher layer")
            elif theirs[0] == mine[0]:
                problems.append(f"{module} imports {target}, another part of its own layer")
    return problems


def test_every_module_has_a_layer():
    assert [m for m in MODULES if m != "chapter12" and part_of(m) is None] == []


def test_no_module_imports_a_higher_layer():
    assert layer_problems(import_graph()) == []


@pytest.mark.parametrize("depth", range(1, len(LAYERS)))
def test_a_planted_upward_import_is_caught(depth):
    # From each part of each layer below the top, an import of the layer just above it, and of a part beside it.
    graph = import_graph()
    already = set(layer_problems(graph))

    def problems(planted):
        return [p for p in layer_problems(planted) if p not in already]

    for part in LAYERS[depth]:
        module = next(m for m in sorted(MODULES) if part_of(m) == (depth, part))
        above = next(m for m in sorted(MODULES) if part_of(m) and part_of(m)[0] == depth - 1)
        planted = {name: set(edges) for name, edges in graph.items()}
        planted[module].add(above)
        assert problems(planted) == [f"{module} imports {above}, a higher layer"]
        for other in LAYERS[depth]:
            if other != part:
                beside = next(m for m in sorted(MODULES) if part_of(m) == (depth, other))
                planted = {name: set(edges) for name, edges in graph.items()}
                planted[module].add(beside)
                assert problems(planted) == [f"{module} imports {beside}, another part of its own layer"]


# Narrower still: the students' code and the data layer reach only the bottom of the package.
NARROW = {
    "chapter12.teaching": {"chapter12.checks", "chapter12.errors", "chapter12.files", "chapter12.book"},
    "chapter12.imdb": {"chapter12.checks", "chapter12.errors", "chapter12.files", "chapter12.book"},
}


@pytest.mark.parametrize("folder", sorted(NARROW))
def test_each_folder_imports_only_what_its_purpose_needs(folder):
    graph = import_graph()
    allowed = NARROW[folder]
    for module, targets in graph.items():
        if module == folder or module.startswith(folder + "."):
            outside = {t for t in targets if not (t == folder or t.startswith(folder + "."))}
            assert outside <= allowed, f"{module} imports {sorted(outside - allowed)}"


def test_the_bottom_modules_import_nothing_above_them():
    graph = import_graph()
    assert graph["chapter12.errors"] == set()
    assert graph["chapter12.checks"] == {"chapter12.errors"}
    assert graph["chapter12.files"] <= {"chapter12.errors"}
