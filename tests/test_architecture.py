"""The layering holds: core/ never imports Qt, pyqtgraph or gui; import-linter contracts; package APIs."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "pyqtgraph", "gui")


def test_core_sources_import_no_qt():
    offenders = []
    for path in (ROOT / "core").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_importing_every_core_module_loads_no_qt():
    modules = sorted(".".join(p.relative_to(ROOT).with_suffix("").parts)
                     for p in (ROOT / "core").rglob("*.py") if p.name != "__init__.py")
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
            "print(bad); sys.exit(1 if bad else 0)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_linter_contracts_hold():
    """The layering in pyproject.toml: gui and cli over core; plan over tokens/prices/selfhost over base; no cycles."""
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports())"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout and result.stdout.count("KEPT") >= 5


PACKAGES = ("core.base", "core.tokens", "core.prices", "core.prices.files", "core.selfhost", "core.plan")


def test_every_public_name_of_every_package_resolves():
    """Each package's __init__ is its API: every name it lists imports, and is not a submodule by accident."""
    import importlib
    import types

    for package in PACKAGES:
        module = importlib.import_module(package)
        assert module.__all__, package
        for name in module.__all__:
            value = getattr(module, name)
            assert not isinstance(value, types.ModuleType), f"{package}.{name} is a module"
        with __import__("pytest").raises(AttributeError):
            getattr(module, "no_such_name")


def test_callers_outside_a_package_use_its_api_not_its_modules():
    """gui/, cli/, main.py and the other engine packages import a package's names from its __init__."""
    offenders = []
    sources = [*(ROOT / "gui").rglob("*.py"), *(ROOT / "cli").rglob("*.py"), *(ROOT / "core").rglob("*.py"),
               ROOT / "main.py"]
    for path in sources:
        me = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        mine = next((p for p in sorted(PACKAGES, key=len, reverse=True) if me.startswith(p + ".")), None)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                target = next((p for p in sorted(PACKAGES, key=len, reverse=True)
                               if node.module.startswith(p + ".")), None)
                if target and target != mine and node.module not in PACKAGES and node.module != "core.base.lazyapi":
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.module}")
    assert offenders == []
