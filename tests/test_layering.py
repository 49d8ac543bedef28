"""Which package may import which. The patient register knows nothing of trials; the audit trail
knows neither (it names their tables, not their code); the shared helpers in core/ know none of
the apps. Read from the source (every module, migrations included), so an import inside a
function counts as much as one at the top."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "patients": {"trials"},
    "audit": {"patients", "trials"},
    "core": {"accounts", "audit", "patients", "trials"},
}


def imported_packages(path: Path) -> set[tuple[str, int]]:
    """(top-level package, line) of every absolute import in the module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {(alias.name.split(".")[0], node.lineno) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.module.split(".")[0], node.lineno))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_nothing_it_must_not_know(package):
    modules = sorted((ROOT / package).rglob("*.py"))
    assert modules, f"no modules found under {package}/"

    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in modules
        for name, line in sorted(imported_packages(path))
        if name in FORBIDDEN[package]
    ]

    assert offending == []


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "lazy.py"
    module.write_text(
        "def f():\n    from trials.models import Trial\n    import trials.procedure\n"
    )

    assert imported_packages(module) == {("trials", 2), ("trials", 3)}
