"""The one command table: every key binding, footer entry, command-palette entry and help line comes from it.

A command's ``id`` is also its Textual binding id, so a keymap can rebind it by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider


@dataclass(frozen=True, slots=True)
class Command:
    id: str
    keys: tuple[str, ...]  # Textual key names
    key_display: str  # short, for the footer and the palette
    action: str  # the App's action_<name>
    title: str
    description: str
    in_footer: bool = True
    live_only: bool = False  # not available when reviewing a recorded run
    # In the live footer only from this many columns (narrower: in help and the palette); review has room.
    footer_min_width: int = 0


COMMANDS: tuple[Command, ...] = (
    Command("step", ("n", "right"), "n/→", "step", "Step", "Take the next decision"),
    Command("back", ("b", "left"), "b/←", "back", "Back", "Step back to the state before the last decision (exact)"),
    Command(
        "run",
        ("space",),
        "␣",
        "toggle_run",
        "Run",
        "Run: step every 0.3 s; stops by itself at a rejected action and at the end; again pauses",
    ),
    Command("read", ("w",), "w", "read", "Read", "Read in full what the panels cut: narration, why, reasons, outcome"),
    Command(
        "override",
        ("o",),
        "o",
        "override",
        "Override",
        "Choose the action yourself (masked options allowed: the lifecycle rejects them); starts a branch",
        live_only=True,
    ),
    Command(
        "switch",
        ("p",),
        "p",
        "switch_bundle",
        "Switch",
        "Switch the acting bundle (LSTM ⇄ heuristic) at this position",
        live_only=True,
        footer_min_width=100,
    ),
    Command(
        "compare",
        ("c",),
        "c",
        "compare",
        "Compare",
        "Both bundles' choice on this state, disagreements highlighted",
        live_only=True,
    ),
    Command(
        "sampling",
        ("d",),
        "d",
        "toggle_sampling",
        "Sampling",
        "Toggle deterministic (most likely option) / sampled decisions",
        live_only=True,
        footer_min_width=100,
    ),
    Command(
        "export",
        ("e",),
        "e",
        "export",
        "Export",
        "Write the decisions so far and every abandoned branch to <scenario>-decisions.jsonl (never over one)",
        live_only=True,
        footer_min_width=100,
    ),
    Command(
        "jump_next",
        ("right_square_bracket",),
        "]",
        "jump(1)",
        "Jump→",
        "Jump to the next decision of the kind f picks (rejected, disagreement, high entropy, low probability)",
        footer_min_width=160,
    ),
    Command(
        "jump_previous",
        ("left_square_bracket",),
        "[",
        "jump(-1)",
        "←Jump",
        "Jump to the previous decision of the kind f picks",
        footer_min_width=160,
    ),
    Command(
        "jump_kind",
        ("f",),
        "f",
        "cycle_jump",
        "Find",
        "Change what ]/[ jump to: rejected action → disagreement → high entropy → low-probability draw",
        footer_min_width=160,
    ),
    Command(
        "branches",
        ("B",),
        "B",
        "branches",
        "Branches",
        "List every branch (none is ever dropped) and switch to any of them",
        live_only=True,
        footer_min_width=160,
    ),
    Command("help", ("question_mark",), "?", "help", "Help", "List every key"),
    Command("quit", ("q",), "q", "quit", "Quit", "Quit tamiyo-tui (asks first when decisions are not exported)"),
)
COMMANDS_BY_ACTION: dict[str, Command] = {command.action: command for command in COMMANDS}
assert len(COMMANDS_BY_ACTION) == len(COMMANDS), "two commands share an action"

# Keys that belong to one panel or one modal, for the help screen (they are bound there, not here).
PANEL_KEYS: tuple[tuple[str, str, str], ...] = (
    ("heads panel", "↑/↓ or k/j", "previous / next option (the why panel explains it)"),
    ("heads panel", "shift+↑/↓ or K/J", "previous / next head"),
    ("timeline", "↑/↓ or k/j, enter, click", "pick a decision and open its full record (review: the panels follow)"),
    ("record", "→/n, ←/b", "the next / previous decision's record"),
    ("reader (w), record", "↑/↓, home/end, esc", "scroll, close"),
    ("override", "↑/↓, ←/→, enter, esc", "pick a head, change its option, carry out, cancel"),
    ("any screen", "tab", "move focus between panels"),
    ("any screen", "ctrl+p", "command palette (every command above)"),
)


_KEY_GLYPHS = {
    "right": "→",
    "left": "←",
    "question_mark": "?",
    "right_square_bracket": "]",
    "left_square_bracket": "[",
}


def keys_label(command: Command) -> str:
    """Every key of a command, spelled for people (``n, →``), for the help screen."""
    return ", ".join(_KEY_GLYPHS.get(key, key) for key in command.keys)


def command_bindings() -> list[Binding]:
    return [
        Binding(
            ",".join(command.keys),
            command.action,
            command.title,
            show=command.in_footer,
            key_display=command.key_display,
            tooltip=command.description,
            id=command.id,
        )
        for command in COMMANDS
    ]


class CommandTableProvider(Provider):
    """The command palette's view of ``COMMANDS``: the same titles and actions as the keys."""

    async def discover(self) -> Hits:
        for command in COMMANDS:
            yield DiscoveryHit(
                self._label(command), partial(self.app.run_action, command.action), help=command.description
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in COMMANDS:
            label = self._label(command)
            score = matcher.match(label)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(label),
                    partial(self.app.run_action, command.action),
                    text=label,
                    help=command.description,
                )

    @staticmethod
    def _label(command: Command) -> str:
        return f"{command.title} ({command.key_display})"
