"""One inspection run: step, step back, override (branch), switch bundle, compare.

Exact step-back works by *checkpoint and replay*: every ``checkpoint_every`` steps the session keeps a
checkpoint (simulator snapshot + the policies' recurrent/internal state); each step keeps only a compact
``StepEntry`` (the action carried out, who chose it, the bundle that was active). Going back to step s
restores the checkpoint at or before s and replays the recorded actions. Sampling is seeded per step from
(scenario seed, step), so a replayed or re-taken step samples exactly the same action. This keeps memory
flat on long headless runs (see bench/session_bench.py) at the cost of at most ``checkpoint_every - 1``
replayed decisions per step back.

Both bundles decide on every step ("shadow" mode): the active bundle's action is executed, the other's is
kept for ``compare()``. Hence the LSTM hidden state always reflects the whole episode, whichever bundle
acted, and switching bundles never resets or skips it. The heuristic's memory (rotation, embargo,
penalties) is different: it moves on by the action carried out on each step, whoever chose it, and never
by a proposal of its own that was not carried out (``PolicyRunner.commit``). So ``compare()`` and a switch
show what the heuristic would really do from here in this run.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from tamiyo_tui.domain.actions import FactoredAction
from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.rules.masks import MaskExplanation
from tamiyo_tui.session.decide import BundleDecision, PolicyRunner, RunnerState
from tamiyo_tui.session.recording import build_record, explain_state, scenario_notes, scripted_action
from tamiyo_tui.session.records import DecisionRecord, RunHeader, Source
from tamiyo_tui.sim.scenario import ActionSpec, Scenario
from tamiyo_tui.sim.simulator import ActionOutcome, SimSnapshot, Simulator

DEFAULT_CHECKPOINT_EVERY = 32
RECORD_CACHE_SIZE = 512


@dataclass(frozen=True, slots=True)
class StepEntry:
    """What a step needs to be replayed exactly, plus what the timeline shows."""

    step: int
    epoch: int
    action: FactoredAction
    source: Source
    bundle: str
    deterministic: bool
    accepted: bool
    branch: int


@dataclass(frozen=True, slots=True)
class Checkpoint:
    step: int
    sim: SimSnapshot
    runner: RunnerState


@dataclass(frozen=True, slots=True)
class Branch:
    """An abandoned future: the steps that existed after ``fork_step`` before an override replaced them.
    ``branch`` names it by the id its newest steps carry; ``prefix`` is the path it shared up to the fork."""

    branch: int
    fork_step: int
    entries: tuple[StepEntry, ...]
    prefix: tuple[StepEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class HeadComparison:
    head: str
    choices: dict[str, str]  # bundle -> chosen option
    agree: bool


@dataclass(frozen=True, slots=True)
class Comparison:
    epoch: int
    decisions: dict[str, BundleDecision]
    heads: tuple[HeadComparison, ...]

    @property
    def disagreements(self) -> tuple[str, ...]:
        return tuple(h.head for h in self.heads if not h.agree)


@dataclass
class _Cursor:
    """The live position: the step about to be taken and the decisions already made for it."""

    observation: Observation | None = None
    explanation: MaskExplanation | None = None
    decisions: dict[str, BundleDecision] | None = None


class InspectionSession:
    def __init__(
        self,
        scenario: Scenario,
        runner: PolicyRunner,
        *,
        active: str = "heuristic",
        deterministic: bool = False,
        header: RunHeader | None = None,
        checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
        keep_records: bool = True,
        shadow: bool = True,
    ) -> None:
        if active not in runner.bundle_names:
            raise ValueError(f"bundle {active!r} is not loaded (loaded: {', '.join(runner.bundle_names)})")
        self.scenario = scenario
        self.runner = runner
        self.active: str = active
        self.deterministic = deterministic
        self.header = header
        self.checkpoint_every = max(1, checkpoint_every)
        self.keep_records = keep_records
        self.shadow = shadow
        # Keep the other bundles' choices in each record (the inspector's jump keys read them); run and the
        # sweep leave it off, so their records stay the active bundle's alone.
        self.record_others = False
        self.sim = Simulator(scenario)
        self.entries: list[StepEntry] = []  # the current branch, possibly beyond `position` after a step back
        self.position = 0  # steps taken on the current branch; the next step's index
        self.branches: list[Branch] = []
        self.branch = 0
        self._checkpoints: list[Checkpoint] = [Checkpoint(0, self.sim.snapshot(), runner.get_state())]
        self._records: OrderedDict[tuple[int, int], DecisionRecord] = OrderedDict()
        self._cursor = _Cursor()

    # --- where we are -------------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self.sim.done

    @property
    def epoch(self) -> int:
        return self.sim.epoch

    @property
    def governor_override_active(self) -> bool:
        return self.sim.governor_override_active

    def observation(self) -> Observation:
        if self._cursor.observation is None:
            self._cursor.observation = self.sim.observe()
        return self._cursor.observation

    def explanation(self) -> MaskExplanation:
        if self._cursor.explanation is None:
            self._cursor.explanation = explain_state(
                self.observation(),
                governor_override=self.governor_override_active,
                lifecycle=self.scenario.lifecycle_in_force,
            )
        return self._cursor.explanation

    def final_observation(self) -> Observation:
        """Once the episode is over, the state its last decision left."""
        return self.sim.final_state()

    def pending_decisions(self, *, every_bundle: bool = False) -> dict[str, BundleDecision]:
        """The bundles' decisions on the current state, computed once per position.

        With ``shadow`` on (the default) every loaded bundle decides; otherwise only the active one does,
        unless ``every_bundle`` asks for all (``compare``).
        """
        wanted = self.runner.bundle_names if (self.shadow or every_bundle) else (self.active,)
        cached = self._cursor.decisions
        if cached is None or any(name not in cached for name in wanted):
            self._cursor.decisions = self.runner.decide(
                self.observation(),
                governor_override=self.governor_override_active,
                deterministic=self.deterministic,
                sample_seed=self._sample_seed(self.position),
                bundles=wanted,
                masks=self.explanation().masks(),
            )
        return self._cursor.decisions

    @property
    def sample_seed(self) -> int:
        """The seed every bundle samples the current position's decision from."""
        return self._sample_seed(self.position)

    def hand_in_decisions(
        self, decisions: dict[str, BundleDecision], explanation: MaskExplanation | None = None
    ) -> None:
        """Use ``decisions`` (and the rules' ``explanation``), made elsewhere, for the current state: the sweep
        decides for many sessions in one batch, and explains each distinct state once. They must be what
        this session would compute here: each bundle's decision on ``observation()``, sampled from
        ``sample_seed``, from its current state; the explanation of ``observation()``. Unless the decisions
        cover every bundle the step asks for (with ``shadow``, every loaded one), it decides for all again."""
        self._cursor.decisions = dict(decisions)
        if explanation is not None:
            self._cursor.explanation = explanation

    def notes_at(self, epoch: int) -> tuple[str, ...]:
        return scenario_notes(self.scenario, epoch)

    def scripted_action(self, epoch: int) -> ActionSpec | None:
        return scripted_action(self.scenario, epoch)

    # --- moving -------------------------------------------------------------------------------------

    def step(self) -> DecisionRecord:
        """Take the next step: the branch's recorded future if there is one, else a fresh decision (the
        scenario's scripted action for this epoch if any, else the active bundle's)."""
        if self.done:
            raise SessionFinished(f"the episode ended at epoch {self.scenario.episode_length}")
        if self.position < len(self.entries):
            planned = self.entries[self.position]
            if planned.bundle == self.active and planned.deterministic == self.deterministic:
                return self._take(planned.action, planned.source, replaying=True)
            self._fork()
        script = self.scripted_action(self.epoch)
        if script is not None:
            return self._take(script.to_factored(self.scenario.slot_config), "script")
        return self._take(self.pending_decisions()[self.active].action, "policy")

    def override(self, action: FactoredAction | ActionSpec) -> DecisionRecord:
        """Carry out the operator's action instead of the policy's; it starts a new branch.

        A masked or impossible action is handed to the lifecycle like any other: it is rejected with its
        reason and the seed states stay as they were (the epoch still passes, as in the reference loop).
        """
        if self.done:
            raise SessionFinished(f"the episode ended at epoch {self.scenario.episode_length}")
        if isinstance(action, ActionSpec):
            action = action.to_factored(self.scenario.slot_config)
        self._fork()
        return self._take(action, "override")

    def step_back(self, steps: int = 1) -> None:
        self.go_to(max(0, self.position - steps))

    def go_to(self, step: int) -> None:
        """Move to the state just before ``step`` of the current branch, exactly as it was."""
        if not 0 <= step <= len(self.entries):
            raise ValueError(f"step {step} is outside 0..{len(self.entries)}")
        active, deterministic = self.active, self.deterministic
        if step < self.position:
            checkpoint = max((c for c in self._checkpoints if c.step <= step), key=lambda c: c.step)
            self._restore(checkpoint)
        while self.position < step:
            entry = self.entries[self.position]
            # Decisions already made here (in the operator's sampling mode) must not stand in for the step's own.
            self.active = entry.bundle
            self.set_deterministic(entry.deterministic)
            self._take(entry.action, entry.source, replaying=True)
        # The operator's choices stay theirs: moving along the timeline does not switch bundles.
        self.active = active
        self.set_deterministic(deterministic)

    def switch_bundle(self, name: str | None = None) -> str:
        """Make another loaded bundle the active one, at the current position."""
        names = self.runner.bundle_names
        if name is None:
            name = names[(names.index(self.active) + 1) % len(names)]
        if name not in names:
            raise ValueError(f"bundle {name!r} is not loaded (loaded: {', '.join(names)})")
        self.active = name
        return name

    def switch_branch(self, branch: int) -> None:
        """Make abandoned ``branch`` current, keeping the current future abandoned in its place (no branch is
        lost); the position moves back to where the two part, if it is past that."""
        target = next((b for b in self.branches if b.branch == branch), None)
        if target is None:
            raise ValueError(f"no abandoned branch {branch} (abandoned: {[b.branch for b in self.branches]})")
        path = [*target.prefix, *target.entries]
        shared = 0
        while shared < min(len(path), len(self.entries)) and path[shared] == self.entries[shared]:
            shared += 1
        self.go_to(min(self.position, shared))
        self.branches.remove(target)
        if len(self.entries) > shared:
            self.branches.append(
                Branch(self.branch, shared, tuple(self.entries[shared:]), tuple(self.entries[:shared]))
            )
        self.entries = path
        self.branch = target.branch
        self._checkpoints = [c for c in self._checkpoints if c.step <= shared]

    def set_deterministic(self, deterministic: bool) -> None:
        if deterministic != self.deterministic:
            self.deterministic = deterministic
            self._cursor.decisions = None

    def compare(self) -> Comparison:
        """What each loaded bundle would choose on the current state, without advancing."""
        decisions = self.pending_decisions(every_bundle=True)
        names = list(decisions)
        heads = []
        for head in decisions[names[0]].chosen:
            choices = {name: decisions[name].chosen[head] for name in names}
            heads.append(HeadComparison(head, choices, len(set(choices.values())) == 1))
        return Comparison(self.epoch, decisions, tuple(heads))

    # --- records ------------------------------------------------------------------------------------

    def record(self, step: int) -> DecisionRecord:
        """The full record of step ``step`` of the current branch (rebuilt by replay when not cached)."""
        if not 0 <= step < len(self.entries):
            raise ValueError(f"no step {step} on this branch (it has {len(self.entries)})")
        cached = self._records.get((self.entries[step].branch, step))
        if cached is not None:
            return cached
        here = self.position
        # Via ``step`` itself: a checkpoint at ``step + 1`` would restore past the step without rebuilding it.
        self.go_to(step)
        self.go_to(step + 1)
        record = self._records[(self.entries[step].branch, step)]
        self.go_to(here)
        return record

    def records(self) -> list[DecisionRecord]:
        return [self.record(step) for step in range(self.position)]

    # --- internals ----------------------------------------------------------------------------------

    def _sample_seed(self, step: int) -> int:
        return (self.scenario.seed * 1_000_003 + step) & 0x7FFF_FFFF_FFFF

    def _fork(self) -> None:
        """Replace the current branch's future: keep it as an abandoned branch, start a new branch id."""
        future = self.entries[self.position :]
        if future:
            past = tuple(self.entries[: self.position])
            self.branches.append(Branch(self.branch, self.position, tuple(future), past))
            del self.entries[self.position :]
            self._checkpoints = [c for c in self._checkpoints if c.step <= self.position]
        self.branch = max([self.branch, *(b.branch for b in self.branches)]) + 1

    def _take(self, action: FactoredAction, source: Source, *, replaying: bool = False) -> DecisionRecord:
        observation = self.observation()
        explanation = self.explanation()
        decisions = self.pending_decisions()
        epoch, step = self.epoch, self.position
        override_active = self.governor_override_active
        outcome: ActionOutcome = self.sim.apply(action)
        # Without shadow only the active bundle's own decision is committed, even when compare() made the others
        # decide here: a replay (which never compares) must reach the same states. A bundle whose memory
        # follows the run (the heuristic) is moved on by ``action`` either way, never by its own proposal.
        self.runner.commit(
            decisions if self.shadow else {self.active: decisions[self.active]},
            observation=observation,
            action=action,
            accepted=outcome.accepted,
        )
        branch = self.entries[step].branch if replaying else self.branch
        if not replaying:
            self.entries.append(
                StepEntry(step, epoch, action, source, self.active, self.deterministic, outcome.accepted, branch)
            )
        self.position += 1
        record = build_record(
            step=step,
            epoch=epoch,
            branch=branch,
            bundle=self.active,
            deterministic=self.deterministic,
            source=source,
            observation=observation,
            explanation=explanation,
            decision=decisions[self.active],
            action=action,
            outcome=outcome,
            notes=self.notes_at(epoch),
            governor_override=override_active,
            others={n: d.chosen for n, d in decisions.items() if n != self.active} if self.record_others else {},
        )
        self._cache(record)
        self._cursor = _Cursor()
        # Checkpoints stay sorted and cover every multiple up to the furthest step this branch reached (``_fork``
        # drops the later ones), so only the last one needs comparing; a scan of all of them is quadratic.
        if self.position % self.checkpoint_every == 0 and self._checkpoints[-1].step < self.position:
            self._checkpoints.append(Checkpoint(self.position, self.sim.snapshot(), self.runner.get_state()))
        return record

    def _restore(self, checkpoint: Checkpoint) -> None:
        self.sim.restore(checkpoint.sim)
        self.runner.set_state(checkpoint.runner)
        self.position = checkpoint.step
        self._cursor = _Cursor()

    def _cache(self, record: DecisionRecord) -> None:
        if not self.keep_records:
            return
        key = (record.branch, record.step)
        self._records[key] = record
        self._records.move_to_end(key)
        while len(self._records) > RECORD_CACHE_SIZE:
            self._records.popitem(last=False)


class SessionFinished(RuntimeError):
    """The episode is over; there is no next step."""
