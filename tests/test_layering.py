"""The layers of docs/architecture.md §1 hold (issue 8 point 4).

`tickets`, `accounts` and `core` import no app above them; `sla`, `comms` and `access` import
only the kernel and below, and not one another; ticket apps import downwards only (cases above
incidents). import-linter's layered contract in pyproject.toml states it; this test runs the
contract on the code as it is, and on a copy with one forbidden import added, to show that
the check fails when someone breaks a layer.
"""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _root_packages() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return config["tool"]["importlinter"]["root_packages"]


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(cwd / "pyproject.toml")],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _copy_sources(target: Path) -> None:
    """The project's Python packages and its pyproject.toml, without templates or assets."""
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    for package in _root_packages():
        shutil.copytree(
            ROOT / package,
            target / package,
            ignore=shutil.ignore_patterns("__pycache__", "templates", "static", "*.html"),
        )


@pytest.fixture(scope="module")
def lint_available():
    if not LINT_IMPORTS.exists():
        pytest.fail("import-linter is a test dependency: run `make install`.")


def test_every_app_imports_only_the_layers_below_it(lint_available):
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Apps import downwards only KEPT" in result.stdout


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        # The kernel must not reach up to a ticket type (today's complaint: kernel → sla).
        ("tickets/_probe.py", "from cases.models import Case"),
        # SLA and communications sit side by side: neither imports the other.
        ("sla/_probe.py", "from comms import notifications"),
        # A lower ticket app never imports a higher one (incidents → cases was a cycle).
        ("incidents/_probe.py", "import cases.services"),
    ],
)
def test_the_layering_check_fails_when_a_forbidden_import_is_added(
    lint_available, tmp_path, module, forbidden
):
    _copy_sources(tmp_path)
    (tmp_path / module).write_text(f'"""A forbidden import."""\n\n{forbidden}\n')
    result = _lint(tmp_path)
    assert result.returncode != 0, result.stdout
    assert "Apps import downwards only BROKEN" in result.stdout
    probe = module.removesuffix(".py").replace("/", ".")
    assert probe in result.stdout
