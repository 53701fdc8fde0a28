"""What ships with tamiyo-tui — the lessons and the policy files — and the names that find them anywhere.

The one module that knows where they are. The repository keeps them at its top, in ``scenarios/`` and
``policies/``; a built wheel carries the same files as package data, ``tamiyo_tui/lessons/`` and
``tamiyo_tui/shipped_policies/`` (``pyproject.toml`` maps the folders to those names). So: the installed
copy when there is one (a wheel), else the checkout's folders (an editable install, or the source tree on
``PYTHONPATH``). Either way they are plain files, which the loaders and ``torch.load`` read by path.

Names, for every command that takes a scenario or a policy:

* a lesson is ``NN-name.yaml``: it opens by number (``01`` or ``1``), by name (``first-seed``), by stem
  (``01-first-seed``) or by file name (``01-first-seed.yaml``);
* a shipped policy file opens by its stem (``lstm-bc``, ``lstm-untrained``) or its file name
  (``heuristic.yaml``, ``lstm-bc.pt``); the built-in ``heuristic`` and ``lstm`` come first.

A path that exists always wins over a name. Pure: no torch, no Textual, nothing read at import time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from tamiyo_tui.errors import InputError

PACKAGE_DIR = Path(__file__).resolve().parent
# The package names the wheel gives the two folders, and the folders' names in the repository.
LESSONS_PACKAGE, LESSONS_FOLDER = "lessons", "scenarios"
POLICIES_PACKAGE, POLICIES_FOLDER = "shipped_policies", "policies"
SCENARIO_SUFFIXES = (".yaml", ".yml")
POLICY_SUFFIXES = (".yaml", ".yml", ".pt")
_LESSON_FILE = re.compile(r"(?P<number>\d+)-(?P<name>[a-z0-9][a-z0-9-]*)\.yaml")


def _shipped_dir(package: str, folder: str) -> Path:
    installed = PACKAGE_DIR / package
    return installed if installed.is_dir() else PACKAGE_DIR.parent / folder


def lessons_dir() -> Path:
    return _shipped_dir(LESSONS_PACKAGE, LESSONS_FOLDER)


def policies_dir() -> Path:
    return _shipped_dir(POLICIES_PACKAGE, POLICIES_FOLDER)


def display_path(path: Path) -> str:
    """``path`` as messages, headers and records show it: relative to the working directory when it lies
    below it (in the checkout, ``scenarios/01-first-seed.yaml`` as before), else absolute."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _looks_like_a_path(text: str, suffixes: tuple[str, ...]) -> bool:
    return Path(text).suffix in suffixes or "/" in text or os.sep in text


# --- lessons ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lesson:
    number: int
    name: str  # "first-seed"
    path: Path

    @property
    def label(self) -> str:
        """``01``: the number as the file name writes it."""
        return self.path.name.split("-", 1)[0]

    @property
    def stem(self) -> str:
        return self.path.stem

    def answers_to(self, text: str) -> bool:
        if text.isdigit():
            return int(text) == self.number
        return text in (self.name, self.stem, self.path.name)


def lessons() -> tuple[Lesson, ...]:
    """Every shipped lesson, by number."""
    found = []
    for path in lessons_dir().glob("*.yaml"):
        match = _LESSON_FILE.fullmatch(path.name)
        if match is not None:
            found.append(Lesson(int(match["number"]), match["name"], path))
    return tuple(sorted(found, key=lambda lesson: lesson.number))


def find_lesson(text: str) -> Lesson | None:
    return next((lesson for lesson in lessons() if lesson.answers_to(text)), None)


def scenario_path(text: str) -> str:
    """A scenario argument → the file to load: a path that exists, else a lesson by number or name, else
    (when it looks like a path) the path as given, so that the loader says ``file not found``."""
    if Path(text).exists():
        return text
    lesson = find_lesson(text)
    if lesson is not None:
        return display_path(lesson.path)
    if _looks_like_a_path(text, SCENARIO_SUFFIXES):
        return text
    raise InputError(unknown_lesson_message(text))


def unknown_lesson_message(text: str) -> str:
    from tamiyo_tui.sim.yaml_nodes import closest_name

    shipped = lessons()
    guess = closest_name(text, [lesson.name for lesson in shipped])
    hint = f" (did you mean {guess!r}?)" if guess else ""
    listed = ", ".join(f"{lesson.label} {lesson.name}" for lesson in shipped)
    return (
        f"unknown lesson {text!r}{hint}, and no such file; "
        f"give a scenario file or a lesson by number or name: {listed} (tamiyo-tui lessons)"
    )


# --- policies -----------------------------------------------------------------------------------------


def shipped_policy_files() -> dict[str, Path]:
    """Every name a shipped policy file answers to → the file: stems of the policy files (``lstm-bc``) and
    every file name (``heuristic.yaml``, ``lstm-bc.pt``). A stem is also a policy file's ``policy_id``."""
    files = sorted(path for path in policies_dir().iterdir() if path.suffix in POLICY_SUFFIXES)
    names = {path.stem: path for path in files if path.suffix != ".pt"}
    names.update({path.name: path for path in files})
    return names


def policy_file_names(reserved: Collection[str] = ()) -> dict[str, Path]:
    """One name per shipped policy file (checkpoints left out) → the file: its stem, or its file name
    where the stem is ``reserved`` (the built-in ``heuristic`` comes before ``heuristic.yaml``)."""
    files = sorted(path for path in policies_dir().iterdir() if path.suffix in (".yaml", ".yml"))
    return {(path.name if path.stem in reserved else path.stem): path for path in files}
