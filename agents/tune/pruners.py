"""A pruner that judges where a trial is now, not the best it ever was.

Optuna's ``MedianPruner`` stops a trial when its *best* intermediate value so far is below the
median of the other trials' values at the same step. That fits curves that rise. A trial that
starts high and decays (PPO fine-tuned from a behaviour clone starts near the clone's success and
often loses it) keeps its early best and is never stopped: on the stack task with two seeds per
trial the median pruner stopped none of 10 trials (docs/tuning.md).

:class:`LatestMedianPruner` compares the trial's *latest* reported value with the median of the
complete trials' values reported at the same step. With ``tune.pruner=window`` the value a trial
reports is the mean of its last ``tune.window`` evaluations (ten-episode evaluations are noisy)
and, from its second seed on, the mean of that and its earlier seeds' final values: the trial's
objective as it stands (:class:`rewardgym.agents.tune.trial.PrunerReport`).
"""
from __future__ import annotations

import math
import statistics

import optuna
from optuna.pruners import BasePruner
from optuna.trial import TrialState


class LatestMedianPruner(BasePruner):
    """Prunes when the latest value is below the median of the complete trials' values at the
    same step (a study that maximises), once ``n_startup_trials`` trials are complete and the step is
    at least ``n_warmup_steps``. A NaN value is pruned; a step no complete trial reported is not
    judged."""

    def __init__(self, n_startup_trials: int = 5, n_warmup_steps: int = 0):
        if n_startup_trials < 0 or n_warmup_steps < 0:
            raise ValueError(f"n_startup_trials and n_warmup_steps must be >= 0, got {n_startup_trials}, "
                             f"{n_warmup_steps}")
        self.n_startup_trials, self.n_warmup_steps = int(n_startup_trials), int(n_warmup_steps)

    def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        step = trial.last_step
        if step is None or step < self.n_warmup_steps:
            return False
        value = trial.intermediate_values[step]
        if math.isnan(value):
            return True
        complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if len(complete) < self.n_startup_trials:
            return False
        others = [t.intermediate_values[step] for t in complete
                  if step in t.intermediate_values and not math.isnan(t.intermediate_values[step])]
        if not others:
            return False
        if study.direction == optuna.study.StudyDirection.MINIMIZE:
            return value > statistics.median(others)
        return value < statistics.median(others)
