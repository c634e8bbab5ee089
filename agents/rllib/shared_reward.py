"""A model reward scored by shared Ray actors that batch frames across env runners.

Without it, each env runner loads its own copy of the reward model and scores its own envs'
frames. With ``agent.shared_reward.enabled=true``, ``agent.shared_reward.actors`` actors (e.g.
one per GPU, ``num_gpus: 1``) each hold one scorer; runner ``k`` sends its frames to actor
``k % actors``, where ``k`` is a number of the runner's process (its pid modulo 997: RLlib hands
the env creator no runner index). An actor queues the calls that arrive while it is busy (or within ``wait_ms``)
and scores them in one model call of up to ``max_batch`` inputs, so frames from several
runners share a batch. What stays in each runner is the :class:`RewardBatcher` (the per-env
``hold``/``zero`` fill state), so rewards are the same as local scoring.

Example (needs a running Ray)::

    actors = start_scorers(reward, env_attrs, n=1, num_gpus=0)
    batcher = RewardBatcher(RemoteScorer(actors[0]))      # in a runner
"""
from __future__ import annotations

import asyncio
from typing import Any, Mapping, Sequence

import numpy as np

ACTOR_PREFIX = "rewardgym_reward_scorer"


class ScorerService:
    """The actor's body: one scorer, calls queued and scored together (see the module doc)."""

    def __init__(self, reward: Any, env_attrs: Mapping[str, Any], max_batch: int = 256, wait_ms: float = 2.0,
                 torch_threads: int | None = None):
        if torch_threads:
            import torch

            torch.set_num_threads(int(torch_threads))

        def env_attr(name: str) -> Any:
            if name not in env_attrs:
                raise AttributeError(name)
            return env_attrs[name]

        self.scorer = reward.make_scorer(env_attr)
        self.max_batch, self.wait_s = int(max_batch), float(wait_ms) / 1000.0
        self._queue: list[tuple[list, asyncio.Future]] = []
        self._timer: asyncio.TimerHandle | None = None
        self.batch_sizes: list[int] = []
        self.calls_merged: list[int] = []

    async def score(self, inputs: list) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.append((list(inputs), future))
        if sum(len(q[0]) for q in self._queue) >= self.max_batch:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self.wait_s, self._flush)
        return await future

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        queue, self._queue = self._queue, []
        if not queue:
            return
        inputs = [x for q in queue for x in q[0]]
        try:
            rewards, terms = self.scorer(inputs)
        except Exception as err:  # every waiting runner gets the scorer's error
            for _, future in queue:
                future.set_exception(err)
            return
        rewards = np.asarray(rewards, dtype=np.float64).reshape(-1)
        terms = {k: np.asarray(v, dtype=np.float64).reshape(-1) for k, v in terms.items()}
        self.batch_sizes.append(len(inputs))
        self.calls_merged.append(len(queue))
        start = 0
        for items, future in queue:
            stop = start + len(items)
            future.set_result((rewards[start:stop], {k: v[start:stop] for k, v in terms.items()}))
            start = stop

    def set_batching(self, max_batch: int, wait_ms: float) -> None:
        """Changes ``max_batch`` and ``wait_ms`` of a running actor (the next call on)."""
        if int(max_batch) < 1 or float(wait_ms) < 0:
            raise ValueError(f"max_batch must be >= 1 and wait_ms >= 0, got {max_batch}, {wait_ms}")
        self.max_batch, self.wait_s = int(max_batch), float(wait_ms) / 1000.0

    def stats(self) -> dict[str, Any]:
        """Batch sizes the scorer saw: count, mean, max, and how many runner calls a batch merged."""
        sizes = np.asarray(self.batch_sizes or [0])
        merged = np.asarray(self.calls_merged or [0])
        return {"scorer_calls": len(self.batch_sizes), "inputs": int(sizes.sum()),
                "batch_mean": float(sizes.mean()), "batch_max": int(sizes.max()),
                "batch_p50": float(np.percentile(sizes, 50)), "runner_calls_per_batch_mean": float(merged.mean()),
                "last_batch": int(sizes[-1]), "last_batch_runner_calls": int(merged[-1])}


class RemoteScorer:
    """A :class:`~rewardgym.reward_wrappers.batched.Scorer` that asks a named scorer actor.

    Picklable (it holds the actors' names), so it travels to env runners inside the env creator;
    :meth:`for_runner` picks runner ``k``'s actor, ``names[k % len(names)]``.
    """

    def __init__(self, names: Sequence[str], namespace: str, timeout_s: float = 600.0, index: int = 0):
        if not names:
            raise ValueError("RemoteScorer needs at least one actor name")
        self.names, self.namespace, self.timeout_s, self.index = list(names), namespace, float(timeout_s), int(index)
        self._actor = None

    def for_runner(self, k: int) -> "RemoteScorer":
        return RemoteScorer(self.names, self.namespace, self.timeout_s, k)

    @property
    def name(self) -> str:
        return self.names[self.index % len(self.names)]

    def __call__(self, inputs: list) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        import ray

        if self._actor is None:
            self._actor = ray.get_actor(self.name, namespace=self.namespace)
        return ray.get(self._actor.score.remote(list(inputs)), timeout=self.timeout_s)

    def __getstate__(self):
        return {**self.__dict__, "_actor": None}


def start_scorers(reward: Any, env_attrs: Mapping[str, Any], n: int, namespace: str, num_gpus: float = 0.0,
                  num_cpus: float = 1.0, max_batch: int = 256, wait_ms: float = 2.0,
                  torch_threads: int | None = 1) -> tuple[list, list[str]]:
    """Starts ``n`` named scorer actors; returns ``(handles, names)`` (the handles keep them alive)."""
    import uuid

    import ray

    actor_cls = ray.remote(ScorerService)
    tag = uuid.uuid4().hex[:8]
    names = [f"{ACTOR_PREFIX}_{tag}_{i}" for i in range(n)]
    handles = [actor_cls.options(name=name, namespace=namespace, num_gpus=num_gpus, num_cpus=num_cpus,
                                 max_concurrency=1000).remote(reward, dict(env_attrs), max_batch, wait_ms, torch_threads)
               for name in names]
    ray.get([h.stats.remote() for h in handles])  # constructed (the model loaded) or its error raised here
    return handles, names


def env_attrs_for(reward: Any, make_one_env) -> dict[str, Any]:
    """The env attributes the reward's scorer reads (``env_defaults``: e.g. the prompts), from one env."""
    wanted = set(getattr(reward, "env_defaults", {}).values())
    if not wanted:
        return {}
    env = make_one_env()
    try:
        out = {}
        for name in wanted:
            try:
                out[name] = env.get_wrapper_attr(name)
            except AttributeError:
                pass
        return out
    finally:
        env.close()
