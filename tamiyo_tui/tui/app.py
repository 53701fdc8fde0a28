"""The inspector app: wires the command table to an Inspector and shows the Frames it answers with.

Live runs start from a pure first frame (no torch), then the engine thread loads the policy; every policy
call runs on that thread and the event loop only ever applies finished Frames, in one batched repaint.
Review runs are pure and answer inline.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, TypeVar

from textual import events
from textual.app import App, ComposeResult
from textual.containers import Grid
from textual.timer import Timer

from tamiyo_tui.domain.actions import FactoredAction
from tamiyo_tui.errors import EXIT_BAD_INPUT, InputError
from tamiyo_tui.session.jumps import JUMP_KINDS, JUMP_LABELS
from tamiyo_tui.session.preview import Preview
from tamiyo_tui.session.records import DecisionRecord
from tamiyo_tui.session.review import ReviewInspector
from tamiyo_tui.session.view import (
    OPERATION_ERRORS,
    ComparisonView,
    Exported,
    Frame,
    Inspector,
    JumpKind,
    LiveControls,
    TimelineRow,
    Update,
)
from tamiyo_tui.tui.commands import COMMANDS_BY_ACTION, CommandTableProvider, command_bindings
from tamiyo_tui.tui.engine import EngineThread
from tamiyo_tui.tui.notices import OneNoticeApp
from tamiyo_tui.tui.screens.branches import BranchesScreen
from tamiyo_tui.tui.screens.compare import CompareScreen
from tamiyo_tui.tui.screens.help import HelpScreen
from tamiyo_tui.tui.screens.override import OverrideScreen
from tamiyo_tui.tui.screens.quit import QuitScreen
from tamiyo_tui.tui.screens.reader import ReaderScreen
from tamiyo_tui.tui.screens.record import RecordScreen
from tamiyo_tui.tui.widgets.footer import CommandFooter
from tamiyo_tui.tui.widgets.header import NoteLine, OutcomeLine, StatusHeader
from tamiyo_tui.tui.widgets.heads import HeadsPanel
from tamiyo_tui.tui.widgets.host import HostPanel
from tamiyo_tui.tui.widgets.slots import SlotGrid
from tamiyo_tui.tui.widgets.timeline import Timeline
from tamiyo_tui.tui.widgets.why import WhyPanel

R = TypeVar("R")
RUN_INTERVAL_S = 0.3


class TamiyoApp(OneNoticeApp):
    CSS_PATH = "styles.tcss"
    TITLE = "tamiyo-tui"
    BINDINGS: ClassVar = command_bindings()
    COMMANDS: ClassVar = App.COMMANDS | {CommandTableProvider}
    HORIZONTAL_BREAKPOINTS: ClassVar = [(0, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS: ClassVar = [(0, "-short"), (34, "-tall"), (50, "-huge")]

    def __init__(
        self,
        first: Frame,
        *,
        load: Preview | None = None,
        inspector: Inspector | None = None,
        export_path: Path | None = None,
        run_interval: float = RUN_INTERVAL_S,
    ) -> None:
        """Either ``load`` (a live run: the engine thread opens it) or ``inspector`` (ready, e.g. a review)."""
        super().__init__()
        self.frame = first
        self._load = load
        self._inspector: Inspector | None = inspector
        self._live: LiveControls | None = None
        self._engine: EngineThread | None = None
        self._export_path = export_path
        self._run_interval = run_interval
        self._run_timer: Timer | None = None
        self._in_flight = 0
        self._jump_kind: JumpKind = JUMP_KINDS[0]
        self.load_error: str | None = None  # set when a live run's policy failed to load (the app then exits)

    # --- layout -------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusHeader(id="status")
        yield NoteLine(id="note")
        yield OutcomeLine(id="outcome")
        with Grid(id="main"):
            yield SlotGrid(tuple(self.frame.observation.slots), id="slots")
            yield HeadsPanel(id="heads")
            yield HostPanel(id="host")
            yield Timeline(id="timeline")
            yield WhyPanel(id="why")
        yield CommandFooter()

    def on_mount(self) -> None:
        for panel in self.query("#main > *"):
            panel.border_title = panel.id
        self.query_one(Timeline).show_jump_kind(self._jump_kind)
        self._show(self.frame)
        self.query_one(HeadsPanel).focus()
        if self._load is not None:
            self._engine = EngineThread()
            # Start torch's import only once the first frame is painted: it holds the GIL for seconds.
            self.call_after_refresh(self._start_loading)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """In review, the commands that only a live run has are neither in the footer nor bound."""
        command = COMMANDS_BY_ACTION.get(action)
        reviewing = self._inspector is not None and self._live is None
        return not (command is not None and command.live_only and reviewing)

    def on_resize(self, event: events.Resize) -> None:
        # The event's size: ``self.size`` can still be the old one here, which left the footer a resize behind.
        self.query_one(CommandFooter).fit(event.size.width, review=self.frame.read_only)

    def on_unmount(self) -> None:
        if self._engine is not None:
            self._engine.shutdown()

    @property
    def running(self) -> bool:
        return self._run_timer is not None

    @property
    def busy(self) -> bool:
        """A job is on the engine thread (or waiting for it)."""
        return self._in_flight > 0

    # --- showing frames -----------------------------------------------------------------------------

    def _show(self, frame: Frame) -> None:
        self.frame = frame
        heads = self.query_one(HeadsPanel)
        with self.batch_update():
            self.query_one(StatusHeader).show(frame, running=self.running)
            self.query_one(NoteLine).show(frame)
            self.query_one(OutcomeLine).show(frame)
            self.query_one(SlotGrid).show(frame.observation)
            self.query_one(HostPanel).show(frame)
            heads.show(frame)
            self.query_one(WhyPanel).show(frame, heads.selection)
            self.query_one(Timeline).show(frame)

    def _apply(self, update: Update) -> None:
        self._show(update.frame)
        if update.notice:
            self.clear_notifications()  # the newest one only: surplus keys never pile toasts over the why
            self.notify(update.notice, severity=update.severity)
        # The run-stop rule: a run stops by itself at the end and at a rejected action (or an error), so the
        # rejection stays on screen; space runs on from there.
        if self.running and (update.frame.done or update.severity != "information"):
            self._stop_running()
            if not update.frame.done:
                self.notify("Run stopped at the rejection: space runs on from here", timeout=8)

    def on_heads_panel_selected(self, event: HeadsPanel.Selected) -> None:
        self.query_one(WhyPanel).show(self.frame, event.selection)

    def on_timeline_opened(self, event: Timeline.Opened) -> None:
        inspector = self._inspector_or_notice()
        if inspector is not None:
            step = event.step
            self._run_job(lambda: inspector.record(step), lambda record: self._open_record(step, record))

    def on_timeline_moved(self, event: Timeline.Moved) -> None:
        """In review the panels follow the timeline's cursor (a live run moves only by its keys)."""
        inspector = self._inspector
        if isinstance(inspector, ReviewInspector) and event.step != inspector.index:
            step = event.step
            self._run_job(lambda: inspector.go_to(step), self._apply)

    def _open_record(self, step: int, record: DecisionRecord) -> None:
        self.push_screen(RecordScreen(record, step, self._fetch_record, self._last_step()))

    def _fetch_record(self, step: int, then: Callable[[DecisionRecord], None]) -> None:
        inspector = self._inspector
        if inspector is not None:
            self._run_job(lambda: inspector.record(step), then)

    def _last_step(self) -> int:
        return max((item.step for item in self.frame.timeline if isinstance(item, TimelineRow)), default=0)

    # --- the engine ---------------------------------------------------------------------------------

    def _start_loading(self) -> None:
        assert self._load is not None and self._engine is not None
        preview = self._load

        def load() -> tuple[LiveControls, Update]:
            live = preview.open()
            return live, live.current()

        self._run_job(load, self._loaded, on_error=self._load_failed)

    def _loaded(self, loaded: tuple[LiveControls, Update]) -> None:
        self._live, update = loaded
        self._inspector = self._live
        self._apply(update)

    def _load_failed(self, error: Exception) -> None:
        """The session cannot start (a bad checkpoint, a missing device): the app exits with the bad-input
        code; ``load_error`` keeps the line ``tamiyo-tui run`` prints for it, which the launcher prints."""
        message = str(error) if isinstance(error, InputError) else f"could not load the policy: {error}"
        self.load_error = message
        self._show(dataclasses.replace(self.frame, error=message))
        self.exit(return_code=EXIT_BAD_INPUT)

    def _run_job(
        self,
        job: Callable[[], R],
        then: Callable[[R], None],
        *,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        """Run ``job`` on the engine thread (inline for a review) and hand its result to ``then``."""
        if self._engine is None:
            then(job())
            return
        future = self._engine.submit(job)
        self._in_flight += 1

        async def wait() -> None:
            try:
                result = await asyncio.wrap_future(future)
            except OPERATION_ERRORS as err:
                if on_error is None:
                    self.notify(str(err), severity="error", timeout=15)
                else:
                    on_error(err)
                return
            finally:
                self._in_flight -= 1
            then(result)

        self.run_worker(wait(), group="engine", description="engine job")

    def _inspector_or_notice(self) -> Inspector | None:
        """The inspector if it is there; otherwise say why not and return None."""
        if self._inspector is None:
            if self.frame.error is not None:
                self.notify(f"Not available: {self.frame.error}", severity="error")
            else:
                self.notify("The policy is still loading…", severity="warning")
            return None
        return self._inspector

    def _live_or_notice(self, action: str) -> LiveControls | None:
        if self._inspector_or_notice() is None:
            return None
        if self._live is None:
            title = COMMANDS_BY_ACTION[action].title
            self.notify(f"Review mode is read-only: {title} is not available", severity="warning")
        return self._live

    def _live_before_the_end(self, action: str, over: str) -> LiveControls | None:
        """The live inspector while the episode still has a state to decide on; else say ``over``."""
        live = self._live_or_notice(action)
        if live is not None and self.frame.done:
            self.notify(over)
            return None
        return live

    # --- actions (bound through the command table) --------------------------------------------------

    def action_step(self) -> None:
        inspector = self._inspector_or_notice()
        if inspector is not None:
            self._run_job(inspector.step, self._apply)

    def action_back(self) -> None:
        inspector = self._inspector_or_notice()
        if inspector is not None:
            self._run_job(inspector.back, self._apply)

    def action_toggle_run(self) -> None:
        if self.running:
            self._stop_running()
            return
        if self._inspector_or_notice() is None:
            return
        if self.frame.done:
            self.notify("The run is at its end: step back (b) first")
            return
        self._run_timer = self.set_interval(self._run_interval, self._run_tick)
        self.query_one(StatusHeader).show(self.frame, running=True)

    def _run_tick(self) -> None:
        # Never queue ahead of the screen (the next step starts once the last one is shown), and hold
        # still while a modal (help, a record) covers the main screen.
        if not self.busy and len(self.screen_stack) == 1:
            self.action_step()

    def _stop_running(self) -> None:
        if self._run_timer is not None:
            self._run_timer.stop()
            self._run_timer = None
        self.query_one(StatusHeader).show(self.frame, running=False)

    def action_override(self) -> None:
        live = self._live_before_the_end(
            "override", "The episode is over: step back (b) to override an earlier decision"
        )
        if live is None:
            return
        self._stop_running()  # the override is for the epoch on screen, so nothing may move it on
        if self.busy:
            self.notify("A decision is still being made: override once it is on screen", severity="warning")
            return

        def carry_out(action: FactoredAction | None) -> None:
            if action is not None:
                self._run_job(lambda: live.override(action), self._apply)

        self.push_screen(OverrideScreen(self.frame), carry_out)

    def action_switch_bundle(self) -> None:
        live = self._live_or_notice("switch_bundle")
        if live is not None:
            self._run_job(live.switch_bundle, self._apply)

    def action_compare(self) -> None:
        live = self._live_before_the_end("compare", "The episode is over: nothing left to compare")
        if live is not None:
            self._run_job(live.compare, self._show_comparison)

    def _show_comparison(self, view: ComparisonView) -> None:
        self.push_screen(CompareScreen(view))

    def action_toggle_sampling(self) -> None:
        live = self._live_or_notice("toggle_sampling")
        if live is not None:
            self._run_job(live.toggle_sampling, self._apply)

    def action_export(self, then: Callable[[], None] | None = None) -> None:
        live = self._live_or_notice("export")
        if live is None or self._export_path is None:
            return
        path = self._export_path

        def done(exported: Exported) -> None:
            self.notify(exported.notice(), timeout=8)
            if then is not None:
                then()

        self._run_job(lambda: live.export(path), done)

    def action_branches(self) -> None:
        live = self._live_or_notice("branches")
        if live is None:
            return
        self._stop_running()

        def switch(branch: int | None) -> None:
            if branch is not None:
                self._run_job(lambda: live.switch_branch(branch), self._apply)

        self._run_job(live.branch_list, lambda views: self.push_screen(BranchesScreen(views), switch))

    async def action_quit(self) -> None:
        """Quit; a live run with decisions not exported asks first (export and quit, quit, stay)."""
        live = self._live
        if live is None or self.busy or not live.unsaved:
            self.exit()
            return

        def answer(choice: str | None) -> None:
            if choice == "quit":
                self.exit()
            elif choice == "export":
                self.action_export(then=self.exit)

        self.push_screen(QuitScreen(), answer)

    def action_jump(self, direction: int) -> None:
        inspector = self._inspector_or_notice()
        if inspector is not None:
            self._stop_running()
            kind = self._jump_kind
            self._run_job(lambda: inspector.jump(kind, direction), self._apply)

    def action_cycle_jump(self) -> None:
        self._jump_kind = JUMP_KINDS[(JUMP_KINDS.index(self._jump_kind) + 1) % len(JUMP_KINDS)]
        self.query_one(Timeline).show_jump_kind(self._jump_kind)
        self.notify(f"]/[ now jump to the next / previous {JUMP_LABELS[self._jump_kind]}")

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_read(self) -> None:
        self.push_screen(ReaderScreen(self.frame, self.query_one(HeadsPanel).selection))
