"""Model rewards scored in batches across envs: the one owner of the batched-reward contract.

A model reward (CLIP) has two halves, each taking only its own arguments:

* the **per-env half**, a :class:`ModelInputWrapper`, runs inside each env (maybe in a worker
  process). Its ``step`` puts a :class:`ModelRequest` into ``info["model_request"]``: the
  model's input for *that* step (e.g. the rendered frame, made before any auto-reset can replace
  it) or None, and what a step without input gets (``fill``: hold the env's last score, or 0).
* the **scorer** runs once, where the learner is (the model is loaded there, never in env
  workers): ``scorer(inputs) -> (rewards (k,), {term: (k,)})`` for the k inputs of a batch.

:class:`BatchedReward` ties them together: one object built from one config
(``CLIPReward(alpha=0.5, reward_every=4)``) whose keyword arguments are routed to the half that
declares them. Calling it on an env adds the per-env half; :meth:`BatchedReward.batcher` builds
the :class:`RewardBatcher`, the one scoring path every engine uses: a stable-baselines3 VecEnv
(``rewardgym.agents.vec_reward``), a Gymnasium vector env
(:func:`rewardgym.reward_wrappers.vector.wrap_vector_env`), the reward-quality rollouts, and any
other runner that can collect the requests of its envs. This module imports neither
stable-baselines3 nor a model library.

Example:
    >>> import numpy as np
    >>> class StepInput(ModelInputWrapper):
    ...     def model_input(self, obs, info, done):
    ...         return float(obs[0])
    >>> def double(inputs):
    ...     out = 2.0 * np.asarray(inputs)
    ...     return out, {"double": out}
    >>> class Doubled(BatchedReward):
    ...     wrapper, scorer = StepInput, staticmethod(lambda: double)
    >>> reward = Doubled()
    >>> env = reward(gym.make("CartPole-v1"))
    >>> obs, _ = env.reset(seed=0)
    >>> obs, r, *_, info = env.step(0)
    >>> batcher = reward.batcher()
    >>> rewards, terms = batcher([pop_request(info)])
    >>> bool(rewards[0] == np.float32(2 * obs[0]))
    True
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping, Protocol, Sequence

import gymnasium as gym
import numpy as np

from .base import ENV_REWARD_KEY, write_shaped

REQUEST_KEY = "model_request"
FILLS = ("hold", "zero")


@dataclass(frozen=True)
class ModelRequest:
    """What one env asks of the scorer for one step.

    Attributes:
        input: the model's input (e.g. an HxWx3 frame), or None when this step is not scored.
        fill: the reward of a step without input: ``"hold"`` (the env's last score, 0 before
            any) or ``"zero"``.
    """

    input: Any = None
    fill: str = "hold"

    def __post_init__(self):
        if self.fill not in FILLS:
            raise ValueError(f"fill must be one of {FILLS}, got {self.fill!r}")


class Scorer(Protocol):
    """Scores a batch: ``(inputs) -> (rewards (k,), {term: (k,)})``, one entry per input."""

    def __call__(self, inputs: list[Any]) -> tuple[np.ndarray, Mapping[str, np.ndarray]]: ...


class ModelInputWrapper(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Per-env half of a batched reward: each ``step`` leaves a :class:`ModelRequest` in ``info``.

    The step's reward is the env's own as a placeholder (kept in ``info["env_reward"]`` too); the
    vector half replaces it. Subclasses implement :meth:`model_input` and may set ``fill``.
    """

    fill: str = "hold"

    def __init__(self, env: gym.Env, **constructor_args: Any):
        gym.utils.RecordConstructorArgs.__init__(self, **constructor_args)
        gym.Wrapper.__init__(self, env)

    def model_input(self, obs: Any, info: dict, done: bool) -> Any:
        """What the scorer needs for this step (e.g. the rendered frame), or None to skip it."""
        raise NotImplementedError

    def step(self, action):
        obs, env_reward, terminated, truncated, info = self.env.step(action)
        info = dict(info)
        info[ENV_REWARD_KEY] = float(env_reward)
        info[REQUEST_KEY] = ModelRequest(self.model_input(obs, info, bool(terminated or truncated)), self.fill)
        return obs, float(env_reward), terminated, truncated, info


def pop_request(info: dict) -> ModelRequest:
    """Takes the step's request out of one env's ``info``; a clear error when there is none."""
    request = info.pop(REQUEST_KEY, None)
    if not isinstance(request, ModelRequest):
        raise RuntimeError(f"an env returned no info[{REQUEST_KEY!r}]: wrap each env with the batched reward "
                           "(reward(env)) before building the vector env")
    return request


class RewardBatcher:
    """Scores the requests of N envs in one scorer call per batch: the one scoring path.

    Call it with one entry per env: a :class:`ModelRequest`, or None for an env that did not
    step (it gets reward 0 and no terms). Returns ``(rewards (N,) float32, {term: (N,)})``.
    ``batch_size`` splits a large call into several scorer calls; ``calls`` counts them.
    """

    def __init__(self, scorer: Scorer, batch_size: int | None = None):
        if batch_size is not None and int(batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.scorer, self.batch_size = scorer, batch_size
        self.calls = 0
        self._held: dict[int, tuple[float, dict[str, float]]] = {}

    def score(self, inputs: list[Any]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The scorer on ``inputs`` (in chunks of ``batch_size``), checked and concatenated."""
        step = self.batch_size or max(len(inputs), 1)
        parts: list[tuple[np.ndarray, dict[str, np.ndarray]]] = []
        for start in range(0, len(inputs), step):
            chunk = inputs[start:start + step]
            rewards, terms = self.scorer(chunk)
            self.calls += 1
            rewards = np.asarray(rewards, dtype=np.float64).reshape(-1)
            if rewards.shape[0] != len(chunk):
                raise ValueError(f"the scorer returned {rewards.shape[0]} rewards for {len(chunk)} inputs")
            parts.append((rewards, {k: np.asarray(v, dtype=np.float64).reshape(len(chunk)) for k, v in terms.items()}))
        if not parts:
            return np.zeros(0), {}
        names = parts[0][1].keys()
        return np.concatenate([p[0] for p in parts]), {k: np.concatenate([p[1][k] for p in parts]) for k in names}

    def __call__(self, requests: Sequence[ModelRequest | None]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """One vector step: ``(rewards (N,), {term: (N,)})``."""
        rewards, terms = self.rollout([requests])
        return rewards[0], {name: v[0] for name, v in terms.items()}

    def rollout(self, steps: Sequence[Sequence[ModelRequest | None]]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Many vector steps at once (``steps[t][i]``: env i's request at step t), every input
        scored in the fewest scorer calls; the same rewards as calling the batcher step by step.
        Returns ``(rewards (T, N) float32, {term: (T, N)})``."""
        n_steps, n = len(steps), max((len(r) for r in steps), default=0)
        inputs = [r.input for reqs in steps for r in reqs if r is not None and r.input is not None]
        values, value_terms = self.score(inputs)
        rewards = np.zeros((n_steps, n), dtype=np.float64)
        terms = {name: np.zeros((n_steps, n), dtype=np.float64) for name in value_terms}
        k = 0
        for t, requests in enumerate(steps):
            for i, request in enumerate(requests):
                if request is None:
                    continue
                if request.input is not None:
                    self._held[i] = (float(values[k]), {name: float(v[k]) for name, v in value_terms.items()})
                    k += 1
                elif request.fill == "zero":
                    continue
                reward, held_terms = self._held.get(i, (0.0, {}))
                rewards[t, i] = reward
                for name, value in held_terms.items():
                    terms.setdefault(name, np.zeros((n_steps, n), dtype=np.float64))[t, i] = value
        return rewards.astype(np.float32), terms


def score_infos(batcher: RewardBatcher, infos: Sequence[dict | None]) -> np.ndarray:
    """The list-of-dicts form (stable-baselines3, rollouts): pops each env's request, scores them
    in one call and writes ``shaped_reward``/``shaped_<term>`` back; ``None`` = the env did not
    step. Returns the rewards (N,)."""
    requests = [None if info is None else pop_request(info) for info in infos]
    rewards, terms = batcher(requests)
    for i, info in enumerate(infos):
        if info is not None:
            write_shaped(info, rewards[i], {name: v[i] for name, v in terms.items()})
    return rewards


class BatchedReward:
    """A model reward built from one config; each keyword argument goes to the half declaring it.

    Subclasses set ``wrapper`` (a :class:`ModelInputWrapper` subclass) and ``scorer`` (a
    callable, usually a class, returning a :class:`Scorer`); an argument named by both, or by
    neither, is an error naming it. ``env_defaults`` maps scorer arguments to attributes of the
    env (``get_wrapper_attr``) read when the argument is None (task facts such as prompts live on the env).

    Calling the object on an env adds the per-env half; :meth:`batcher` builds the scorer.
    """

    wrapper: ClassVar[type[ModelInputWrapper]]
    scorer: ClassVar[Callable[..., Scorer]]
    env_defaults: ClassVar[Mapping[str, str]] = {}
    needs_frames: ClassVar[bool] = False

    def __init__(self, **kwargs: Any):
        own = {"wrapper": _arg_names(self.wrapper, skip_first=True), "scorer": _arg_names(type(self).scorer)}
        both = own["wrapper"] & own["scorer"]
        if both:
            raise TypeError(f"{type(self).__name__}: arguments {sorted(both)} are declared by both halves")
        unknown = set(kwargs) - own["wrapper"] - own["scorer"]
        if unknown:
            valid = sorted(own["wrapper"] | own["scorer"])
            raise TypeError(f"{type(self).__name__} got unknown arguments {sorted(unknown)}; valid: {valid}")
        self.wrapper_kwargs = {k: v for k, v in kwargs.items() if k in own["wrapper"]}
        self.scorer_kwargs = {k: v for k, v in kwargs.items() if k in own["scorer"]}

    def __call__(self, env: gym.Env) -> gym.Env:
        return self.wrapper(env, **self.wrapper_kwargs)

    def make_scorer(self, env_attr: Callable[[str], Any] | None = None) -> Scorer:
        """The scorer; ``env_attr(name)`` reads an attribute of one env for ``env_defaults``."""
        kwargs = dict(self.scorer_kwargs)
        params = inspect.signature(type(self).scorer).parameters
        for arg, attr in self.env_defaults.items():
            if kwargs.get(arg) is not None:
                continue
            try:
                if env_attr is None:
                    raise AttributeError(attr)
                kwargs[arg] = env_attr(attr)
            except AttributeError:
                if params[arg].default is inspect.Parameter.empty:
                    where = "the env has no attribute" if env_attr else "no env is at hand to read"
                    raise ValueError(f"{type(self).__name__}: {arg} is not set and {where} {attr!r}: "
                                     f"give it in the reward config (reward.{arg}=...)") from None
                kwargs.pop(arg, None)  # the scorer's own default
        return type(self).scorer(**kwargs)

    def batcher(self, env_attr: Callable[[str], Any] | None = None, batch_size: int | None = None) -> RewardBatcher:
        return RewardBatcher(self.make_scorer(env_attr), batch_size)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in {**self.wrapper_kwargs, **self.scorer_kwargs}.items())
        return f"{type(self).__name__}({args})"


def _arg_names(fn: Callable, skip_first: bool = False) -> set[str]:
    params = list(inspect.signature(fn).parameters.values())[1 if skip_first else 0:]
    return {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def env_attr_of(env: gym.Env) -> Callable[[str], Any]:
    """``env_attr`` for :meth:`BatchedReward.make_scorer` reading from one local env (its wrappers
    first, then the unwrapped env, as vector envs' ``get_attr`` does)."""
    return env.get_wrapper_attr


def as_reward(factory: Any) -> Any:
    """A reward config's product, ready to call on an env: None (ground truth), a
    :class:`BatchedReward`, or any callable ``env -> env``. A Hydra partial of a BatchedReward
    subclass (``_partial_: true``) is completed here, so both spellings of a config work."""
    func = getattr(factory, "func", None)
    if isinstance(func, type) and issubclass(func, BatchedReward) and not getattr(factory, "args", ()):
        return func(**factory.keywords)
    return factory


def needs_frames(factory: Any) -> bool:
    """Whether a reward looks at rendered frames (its class, or a partial's class, says
    ``needs_frames = True``): the env is then made with ``render_mode="rgb_array"``."""
    return bool(getattr(getattr(factory, "func", factory), "needs_frames", False))
