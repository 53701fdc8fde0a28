"""Behaviour cloning: train the LSTM policy to choose, head by head, what the heuristic chooses.

The data is ``rollouts.collect_episodes`` over the lesson scenarios (as written, plus varied seeds). Each
episode is one sequence: the LSTM runs over it from a zero hidden state, as it does in a session, and the
loss is the negative log-likelihood of the heuristic's option on every head at every step, under the
step's masks (``evaluate_actions``: the same ``MaskedCategorical`` masking as at decision time, the style
head with its op-conditioned override). Episodes are padded to a batch's longest; padded steps have
weight 0 and, the LSTM being causal, cannot touch the real ones.

The raw features span very different scales (epochs, accuracies in points, parameter counts), so the
trainer standardizes them (``FeatureScaler``) and, once trained, folds that affine map into the first
Linear layer: the saved network takes raw features like any other checkpoint of this format.

Reproducible: fixed seeds for initialization and shuffling, a fixed thread count and deterministic
algorithms, so the same config on the same machine kind gives the same weights.
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tamiyo_tui import __version__
from tamiyo_tui.domain.actions import HEAD_NAMES
from tamiyo_tui.domain.constants import DEFAULT_LSTM_HIDDEN_DIM
from tamiyo_tui.errors import InputError
from tamiyo_tui.policy.checkpoint import Primitive, save_checkpoint
from tamiyo_tui.policy.lstm_bundle import LSTMPolicyBundle
from tamiyo_tui.sim.loader import load_scenario
from tamiyo_tui.training.rollouts import TRAINING_SLOT_CONFIG, Episode, collect_episodes

LESSON_GLOB = "scenarios/*.yaml"
# A feature whose spread over the training data is below this is constant there: the network ignores it.
CONSTANT_FEATURE_STD = 1e-6
EXIT_OK = 0


@dataclass(frozen=True)
class BCConfig:
    """Everything that determines a behaviour-cloning run (stored in the checkpoint as JSON)."""

    scenarios: tuple[str, ...]
    train_seeds: tuple[int, int] = (0, 40)  # variation seeds [start, stop) per scenario
    include_as_written: bool = True  # each scenario once more, unvaried
    epochs: int = 20
    batch_size: int = 64  # episodes per gradient step
    learning_rate: float = 3e-3  # Adam, annealed to 0 along a cosine over the epochs
    max_grad_norm: float = 1.0
    seed: int = 0  # initialization and shuffling
    threads: int = 2
    hidden_dim: int = DEFAULT_LSTM_HIDDEN_DIM

    @classmethod
    def quick(cls, scenarios: tuple[str, ...], seed: int = 0) -> BCConfig:
        """A seconds-long run for tests and smoke checks: two scenarios, three seeds, two epochs."""
        return cls(scenarios=scenarios[:2], train_seeds=(0, 3), include_as_written=False, epochs=2, seed=seed)

    def seeds(self) -> list[int | None]:
        as_written: list[int | None] = [None] if self.include_as_written else []
        return as_written + list(range(*self.train_seeds))

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)


@dataclass(frozen=True)
class TrainingData:
    """Episodes padded into one batch: N episodes × T steps (T = the longest episode)."""

    features: torch.Tensor  # [N, T, D] float32
    masks: dict[str, torch.Tensor]  # head -> [N, T, A] bool; padded steps allow everything
    actions: dict[str, torch.Tensor]  # head -> [N, T] long; padded steps hold 0
    valid: torch.Tensor  # [N, T] bool: a real step
    scripted_steps: int

    @classmethod
    def from_episodes(cls, episodes: list[Episode]) -> TrainingData:
        if not episodes:
            raise ValueError("no episodes to train on")
        sizes = sorted({episode.features.shape[1] for episode in episodes}, reverse=True)
        if len(sizes) > 1:
            raise ValueError(f"episodes of different slot layouts (feature sizes {' and '.join(map(str, sizes))})")
        count, length = len(episodes), max(episode.steps for episode in episodes)
        features = torch.zeros(count, length, episodes[0].features.shape[1])
        masks = {
            head: torch.ones(count, length, mask.shape[1], dtype=torch.bool) for head, mask in episodes[0].masks.items()
        }
        actions = {head: torch.zeros(count, length, dtype=torch.long) for head in HEAD_NAMES}
        valid = torch.zeros(count, length, dtype=torch.bool)
        for row, episode in enumerate(episodes):
            steps = episode.steps
            features[row, :steps] = episode.features
            for head in HEAD_NAMES:
                masks[head][row, :steps] = episode.masks[head]
                actions[head][row, :steps] = episode.actions[head]
            valid[row, :steps] = True
        scripted = sum(int(episode.scripted.sum()) for episode in episodes)
        return cls(features, masks, actions, valid, scripted)

    @property
    def steps(self) -> int:
        return int(self.valid.sum())

    def sha256(self) -> str:
        """Hex SHA-256 over every training tensor's bytes, in a fixed order (heads in canonical order)."""
        digest = hashlib.sha256()
        tensors = [
            self.features,
            self.valid,
            *(self.masks[h] for h in HEAD_NAMES),
            *(self.actions[h] for h in HEAD_NAMES),
        ]
        for tensor in tensors:
            digest.update(str((tuple(tensor.shape), str(tensor.dtype))).encode())
            digest.update(tensor.contiguous().numpy().tobytes())
        return digest.hexdigest()


@dataclass(frozen=True)
class FeatureScaler:
    """``(x − mean) · scale`` per feature: standardization, with scale 0 for features constant in the data."""

    mean: torch.Tensor  # [D]
    scale: torch.Tensor  # [D]

    @classmethod
    def fit(cls, features: torch.Tensor, valid: torch.Tensor) -> FeatureScaler:
        rows = features[valid].double()
        mean, std = rows.mean(dim=0), rows.std(dim=0)
        scale = torch.where(std > CONSTANT_FEATURE_STD, 1.0 / std.clamp(min=CONSTANT_FEATURE_STD), 0.0)
        return cls(mean.float(), scale.float())

    def __call__(self, features: torch.Tensor) -> torch.Tensor:
        return (features - self.mean) * self.scale

    @torch.no_grad()
    def fold_into(self, bundle: LSTMPolicyBundle) -> None:
        """Make the first Linear take raw features: W·((x − m)·s) + b = (W·diag(s))·x + (b − W·diag(s)·m)."""
        linear = bundle.network.feature_net[0]
        weight = linear.weight.double() * self.scale.double()
        linear.bias.copy_((linear.bias.double() - weight @ self.mean.double()).float())
        linear.weight.copy_(weight.float())


@dataclass(frozen=True)
class BCResult:
    bundle: LSTMPolicyBundle  # trained, normalization folded in
    losses: tuple[float, ...]  # mean negative log-likelihood per training step (all heads summed), per epoch
    data_sha256: str
    metadata: dict[str, Primitive]


def train_bc(config: BCConfig, out: str | Path | None = None, console: Console | None = None) -> BCResult:
    """Collect the heuristic's episodes, train the LSTM on them and (when ``out`` is given) save it.

    ``console``: where the progress display goes (None: silent).
    """
    with _deterministic_torch(config.threads), _Display(console) as display:
        scenarios = [load_scenario(path) for path in config.scenarios]
        seeds = config.seeds()
        advance = display.task("heuristic rollouts", len(scenarios) * len(seeds))
        episodes = collect_episodes(scenarios, seeds, TRAINING_SLOT_CONFIG, on_episode=lambda _: advance(""))
        data = TrainingData.from_episodes(episodes)
        data_sha256 = data.sha256()
        scaler = FeatureScaler.fit(data.features, data.valid)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            bundle = LSTMPolicyBundle(slot_config=TRAINING_SLOT_CONFIG, hidden_dim=config.hidden_dim)
        advance = display.task("behaviour cloning", config.epochs)
        losses = _fit(bundle, data, scaler, config, on_epoch=lambda loss: advance(f"loss {loss:.4f}"))
    scaler.fold_into(bundle)
    metadata: dict[str, Primitive] = {
        "trainer": "tamiyo_tui.training.bc",
        "tool_version": __version__,
        "torch_version": str(torch.__version__),
        "training_config": config.to_json(),
        "data_sha256": data_sha256,
        "seed": config.seed,
        "epochs": config.epochs,
        "final_loss": losses[-1],
        "initial_loss": losses[0],
        "train_episodes": len(episodes),
        "train_steps": data.steps,
        "scripted_steps": data.scripted_steps,
        "feature_normalization": "standardized in training, folded into feature_net.0",
    }
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        save_checkpoint(out, bundle, metadata)
    return BCResult(bundle, tuple(losses), data_sha256, metadata)


def _fit(
    bundle: LSTMPolicyBundle,
    data: TrainingData,
    scaler: FeatureScaler,
    config: BCConfig,
    on_epoch: Callable[[float], None],
) -> list[float]:
    network = bundle.network
    optimizer = torch.optim.Adam(network.parameters(), lr=config.learning_rate)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
    shuffle = torch.Generator().manual_seed(config.seed)
    features = scaler(data.features)
    count = features.shape[0]
    losses = []
    for _ in range(config.epochs):
        total, steps = 0.0, 0
        order = torch.randperm(count, generator=shuffle)
        for start in range(0, count, config.batch_size):
            rows = order[start : start + config.batch_size]
            weight = data.valid[rows]
            length = int(weight.sum(dim=1).max())  # episodes start at step 0, so this trims only padding
            weight = weight[:, :length].float()
            result = bundle.evaluate_actions(
                features[rows, :length],
                {head: data.actions[head][rows, :length] for head in HEAD_NAMES},
                {head: data.masks[head][rows, :length] for head in HEAD_NAMES},
            )
            nll = -sum(result.log_prob[head] for head in HEAD_NAMES)
            loss = (nll * weight).sum() / weight.sum()
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(network.parameters(), config.max_grad_norm)
            optimizer.step()
            total += float(loss.detach()) * float(weight.sum())
            steps += int(weight.sum())
        schedule.step()
        losses.append(total / steps)
        on_epoch(losses[-1])
    return losses


@contextmanager
def _deterministic_torch(threads: int) -> Iterator[None]:
    """Fixed thread count and deterministic kernels for the run; the process's settings are restored after."""
    previous_threads = torch.get_num_threads()
    previous_deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous_deterministic)
        torch.set_num_threads(previous_threads)


class _Display:
    """A Rich progress display with one bar per phase; does nothing without a console."""

    def __init__(self, console: Console | None) -> None:
        self._progress = (
            None
            if console is None
            else Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[status]}"),
                console=console,
            )
        )

    def __enter__(self) -> _Display:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def task(self, description: str, total: int) -> Callable[[str], None]:
        """Add a bar; the returned function advances it by one and sets its status text."""
        progress = self._progress
        if progress is None:
            return lambda status: None
        task = progress.add_task(description, total=total, status="")
        return lambda status: progress.update(task, advance=1, status=status)


# --- command line ------------------------------------------------------------------------------------


def train_bc_command(args: argparse.Namespace) -> int:
    paths = tuple(args.scenarios) or tuple(sorted(glob.glob(LESSON_GLOB)))
    if not paths:
        raise InputError(f"no scenarios given and none found at {LESSON_GLOB}")
    config = BCConfig.quick(paths, seed=args.seed) if args.quick else BCConfig(scenarios=paths, seed=args.seed)
    if args.epochs is not None:
        config = dataclasses.replace(config, epochs=args.epochs)
    console = Console(stderr=True)
    result = train_bc(config, args.out, console)
    size_kb = Path(args.out).stat().st_size / 1024
    Console().print(
        f"wrote [bold]{args.out}[/] ({size_kb:.0f} KiB): {result.metadata['train_episodes']} episodes, "
        f"{result.metadata['train_steps']} steps, loss {result.losses[0]:.4f} → {result.losses[-1]:.4f}, "
        f"data sha256 {result.data_sha256[:16]}…"
    )
    return EXIT_OK
