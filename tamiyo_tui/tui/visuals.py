"""How the inspector shows things: one colour per stage (used by every panel), and the glyphs that carry
meaning on their own, so nothing depends on colour alone (monochrome terminals, colour-blind readers)."""

from __future__ import annotations

import math

from rich.text import Text

from tamiyo_tui.domain.alpha import AlphaMode
from tamiyo_tui.domain.constants import DEFAULT_EMBARGO_EPOCHS_AFTER_PRUNE, RESETTING_EPOCHS
from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.session.view import REJECTED  # the session's notices draw it too: one glyph for both

EMPTY_STAGE = "EMPTY"  # what records and scenarios call a slot without a seed

STAGE_STYLES: dict[str, str] = {
    SeedStage.UNKNOWN.name: "grey50",
    SeedStage.DORMANT.name: "grey62",
    SeedStage.GERMINATED.name: "bold #5fd7ff",
    SeedStage.TRAINING.name: "bold #5f87ff",
    SeedStage.BLENDING.name: "bold #d787ff",
    SeedStage.HOLDING.name: "bold #ffd75f",
    SeedStage.FOSSILIZED.name: "bold #87d75f",
    SeedStage.PRUNED.name: "bold #ff5f5f",
    SeedStage.EMBARGOED.name: "bold #ff875f",
    SeedStage.RESETTING.name: "bold #d7af87",
    EMPTY_STAGE: "grey42",
}
assert set(STAGE_STYLES) == {stage.name for stage in SeedStage} | {EMPTY_STAGE}, "STAGE_STYLES out of sync"

# Epochs a cooldown stage lasts before the slot moves on (lifecycle: PRUNED → EMBARGOED → RESETTING → empty).
COOLDOWN_EPOCHS: dict[str, int] = {
    SeedStage.EMBARGOED.name: DEFAULT_EMBARGO_EPOCHS_AFTER_PRUNE,
    SeedStage.RESETTING.name: RESETTING_EPOCHS,
}

MASKED = "⊘"
CHOSEN = "▶"
ACCEPTED = "✓"
DISAGREE = "≠"
BRANCH = "⑂"
NOTE = "✎"
COOLDOWN = "⏳"
NO_VALUE = "—"
SWITCH = "⇄"
OFF_SCRIPT = "⚠"
NOT_READ = "○"  # a head the chosen op does not read: whatever it picks changes nothing

MODE_ARROWS: dict[str, str] = {AlphaMode.UP.name: "↑", AlphaMode.DOWN.name: "↓", AlphaMode.HOLD.name: "·"}
assert set(MODE_ARROWS) == {mode.name for mode in AlphaMode}, "MODE_ARROWS out of sync"

MASKED_STYLE = "dim strike"
CHOSEN_STYLE = "bold reverse"
ACCEPTED_STYLE = "green"
REJECTED_STYLE = "bold red"
ERROR_STYLE = "bold red"


def stage_text(stage: str) -> Text:
    return Text(stage, style=STAGE_STYLES.get(stage, ""))


def cooldown_left(stage: str, epochs_in_stage: int) -> int | None:
    """Epochs until a cooling-down slot moves on, or None for a stage without a countdown."""
    total = COOLDOWN_EPOCHS.get(stage)
    return None if total is None else max(total - epochs_in_stage, 0)


def verdict_text(accepted: bool) -> Text:
    return Text(ACCEPTED, style=ACCEPTED_STYLE) if accepted else Text(REJECTED, style=REJECTED_STYLE)


def alpha_bar(alpha: float, target: float, width: int) -> Text:
    """``width`` cells: reached alpha solid, the stretch still to go towards the target shaded."""
    width = max(width, 1)
    reached = round(min(max(alpha, 0.0), 1.0) * width)
    goal = round(min(max(target, 0.0), 1.0) * width)
    low, high = sorted((reached, goal))
    bar = Text()
    for cell in range(width):
        if cell < low:
            bar.append("█", style="#d787ff")
        elif cell < high:
            bar.append("▒", style="#875f87")
        else:
            bar.append("░", style="grey35")
    return bar


def fmt_value(value: float | None, digits: int = 2) -> str:
    """A signed number, ``—`` when there is none (the heuristic has no value function)."""
    if value is None:
        return NO_VALUE
    if not math.isfinite(value):
        return str(value)
    return f"{value:+.{digits}f}"


def fmt_logit(value: float) -> str:
    """At most 5 cells (``+0.01``, ``+12.3``, ``-150``), and ``-1e4`` for the huge negatives that stand for
    "never", which a fixed-point format would stretch past the column."""
    if not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    if magnitude >= 1000:
        mantissa, exponent = f"{value:.0e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    if magnitude >= 100:
        return f"{value:+.0f}"
    if magnitude >= 10:
        return f"{value:+.1f}"
    return f"{value:+.2f}"


def fmt_prob(value: float) -> str:
    return f"{value:.2f}"


SPARK_BARS = "▁▂▃▄▅▆▇█"
SPARK_GAP = " "  # a NaN or infinite value (a diverged loss) leaves a gap rather than a made-up bar


def sparkline(values: tuple[float, ...], width: int) -> str:
    """The last ``width`` values, one cell each, oldest left, scaled between their own min and max."""
    shown = values[-width:] if width > 0 else ()
    finite = [v for v in shown if math.isfinite(v)]
    if not finite:
        return SPARK_GAP * len(shown)
    low, span = min(finite), max(finite) - min(finite)
    top = len(SPARK_BARS) - 1
    return "".join(
        SPARK_BARS[round((v - low) / span * top) if span else top // 2] if math.isfinite(v) else SPARK_GAP
        for v in shown
    )
