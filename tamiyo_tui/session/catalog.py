"""``tamiyo-tui lessons`` and ``tamiyo-tui policies``: what ships, as tables.

Here rather than in ``tamiyo_tui.shipped``, which the session's policy resolution reads: listing a lesson
loads it (the simulator's loader) and listing a policy file reads it (``policy_spec``), and the module that
only says where the files are needs neither.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from tamiyo_tui.session.policy_spec import BUILT_IN_POLICIES, DEFAULT_INIT_SEED, load_policy_file
from tamiyo_tui.shipped import display_path, lessons, lessons_dir, policies_dir, policy_file_names
from tamiyo_tui.sim.loader import load_scenario


def lessons_command() -> int:
    """``tamiyo-tui lessons``: number, name and what each teaches: the title its YAML ``name`` gives
    (the ``description`` is the lesson's own opening text, shown in the app)."""
    table = Table(box=None, title_justify="left", title="lessons (tamiyo-tui NUMBER or NAME opens one)")
    for column in ("#", "name", "what it teaches"):
        table.add_column(column, no_wrap=column != "what it teaches")
    for lesson in lessons():
        scenario = load_scenario(lesson.path)
        table.add_row(lesson.label, lesson.name, scenario.name.split(" · ", 1)[-1])
    console = Console(highlight=False)
    console.print(table)
    console.print(f"[dim]files in {display_path(lessons_dir())}[/]", soft_wrap=True)  # a path is not wrapped
    return 0


def policies_command() -> int:
    """``tamiyo-tui policies``: the built-in policies and the shipped policy files, by the name ``--policy``
    takes, with their bundle and description."""
    table = Table(box=None, title_justify="left", title="policies (--policy NAME)")
    for column in ("name", "bundle", "description"):
        table.add_column(column, no_wrap=column != "description")
    built_in = {
        "heuristic": "the rule-based heuristic with its default thresholds.",
        "lstm": f"an untrained LSTM policy, seeded (init_seed {DEFAULT_INIT_SEED}).",
    }
    for name in BUILT_IN_POLICIES:  # the bundle a built-in name gives is the one it names
        table.add_row(name, name, f"Built in: {built_in[name]}")
    for name, path in policy_file_names(reserved=BUILT_IN_POLICIES).items():
        spec = load_policy_file(path, policy_id=name)
        table.add_row(name, spec.bundle, spec.description)
    console = Console(highlight=False)
    console.print(table)
    console.print(
        f"[dim]files in {display_path(policies_dir())}; --policy also takes a policy file or a checkpoint[/]",
        soft_wrap=True,
    )
    return 0
