"""The package's shape: figure index in the README, no import cycle, one style per task kind."""
import ast
from pathlib import Path

from paperkit import figures, paths
from paperkit.fuyou import plots

PKG = paths.ROOT / "paperkit" / "fuyou"


def test_readme_holds_exactly_the_figure_index_table():
    readme = (paths.notebooks_dir() / "fuyou" / "README.md").read_text()
    table = figures.index_markdown("fuyou")
    assert table in readme
    rows = [l for l in readme.splitlines() if l.startswith("| `fig") or l.startswith("| `own_")]
    assert len(rows) == len(figures.load_index("fuyou"))


def test_every_saved_figure_is_in_the_index():
    index = figures.load_index("fuyou")
    saved = set()
    for nb in (paths.notebooks_dir() / "fuyou").glob("0*.ipynb"):
        text = nb.read_text()
        for stem in index:
            if f'\\"{stem}\\"' in text:
                saved.add(stem)
    assert saved == set(index)


def _imports(module: str) -> set[str]:
    tree = ast.parse((PKG / f"{module}.py").read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            out.add(node.module)
    return out


def test_memory_does_not_import_the_model():
    assert "mechanism" not in _imports("memory") and "prediction" not in _imports("memory")
    assert "memory" in _imports("mechanism")


def test_no_imports_inside_functions():
    for f in PKG.glob("*.py"):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
                assert not inner, (f.name, node.name)


def test_every_task_kind_has_its_own_colour_and_style():
    styles = list(plots.KIND_STYLE.values())
    assert len({c for c, _ in styles}) == len(styles)
    assert len(set(styles)) == len(styles)
