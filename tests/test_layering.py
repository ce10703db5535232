"""The layers import downwards only: `core` at the bottom imports no app; accounts,
subscriptions and support import what lies below them; `portal` sits on top and nothing
imports it; and no view module imports another view module."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

# Bottom to top: each may import those before it, never those after.
LAYERS = ("core", "accounts", "subscriptions", "support", "portal")


def _modules(app: str) -> list[Path]:
    root = Path(settings.BASE_DIR) / app
    return sorted(path for path in root.rglob("*.py") if "migrations" not in path.parts)


def _imports(path: Path) -> list[str]:
    """Every module `path` imports, at the top or inside a function."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found += [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def _is_view_module(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last == "views" or last.endswith("_views")


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_imports_only_the_layers_below_it(app):
    above = set(LAYERS[LAYERS.index(app) + 1 :])
    wrong = [
        f"{path.relative_to(settings.BASE_DIR)} imports {name}"
        for path in _modules(app)
        for name in _imports(path)
        if name.split(".")[0] in above
    ]
    assert wrong == []


def test_no_view_module_imports_another_view_module():
    wrong = []
    for app in LAYERS:
        for path in _modules(app):
            module = ".".join(path.relative_to(settings.BASE_DIR).with_suffix("").parts)
            if not _is_view_module(module):
                continue
            wrong += [
                f"{module} imports {name}"
                for name in _imports(path)
                if name.split(".")[0] in LAYERS and _is_view_module(name) and name != module
            ]
    assert wrong == []


def test_the_check_sees_what_it_looks_for(tmp_path):
    """The walker finds imports at the top and inside functions, and knows a view module."""
    module = tmp_path / "sample.py"
    module.write_text(
        "from subscriptions.views import numbers\n"
        "def f():\n    from portal import views\n    import support.help_views\n"
    )
    found = _imports(module)
    assert "subscriptions.views" in found and "portal.views" in found
    assert "support.help_views" in found
    assert _is_view_module("support.help_views") and not _is_view_module("support.services")
