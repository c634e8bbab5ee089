"""One trial of ``rewardgym-tune``: an ordinary ``rewardgym-train`` run folder.

A trial's config is composed from ``rewardgym-train``'s own config (``config.yaml``) with the
study's overrides and the sampled values as overrides, so ``<dir>/trials/<number>/`` holds what
``rewardgym-train <its .hydra/overrides.yaml>`` would write, and ``rewardgym-eval`` and the sweep
summary read it as any run. Its ground-truth evaluations every ``eval.every`` env steps go to the
pruner (:class:`PrunerReport`); a pruned trial stops training there and still gets its final
evaluation and outputs.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .space import Param, override
from .study import RETRY_OF, Heartbeat

# metrics.json keys a trial may be judged by (all ground truth: the env's own reward and success,
# never a model reward), and the statistic of the evaluations during training reported to the pruner
OBJECTIVES = {"eval.success_rate": "success_rate", "eval.return_mean": "return_mean",
              "train_last100.success_rate": "success_rate", "train_last100.return_mean": "return_mean"}


@dataclass
class Settings:
    """What every worker of a study needs (picklable: it travels to worker processes)."""

    study: str
    storage: str
    dir: Path
    base: list[str]                 # rewardgym-train overrides shared by every trial
    params: list[Param]
    objective: str
    n_trials: int
    pruner: str
    sampler: str
    startup_trials: int
    warmup_steps: int
    every: int
    seed: int | None
    heartbeat_s: float
    grace_s: float
    n_jobs: int = 1
    seeds: int = 1                  # runs per trial (seed, seed + 1, ...); the trial's value is their mean
    window: int = 3                 # tune.pruner=window: evaluations averaged in what a trial reports
    prune_after: int | None = None  # complete trials the median and window pruners wait for; None: startup_trials
    extra: dict = field(default_factory=dict)


def objective_value(metrics: dict, key: str) -> float | None:
    node: Any = metrics
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return None if node is None else float(node)


class PrunerReport:
    """``on_eval`` of :func:`rewardgym.agents.train.run`: reports each evaluation's ``stat`` at step
    ``offset + k * every`` (the nominal env steps, equal across trials; ``offset`` puts a trial's
    later seeds after its first, so each seed is judged against the same seed of other trials) and
    stops training when pruned.

    What is reported: the mean of the last ``window`` evaluations of this seed, averaged with
    ``earlier`` (the trial's final values on its earlier seeds): the trial's objective as it stands.
    ``window=1`` and no ``earlier`` report each evaluation as it is (the ``median`` and ``halving``
    pruners). An evaluation at ``last_step`` or later is reported but not judged: nothing is left to
    save there, and a trial pruned on its last evaluation would lose its final value."""

    def __init__(self, trial, stat: str, every: int, offset: int = 0, window: int = 1,
                 earlier: list[float] | tuple = (), last_step: int | None = None):
        self.trial, self.stat, self.every, self.offset = trial, stat, int(every), int(offset)
        self.window, self.earlier, self.last_step = int(window), [float(v) for v in earlier], last_step
        self.k, self.pruned_at, self.last, self.seen = 0, None, None, []

    def __call__(self, num_timesteps: int, stats: dict) -> bool:
        self.k += 1
        self.last = float(stats[self.stat])
        self.seen.append(self.last)
        recent = self.seen[-self.window:]
        value = (sum(recent) / len(recent) + sum(self.earlier)) / (1 + len(self.earlier))
        self.trial.report(value, self.offset + self.k * self.every)
        if self.last_step is not None and self.k * self.every >= self.last_step:
            return True
        if self.trial.should_prune():
            self.pruned_at = int(num_timesteps)
            return False
        return True


def compose_run_config(overrides: list[str]):
    """``rewardgym-train``'s config with ``overrides`` (Hydra must be initialised on
    ``rewardgym.conf``)."""
    from hydra import compose

    return compose(config_name="config", overrides=overrides)


def _write_hydra_files(run_dir: Path, cfg, overrides: list[str]) -> None:
    from omegaconf import OmegaConf

    hydra_dir = run_dir / ".hydra"
    hydra_dir.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(cfg, hydra_dir / "config.yaml")
    OmegaConf.save(OmegaConf.create(list(overrides)), hydra_dir / "overrides.yaml")


def trial_dir(settings: Settings, number: int) -> Path:
    return settings.dir / "trials" / f"{number:04d}"


def run_trial(study, storage, trial, settings: Settings) -> tuple[str, float | None]:
    """Samples, trains and tells one trial; returns ``(state name, value)``.

    Raises:
        BadInput: the sampled config cannot be run (the trial is told FAIL first).
    """
    from optuna.trial import TrialState

    from rewardgym.cli import range_problem
    from rewardgym.errors import BadInput

    from ..train import run

    values = {p.key: p.suggest(trial) for p in settings.params}
    line = settings.base + [override(p.key, values[p.key], p.new) for p in settings.params]
    trial.set_user_attr("overrides", line)
    run_dir = trial_dir(settings, trial.number)
    trial_id = storage.get_trial_id_from_study_id_trial_number(storage.get_study_id_from_name(study.study_name),
                                                               trial.number)
    t0 = time.perf_counter()
    values_per_seed, steps, run_dirs, report = [], 0, [], None
    try:
        with Heartbeat(storage, trial_id, settings.heartbeat_s):
            cfg = compose_run_config(line)
            problem = range_problem(cfg)
            if problem:
                raise BadInput(f"trial {trial.number}: {problem}")
            seed0, total = int(cfg.seed), int(cfg.agent.total_timesteps)
            for i in range(settings.seeds):
                seed_line = line if settings.seeds == 1 else line + [f"seed={seed0 + i}"]
                seed_dir = run_dir if settings.seeds == 1 else run_dir / f"seed{seed0 + i}"
                windowed = settings.pruner == "window"
                report = PrunerReport(trial, OBJECTIVES[settings.objective], settings.every, offset=i * total,
                                      window=settings.window if windowed else 1,
                                      earlier=values_per_seed if windowed else (),
                                      last_step=total if i == settings.seeds - 1 else None)
                cfg = compose_run_config(seed_line)
                _write_hydra_files(seed_dir, cfg, seed_line)
                metrics = run(cfg, seed_dir, on_eval=report)
                values_per_seed.append(objective_value(metrics, settings.objective))
                steps, run_dirs = steps + int(metrics["total_timesteps"]), run_dirs + [str(seed_dir)]
                if report.pruned_at is not None or values_per_seed[-1] is None:
                    break
    except BaseException as err:
        study.tell(trial, state=TrialState.FAIL)
        if isinstance(err, (KeyboardInterrupt, SystemExit)):  # stopped, not broken: a restart reruns it
            study.enqueue_trial(dict(trial.params), user_attrs={RETRY_OF: trial.number})
        raise
    if None in values_per_seed:
        study.tell(trial, state=TrialState.FAIL)
        raise RuntimeError(f"trial {trial.number} produced no {settings.objective!r} in "
                           f"{Path(run_dirs[-1]) / 'metrics.json'}")
    value = sum(values_per_seed) / len(values_per_seed)
    if settings.seeds > 1:
        trial.set_user_attr("values_per_seed", values_per_seed)
        trial.set_user_attr("run_dirs", run_dirs)
    trial.set_user_attr("env_steps", steps)
    trial.set_user_attr("run_dir", str(run_dir) if settings.seeds == 1 else run_dirs[0])
    if report.pruned_at is not None:
        trial.set_user_attr("final_" + settings.objective, value)
        study.tell(trial, state=TrialState.PRUNED)
        state, told = "PRUNED", report.last
    else:
        study.tell(trial, value)
        state, told = "COMPLETE", value
    record = {"study": study.study_name, "number": trial.number, "state": state, "value": told,
              settings.objective: value, "pruned_at_steps": report.pruned_at, "env_steps": steps,
              "wall_time_s": time.perf_counter() - t0, "params": values, "overrides": line, "pid": os.getpid(),
              "values_per_seed": values_per_seed, "run_dirs": run_dirs}
    (run_dir / "trial.json").write_text(json.dumps(record, indent=1, default=str))
    return state, told
