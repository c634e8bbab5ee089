"""Vectors of browser envs: several pages in one Chromium per process, processes in parallel.

The ``rewardgym/Browser-v0`` envs of one process share that process's Chromium (one context
and page each), so ``N`` envs in one process cost one browser. Stepping them is sequential
(Playwright's sync API), so on more than one core the envs are split over worker processes:
:class:`BrowserVectorEnv` runs ``num_envs`` envs as ``num_processes`` groups, each group's
pages in one Chromium of its own worker process, the groups stepped in parallel.

On these 2-core machines the default is 2 processes (``num_processes = min(num_envs, cores)``):
two processes give most of the parallel speed-up; more pages per process only add memory.

Example:
    >>> from rewardgym.envs.browser.vector import make_browser_vec_env
    >>> venv = make_browser_vec_env(4, task="click-red", obs_type="pixels")  # doctest: +SKIP
    >>> obs, infos = venv.reset(seed=0)                                      # doctest: +SKIP
    >>> obs.shape                                                            # doctest: +SKIP
    (4, 210, 160, 3)
"""
from __future__ import annotations

import multiprocessing as mp
import os
import traceback
from copy import deepcopy
from typing import Any, Sequence

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, SyncVectorEnv, VectorEnv
from gymnasium.vector.utils import batch_space, concatenate, create_empty_array

ENV_ID = "rewardgym/Browser-v0"


def default_num_processes(num_envs: int) -> int:
    """One worker process per core, never more than there are envs."""
    return max(1, min(num_envs, os.cpu_count() or 1))


def _worker(conn, env_id: str, kwargs_list: list[dict]) -> None:
    """Holds one group of envs (one Chromium); answers reset/step/close from the parent."""
    envs: list[gym.Env] = []
    try:
        envs = [gym.make(env_id, **kw) for kw in kwargs_list]
        conn.send(("ok", (envs[0].observation_space, envs[0].action_space)))
        needs_reset = [False] * len(envs)
        while True:
            cmd, data = conn.recv()
            try:
                if cmd == "reset":
                    seeds, options = data
                    out = [env.reset(seed=s, options=options) for env, s in zip(envs, seeds)]
                    needs_reset = [False] * len(envs)
                    conn.send(("ok", out))
                elif cmd == "step":
                    out = []
                    for i, (env, action) in enumerate(zip(envs, data)):
                        if needs_reset[i]:  # NEXT_STEP autoreset, as gymnasium's vector envs
                            obs, info = env.reset()
                            out.append((obs, 0.0, False, False, info))
                            needs_reset[i] = False
                        else:
                            obs, reward, terminated, truncated, info = env.step(action)
                            out.append((obs, reward, terminated, truncated, info))
                            needs_reset[i] = bool(terminated or truncated)
                    conn.send(("ok", out))
                elif cmd == "close":
                    break
                else:
                    raise ValueError(f"unknown command {cmd!r}")
            except Exception as err:  # report, keep serving (the next reset may recover)
                conn.send(("error", f"{type(err).__name__}: {err}\n{traceback.format_exc()}"))
    except Exception as err:
        try:
            conn.send(("error", f"{type(err).__name__}: {err}\n{traceback.format_exc()}"))
        except Exception:
            pass
    finally:
        for env in envs:
            try:
                env.close()
            except Exception:
                pass
        conn.close()


class BrowserVectorEnv(VectorEnv):
    """``num_envs`` browser envs in ``num_processes`` worker processes (one Chromium each).

    Env ``i`` lives in worker ``i * num_processes // num_envs``. Autoreset follows gymnasium's
    ``NEXT_STEP`` mode: the step after an episode ended resets that env (reward 0). Infos
    are batched the gymnasium way (arrays plus ``_key`` masks); an array whose shape differs
    between envs (a varying number of target boxes) is batched as an object array of the envs'
    arrays, where Gymnasium's own vector envs raise.

    Args:
        num_envs: number of envs (pages).
        num_processes: worker processes; ``None`` = :func:`default_num_processes`.
        env_id: the registered id to ``gym.make``.
        context: multiprocessing start method (``forkserver`` keeps Playwright out of forks).
        env_kwargs: per-env keyword arguments (a list of ``num_envs`` dicts), or ``None``.
        **kwargs: keyword arguments for every env (``task=...``, ``obs_type=...``).

    Raises:
        ValueError: ``num_envs`` or ``num_processes`` out of range.
        RuntimeError: a worker failed; the message names the worker and its error.
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(self, num_envs: int, num_processes: int | None = None, env_id: str = ENV_ID,
                 context: str = "forkserver", env_kwargs: Sequence[dict] | None = None, **kwargs: Any):
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        num_processes = default_num_processes(num_envs) if num_processes is None else num_processes
        if not 1 <= num_processes <= num_envs:
            raise ValueError(f"num_processes must be in [1, num_envs={num_envs}], got {num_processes}")
        if env_kwargs is not None and len(env_kwargs) != num_envs:
            raise ValueError(f"env_kwargs must hold num_envs={num_envs} dicts, got {len(env_kwargs)}")
        per_env = [dict(kwargs, **(env_kwargs[i] if env_kwargs else {})) for i in range(num_envs)]
        self.num_envs, self.num_processes = num_envs, num_processes
        self.groups = [list(g) for g in np.array_split(np.arange(num_envs), num_processes)]
        ctx = mp.get_context(context)
        self._conns, self._procs, self.closed = [], [], False
        for g in self.groups:
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_worker, args=(child, env_id, [per_env[i] for i in g]), daemon=True)
            proc.start()
            child.close()
            self._conns.append(parent)
            self._procs.append(proc)
        spaces = self._gather()
        self.single_observation_space, self.single_action_space = spaces[0]
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.metadata = dict(self.metadata)

    def _gather(self) -> list:
        out = []
        for w, conn in enumerate(self._conns):
            try:
                status, payload = conn.recv()
            except EOFError:  # the worker died (or could not start: scripts need `if __name__ == "__main__":`)
                status, payload = "error", f"worker process exited (exit code {self._procs[w].exitcode})"
            if status != "ok":
                raise RuntimeError(f"browser vector worker {w} (envs {self.groups[w]}) failed: {payload}")
            out.append(payload)
        return out

    def _add_info(self, vector_infos: dict, env_info: dict, env_num: int) -> dict:
        """Gymnasium's batching, except that an array info whose shape differs between envs (a task
        with a varying number of targets) becomes an object array holding each env's array."""
        for key, value in env_info.items():
            have = vector_infos.get(key)
            if isinstance(value, np.ndarray) and isinstance(have, np.ndarray) and have.dtype != object \
                    and have.shape[1:] != value.shape:
                merged = np.full(self.num_envs, None, dtype=object)
                for i in np.flatnonzero(vector_infos[f"_{key}"]):
                    merged[i] = have[i]
                vector_infos[key] = merged
        return super()._add_info(vector_infos, env_info, env_num)

    def _batch(self, results: list[tuple]):
        obs = create_empty_array(self.single_observation_space, self.num_envs)
        obs = concatenate(self.single_observation_space, [r[0] for r in results], obs)
        infos: dict[str, Any] = {}
        for i, r in enumerate(results):
            infos = self._add_info(infos, r[-1], i)
        return deepcopy(obs), infos

    def reset(self, *, seed: int | Sequence[int | None] | None = None, options: dict | None = None):
        if seed is None or isinstance(seed, (int, np.integer)):
            seeds = [None if seed is None else int(seed) + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
            if len(seeds) != self.num_envs:
                raise ValueError(f"reset() needs {self.num_envs} seeds, got {len(seeds)}")
        for g, conn in zip(self.groups, self._conns):
            conn.send(("reset", ([seeds[i] for i in g], options)))
        results = [r for part in self._gather() for r in part]
        return self._batch(results)

    def step(self, actions):
        actions = list(gym.vector.utils.iterate(self.action_space, actions))
        for g, conn in zip(self.groups, self._conns):
            conn.send(("step", [actions[i] for i in g]))
        results = [r for part in self._gather() for r in part]
        obs, infos = self._batch([(r[0], r[4]) for r in results])
        rewards = np.array([r[1] for r in results], dtype=np.float64)
        terminated = np.array([r[2] for r in results], dtype=np.bool_)
        truncated = np.array([r[3] for r in results], dtype=np.bool_)
        return obs, rewards, terminated, truncated, infos

    def close_extras(self, **kwargs: Any) -> None:
        for conn in self._conns:
            try:
                conn.send(("close", None))
            except (BrokenPipeError, OSError):
                pass
        for proc in self._procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)
        for conn in self._conns:
            conn.close()

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the workers (each holds one Chromium)."""
        return [p.pid for p in self._procs]


def make_browser_vec_env(num_envs: int = 4, num_processes: int | None = None, **kwargs: Any) -> VectorEnv:
    """``num_envs`` browser envs: one process (pages of one Chromium) or several workers.

    ``num_processes=1`` gives gymnasium's ``SyncVectorEnv`` in this process (all pages in this
    process's Chromium); otherwise a :class:`BrowserVectorEnv`. ``None`` picks one process per
    core (2 on 2 cores). ``kwargs`` go to every ``gym.make("rewardgym/Browser-v0", ...)``.
    """
    num_processes = default_num_processes(num_envs) if num_processes is None else num_processes
    if num_processes == 1:
        return SyncVectorEnv([lambda: gym.make(ENV_ID, **kwargs) for _ in range(num_envs)])
    return BrowserVectorEnv(num_envs, num_processes, **kwargs)
