"""The study of ``rewardgym-tune``: its storage, sampler and pruner, and what happens to the trials
of a worker that died.

Storage. By default Optuna's journal file (``JournalStorage`` + ``JournalFileBackend``): every
change is one appended line under a file lock, so a SIGKILL loses at most the change being
written, never a finished trial, and processes on one machine (or on several, when the file is
on a shared file system) share it. An RDB URL (``sqlite:///study.db``, ``postgresql://...``,
``mysql+pymysql://...``) uses Optuna's ``RDBStorage`` instead: the way to share a study between
machines without a shared file system.

Dead workers. A trial whose worker was killed stays RUNNING in the storage. Each worker writes a
heartbeat into its running trial (``rewardgym:heartbeat``, every ``heartbeat_s``) and who it is
(``rewardgym:worker``: host and pid). Before every new trial a worker fails the running trials
that are stale (their worker on this host is gone, or no heartbeat for ``grace_s``) and enqueues
their parameters again, so a restarted study reruns them; finished trials are never touched.
"""
from __future__ import annotations

import os
import socket
import threading
import time
import warnings
from pathlib import Path

WORKER, BEAT, RETRY_OF = "rewardgym:worker", "rewardgym:heartbeat", "retry_of"
RDB_SCHEMES = ("sqlite", "postgresql", "mysql", "oracle", "mssql")


def _quiet_optuna() -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def is_url(storage: str) -> bool:
    return "://" in storage


def open_storage(storage: str):
    """An Optuna storage: a journal file at a path, or an RDB at a URL.

    Raises:
        ValueError: the path cannot be written, or the URL cannot be opened (the message names it).
    """
    _quiet_optuna()
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalFileSymlinkLock

    if is_url(storage):
        scheme = storage.split("://", 1)[0].split("+", 1)[0]
        if scheme not in RDB_SCHEMES:
            raise ValueError(f"tune.storage {storage!r}: a URL must be an RDB URL ({', '.join(RDB_SCHEMES)}), "
                             f"got scheme {scheme!r}")
        kwargs = {"connect_args": {"timeout": 60}} if scheme == "sqlite" else {}
        try:
            return optuna.storages.RDBStorage(storage, engine_kwargs=kwargs)
        except Exception as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ValueError(f"tune.storage {storage!r} cannot be opened: {first}") from err
    path = Path(storage)
    blocked = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocked is not None:
        raise ValueError(f"tune.storage {storage!r} cannot be written: {blocked} is a file, not a folder")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab"):
            pass
    except OSError as err:
        raise ValueError(f"tune.storage {storage!r} cannot be written: {err.strerror or err}") from err
    lock = JournalFileSymlinkLock(str(path))
    repair_torn_tail(path, lock)
    return optuna.storages.JournalStorage(JournalFileBackend(str(path), lock_obj=lock))


def repair_torn_tail(path: Path, lock=None) -> int:
    """Cuts a last record that a kill left half-written (no newline at the end of the journal),
    which Optuna would otherwise glue to the next record; returns the bytes removed. Under the
    journal's lock, so no other worker is writing."""
    if lock is not None:
        lock.acquire()
    try:
        with open(path, "rb+") as f:
            size = f.seek(0, os.SEEK_END)
            if size == 0:
                return 0
            f.seek(size - 1)
            if f.read(1) == b"\n":
                return 0
            keep, block = 0, 1 << 16
            for end in range(size, 0, -block):
                start = max(0, end - block)
                f.seek(start)
                found = f.read(end - start).rfind(b"\n")
                if found >= 0:
                    keep = start + found + 1
                    break
            f.truncate(keep)
            print(f"[rewardgym-tune] {path}: removed a half-written last record ({size - keep} bytes)", flush=True)
            return size - keep
    finally:
        if lock is not None:
            lock.release()


def make_sampler(name: str, startup_trials: int, seed: int | None):
    import optuna

    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    # constant_liar: parallel workers do not all sample next to the same running trial
    return optuna.samplers.TPESampler(n_startup_trials=startup_trials, seed=seed, multivariate=True,
                                      constant_liar=True)


def make_pruner(name: str, startup_trials: int, warmup_steps: int, every: int):
    """``median``: a trial is stopped when its best evaluation so far is below the median of the
    other trials' at the same step (after ``startup_trials`` trials and ``warmup_steps`` env
    steps); ``window``: when its latest reported value (a window mean, :mod:`.pruners`) is, with the
    same start; ``halving``: successive halving, rungs at ``max(every, warmup_steps) * 3^k`` env
    steps."""
    import optuna

    if name == "window":
        from .pruners import LatestMedianPruner

        return LatestMedianPruner(n_startup_trials=startup_trials, n_warmup_steps=warmup_steps)
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=startup_trials, n_warmup_steps=warmup_steps)
    if name == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=max(every, warmup_steps, 1), reduction_factor=3)
    return optuna.pruners.NopPruner()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def me() -> dict:
    return {"host": socket.gethostname(), "pid": os.getpid()}


def stale_reason(trial, grace_s: float, now: float | None = None) -> str | None:
    """Why a RUNNING ``trial`` (a FrozenTrial) is dead, or None while it may be alive."""
    now = time.time() if now is None else now
    worker, beat = trial.system_attrs.get(WORKER), trial.system_attrs.get(BEAT)
    if worker and worker.get("host") == socket.gethostname() and worker.get("pid") != os.getpid() \
            and not _alive(int(worker["pid"])):
        return f"its worker (pid {worker['pid']} on this host) is gone"
    if beat is None and trial.datetime_start is not None:
        beat = trial.datetime_start.timestamp()
    if beat is not None and now - float(beat) > grace_s:
        return f"no heartbeat for {now - float(beat):.0f} s (tune.grace_s={grace_s:g})"
    return None


def fail_stale(study, storage, grace_s: float) -> list[tuple[int, str]]:
    """Marks stale RUNNING trials FAIL and enqueues their parameters again; returns
    ``[(trial number, reason)]`` for those this worker failed (another worker may win the race)."""
    from optuna.trial import TrialState

    failed, study_id = [], storage.get_study_id_from_name(study.study_name)
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        reason = stale_reason(t, grace_s)
        if reason is None:
            continue
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, t.number)
        try:
            storage.set_trial_system_attr(trial_id, "rewardgym:failed", reason)
            if not storage.set_trial_state_values(trial_id, TrialState.FAIL):
                continue
        except Exception:  # another worker failed it first (UpdateFinishedTrialError)
            continue
        study.enqueue_trial(dict(t.params), user_attrs={RETRY_OF: t.number})
        failed.append((t.number, reason))
    return failed


class Heartbeat:
    """While a trial runs: ``rewardgym:heartbeat`` = now, every ``interval`` seconds (a thread)."""

    def __init__(self, storage, trial_id: int, interval: float):
        self.storage, self.trial_id, self.interval = storage, trial_id, float(interval)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rewardgym-tune-heartbeat", daemon=True)

    def __enter__(self) -> "Heartbeat":
        self.storage.set_trial_system_attr(self.trial_id, WORKER, me())
        self.storage.set_trial_system_attr(self.trial_id, BEAT, time.time())
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.storage.set_trial_system_attr(self.trial_id, BEAT, time.time())
            except Exception:  # the trial finished meanwhile, or the storage is briefly unreachable
                pass

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
