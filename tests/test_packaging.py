"""The product ships in the wheel: the lessons and policy files go in as package data, and an installed copy
finds them by name from any folder.

The wheel test builds the wheel from a copy of the source tree (offline: no build isolation, the test
interpreter's setuptools), installs it with ``--no-deps`` into a folder of its own, and runs the console
script from an empty folder with only that folder on ``PYTHONPATH`` ahead of the test environment, so
torch, Textual and the rest come from the test environment and ``tamiyo_tui`` from the wheel (checked).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "tamiyo_tui"
SHIPPED = {"tamiyo_tui.lessons": "scenarios", "tamiyo_tui.shipped_policies": "policies"}
# Left out of the copy the wheel is built from: nothing a wheel is made of.
NOT_SOURCE = (".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "*.jsonl")
STEP_TIMEOUT_S = 180

PROBE = """
import json, tamiyo_tui, tamiyo_tui.shipped as shipped
print(json.dumps({"package": tamiyo_tui.__file__, "lessons": str(shipped.lessons_dir()),
                  "policies": str(shipped.policies_dir()), "count": len(shipped.lessons())}))
"""


def pyproject() -> dict[str, object]:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_pyproject_lists_every_package_and_maps_the_shipped_folders() -> None:
    """The package list is written out (the shipped folders need it); a new subpackage must join it."""
    setuptools = pyproject()["tool"]["setuptools"]  # type: ignore[index]
    on_disk = sorted(
        ".".join(init.parent.relative_to(REPO).parts)
        for init in PACKAGE.rglob("__init__.py")
        if "build" not in init.parts
    )
    assert sorted(setuptools["packages"]) == sorted([*on_disk, *SHIPPED])
    assert setuptools["package-dir"] == SHIPPED


def run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(args, capture_output=True, text=True, timeout=STEP_TIMEOUT_S, check=False, **kwargs)
    assert completed.returncode == 0, f"{args} failed:\n{completed.stdout}\n{completed.stderr}"
    return completed


@pytest.mark.wheel
def test_the_built_wheel_carries_the_lessons_and_policies_and_finds_them_from_any_folder(tmp_path: Path) -> None:
    source, dist, target, elsewhere = (tmp_path / name for name in ("source", "dist", "site", "elsewhere"))
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    elsewhere.mkdir()

    pip = [sys.executable, "-m", "pip"]
    run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "--wheel-dir", str(dist), str(source)])
    (wheel,) = dist.glob("tamiyo_tui-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    expected = {f"tamiyo_tui/{path.relative_to(PACKAGE).as_posix()}" for path in PACKAGE.rglob("*.py")}
    for package, folder in SHIPPED.items():
        prefix = package.replace(".", "/")
        expected |= {f"{prefix}/{path.name}" for path in (REPO / folder).iterdir() if path.is_file()}
    assert expected - names == set()

    run([*pip, "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)])
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("VIRTUAL_ENV", None)

    probe = json.loads(run([sys.executable, "-c", PROBE], cwd=elsewhere, env=env).stdout)
    assert Path(probe["package"]).is_relative_to(target)  # the wheel's copy, not the checkout's
    assert probe["lessons"] == str(target / "tamiyo_tui" / "lessons")
    assert probe["policies"] == str(target / "tamiyo_tui" / "shipped_policies")
    assert probe["count"] == len(list((REPO / "scenarios").glob("[0-9]*.yaml")))

    script = str(target / "bin" / "tamiyo-tui")
    completed = run([script, "run", "01", "--policy", "lstm-bc", "--device", "cpu"], cwd=elsewhere, env=env)
    assert "01 · The first seed: from plateau to fossil: 16 decisions by lstm-bc on cpu" in completed.stdout
    assert completed.stderr == ""

    listed = " ".join(run([script, "lessons"], cwd=elsewhere, env=env).stdout.split())
    assert "01 first-seed The first seed" in listed
    assert "15 governor-divergence" in listed
    assert f"files in {target / 'tamiyo_tui' / 'lessons'}" in listed
    assert list(elsewhere.iterdir()) == []  # nothing written where it ran
