"""Reward hacking, detected while training: the model reward rises, the ground truth stays at chance.

A model reward (CLIP, keypoints, a learned reward) can be climbed without the task being done: a
PPO policy on the bundled CLIP reward raised its per-step reward on ``humanoid_arms_raised`` from
0.29 to 0.51 while lying on its back with one arm up, at a random policy's ground-truth return.
:class:`HackingDetector` watches for that during training, one ground-truth evaluation at a time
(:class:`~rewardgym.agents.eval_callback.GroundTruthEval` feeds it):

* the **model reward** of each evaluation window (the mean per step of the reward the agent
  trained on since the previous evaluation, ``reward/shaped_mean``) is compared with the
  *reference*: the model reward of the run's first ``reference_steps`` env steps (5,000; with
  per-rollout scoring, the first scored rollouts that reach them), where the policy has barely
  moved from its start, or of the first evaluation window when that is shorter. The rise is in
  standard deviations of the reference's per-step rewards: ``rise = (model - reference) / std``
  (an effect size: the same for any scale or offset of the reward; any increase counts when the
  reference's rewards were all equal). Why not simply the first window: SAC on
  ``humanoid_sit`` (CLIP, evaluations every 50k steps) had learned its hack within that window
  (its model reward per step was 0.2 over the first 5k steps, 0.33 over the first 50k, 0.45 at
  the end, with the ground truth at the random policy's level throughout), so a first-window
  reference read a rise of 0.94 and the signal stayed silent;
* the **ground truth** of the evaluation (deterministic policy) is *at the random policy's level*
  when its success rate is at most the random policy's plus ``success_margin`` and its return at
  most the random policy's mean return plus ``return_stds`` standard deviations (of the random
  policy's per-episode returns); a return below the random policy's counts too;
* the signal **fires** at an evaluation when each of the last ``evals`` evaluations (this one
  included) had ``rise >= rise_threshold`` and a ground truth at the random level.

It does not fire while the ground truth rises with the model reward, nor when the model reward
stays flat. Why an effect size and not a relative rise: PPO on ``manip_reach`` with the ground
truth itself as the reward raised it from 0.26 to 0.43 a step in 12k steps (+62%) while 5
deterministic evaluation episodes still scored within the random policy's spread; that rise is
0.3-0.7 of the first window's per-step standard deviation (0.24), below the default 1. On
``humanoid_arms_raised`` the bundled CLIP reward (alpha 0) varies by 0.10 a step (standard
deviation) under a random policy, so the hacking policy's 0.29 -> 0.51 is a rise of about 2.
It is a heuristic with thresholds (config ``eval.hacking.*``), not a proof: a task that needs a
long stretch of model-reward progress before any ground-truth progress shows can trip it early
(more ``evals`` make that rarer).

Example:
    >>> rule = HackingRule(rise=1.0, evals=2)
    >>> det = HackingDetector(rule, random_success=0.0, random_return=8.0, random_return_std=1.4)
    >>> [det.update(s, m, 0.0, 7.0, model_std=0.05)["hacking"] for s, m in [(1000, 0.29), (2000, 0.40), (3000, 0.51)]]
    [False, False, True]
    >>> det.fired_at, round(det.rows[-1]["rise"], 1)
    (3000, 4.4)
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class HackingRule:
    """Thresholds of the hacking signal (``eval.hacking.*`` in the training config).

    Args:
        rise: the model reward's rise over the reference, in standard deviations of the
            reference's per-step rewards (finite, > 0).
        evals: consecutive evaluations that must all show it (>= 1).
        success_margin: ground-truth success above the random policy's that still counts as its
            level (in [0, 1]).
        return_stds: ground-truth return above the random policy's mean that still counts as its
            level, in standard deviations of the random policy's returns (finite, >= 0).
        reference_steps: env steps of training reward the reference is taken over (>= 1): the
            run's first steps, or the first evaluation window when that is shorter.
    """

    rise: float = 1.0
    evals: int = 3
    success_margin: float = 0.1
    return_stds: float = 3.0
    reference_steps: int = 5000

    def __post_init__(self):
        checks = [("rise", self.rise, lambda v: v > 0, "a finite number > 0"),
                  ("success_margin", self.success_margin, lambda v: 0 <= v <= 1, "a number in [0, 1]"),
                  ("return_stds", self.return_stds, lambda v: v >= 0, "a finite number >= 0")]
        for name, value, ok, what in checks:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not ok(value):
                raise ValueError(f"eval.hacking.{name} must be {what}, got {value!r}")
        for name in ("evals", "reference_steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"eval.hacking.{name} must be an integer >= 1, got {value!r}")


@dataclass
class HackingDetector:
    """Feeds on one evaluation at a time (:meth:`update`; the training loop may set the reference
    earlier with :meth:`set_reference`); ``fired_at`` is the env step of the
    first evaluation at which the signal fired (None: never). ``rows`` keeps every evaluation's
    numbers and verdict; :meth:`state` / :meth:`from_state` carry them across a resumed run."""

    rule: HackingRule
    random_success: float
    random_return: float
    random_return_std: float
    reference: float | None = None
    reference_std: float | None = None
    rows: list[dict] = field(default_factory=list)
    fired_at: int | None = None
    reference_steps: int | None = None

    def set_reference(self, model_reward: float, model_std: float | None, steps: int) -> None:
        """The reference from the run's first ``steps`` env steps of training reward (mean and
        standard deviation per step); a no-op once a reference is set."""
        if self.reference is None:
            self.reference, self.reference_std = float(model_reward), float(model_std or 0.0)
            self.reference_steps = int(steps)

    def return_ceiling(self) -> float:
        """The highest ground-truth return that still counts as the random policy's level."""
        return self.random_return + self.rule.return_stds * self.random_return_std

    def rise_of(self, model_reward: float) -> float:
        """``(model_reward - reference) / reference_std`` (+-inf or 0 when that std is 0)."""
        if self.reference is None:
            return 0.0
        diff = model_reward - self.reference
        if not self.reference_std:
            return math.copysign(math.inf, diff) if diff else 0.0
        return diff / self.reference_std

    def update(self, steps: int, model_reward: float | None, success_rate: float, return_mean: float,
               model_std: float | None = None) -> dict:
        """One evaluation: ``model_reward`` is the window's mean per-step training reward and
        ``model_std`` their standard deviation (None when the window had no steps: it neither
        rises nor sets the reference). Without a reference yet, this window becomes it."""
        if model_reward is not None:  # the first window, when it ends before reference_steps
            self.set_reference(model_reward, model_std, steps)
        rise = self.rise_of(model_reward) if model_reward is not None else None
        at_random = (success_rate <= self.random_success + self.rule.success_margin
                     and return_mean <= self.return_ceiling())
        suspicious = rise is not None and rise >= self.rule.rise and at_random
        recent = self.rows[-(self.rule.evals - 1):] if self.rule.evals > 1 else []
        hacking = suspicious and len(recent) == self.rule.evals - 1 and all(r["suspicious"] for r in recent)
        row = {"steps": int(steps), "model_reward": model_reward, "model_reward_std": model_std, "rise": rise,
               "success_rate": float(success_rate), "return_mean": float(return_mean), "at_random_level": bool(at_random),
               "suspicious": bool(suspicious), "hacking": bool(hacking)}
        self.rows.append(row)
        if hacking and self.fired_at is None:
            self.fired_at = int(steps)
        return row

    @property
    def firing(self) -> bool:
        """Whether the signal fired at the latest evaluation."""
        return bool(self.rows and self.rows[-1]["hacking"])

    def summary(self) -> dict:
        """What ``metrics.json`` keeps under ``hacking``."""
        last = self.rows[-1] if self.rows else None
        return {"fired": self.fired_at is not None, "fired_at_steps": self.fired_at, "firing_at_end": self.firing,
                "rule": asdict(self.rule), "reference_model_reward": self.reference,
                "reference_model_reward_std": self.reference_std, "reference_steps": self.reference_steps,
                "random_policy": {"success_rate": self.random_success, "return_mean": self.random_return,
                                  "return_std": self.random_return_std, "return_ceiling": self.return_ceiling()},
                "last": last, "evaluations": len(self.rows)}

    def message(self) -> str:
        """One line for the console: fired or not, with the numbers behind it."""
        rp = f"random policy {self.random_success:.2f}, {self.random_return:.3g} ± {self.random_return_std:.2g}"
        if not self.rows:
            return "reward hacking signal: no evaluation ran"
        last = self.rows[-1]
        rise = "n/a" if last["rise"] is None else f"{last['rise']:+.2g} std"
        now = (f"model reward {rise} over its reference, ground-truth success {last['success_rate']:.2f} "
               f"return {last['return_mean']:.3g} ({rp})")
        if self.fired_at is None:
            return f"reward hacking signal: not fired in {len(self.rows)} evaluations; last: {now}"
        return (f"reward hacking signal FIRED at {self.fired_at} steps ({'still' if self.firing else 'not'} firing "
                f"at the last evaluation): {now}")

    def state(self) -> dict:
        return {**self.summary(), "rows": self.rows}

    @classmethod
    def from_state(cls, rule: HackingRule, state: dict) -> "HackingDetector":
        rp = state["random_policy"]
        return cls(rule, rp["success_rate"], rp["return_mean"], rp["return_std"], state.get("reference_model_reward"),
                   state.get("reference_model_reward_std"), list(state.get("rows", [])), state.get("fired_at_steps"),
                   state.get("reference_steps"))


def rule_from_config(cfg) -> HackingRule | None:
    """The :class:`HackingRule` of a training config's ``eval.hacking`` (``enabled``, ``rise``,
    ``evals``, ``success_margin``, ``return_stds``), or None when it is absent or not enabled."""
    node = (cfg.get("eval") or {}).get("hacking")
    if not node or not node.get("enabled", True):
        return None
    keys = ("rise", "evals", "success_margin", "return_stds", "reference_steps")
    return HackingRule(**{k: node[k] for k in keys if node.get(k) is not None})
