"""Facts of the Gymnasium classic-control tasks rewardgym trains on, which Gymnasium's envs do
not carry: their VLM-RM prompts (as in the paper) and when an episode counts as a success.

:class:`ClassicTask` puts them on the env stack (the training app adds it for every id in
:data:`TASKS`), so a reward reads ``env.get_wrapper_attr("goal_prompts")`` as it reads a
rewardgym env's, and ``info["success"]`` is always there.

Example:
    >>> env = ClassicTask(gym.make("CartPole-v1", max_episode_steps=3))
    >>> env.get_wrapper_attr("goal_prompts")
    ('pole vertically upright on top of a cart',)
    >>> _ = env.reset(seed=0)
    >>> [env.step(i % 2)[-1]["success"] for i in range(3)]
    [False, False, True]
"""
from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym

SUCCESS_RULES = ("terminated", "survived")


@dataclass(frozen=True)
class ClassicFacts:
    """One task's facts.

    Attributes:
        goal_prompts, baseline_prompts: VLM-RM sentences for the goal and the bare scene.
        success: ``"terminated"`` (the episode ended by reaching its goal: MountainCar) or
            ``"survived"`` (the time limit ended it and the env never failed: CartPole).
    """

    goal_prompts: tuple[str, ...]
    baseline_prompts: tuple[str, ...]
    success: str


TASKS: dict[str, ClassicFacts] = {
    "CartPole-v1": ClassicFacts(("pole vertically upright on top of a cart",), ("pole and cart",), "survived"),
    "MountainCar-v0": ClassicFacts(("a car at the peak of the mountain, next to the yellow flag",),
                                   ("a car in the mountain",), "terminated"),
}


class ClassicTask(gym.Wrapper):
    """Adds a classic-control task's facts as attributes and ``info["success"]`` to every step.

    Args:
        env: a Gymnasium env whose id is in :data:`TASKS`, or any env with ``success`` given.
        success: overrides the table's rule (one of ``SUCCESS_RULES``).
    """

    def __init__(self, env: gym.Env, success: str | None = None):
        env_id = env.spec.id if env.spec is not None else None
        facts = TASKS.get(env_id)
        rule = success or (facts.success if facts else None)
        if rule not in SUCCESS_RULES:
            raise ValueError(f"success must be one of {SUCCESS_RULES} for {env_id!r}, got {rule!r}")
        super().__init__(env)
        self.success_rule = rule
        if facts is not None:
            self.goal_prompts, self.baseline_prompts = facts.goal_prompts, facts.baseline_prompts

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        if "success" not in info:
            info = dict(info)
            ended = bool(terminated) if self.success_rule == "terminated" else bool(truncated and not terminated)
            info["success"] = ended
        return obs, reward, terminated, truncated, info
