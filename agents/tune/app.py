"""``rewardgym-tune``: an Optuna search over ``rewardgym-train``'s Hydra config, judged by the ground truth.

Examples::

    rewardgym-tune env=manip_push reward=none search=ppo tune.n_trials=40 agent.total_timesteps=100000
    rewardgym-tune env=manip_push reward=none search=ppo tune.n_jobs=2      # two worker processes
    rewardgym-tune env=manip_push reward=none search=ppo                    # again: resumes the study
    rewardgym-tune env=manip_reach agent.total_timesteps=50000 search=sac tune.storage=postgresql://db/tune

Every trial is a ``rewardgym-train`` run folder under ``<tune.dir>/trials/``; its ground-truth
evaluations every ``eval.every`` env steps go to the pruner, and the final one (``eval.*`` of its
``metrics.json``, or ``tune.objective``) is the trial's value. ``tune.n_trials`` counts the whole
study: run the same command again (after a crash, a kill, or on another machine sharing the
storage) and it runs only what is missing. Results in ``<tune.dir>``: ``summary.md``/``.csv``,
the best trial as a ``rewardgym-train`` line and as ``experiment/<study>.yaml`` for
``+experiment=``, ``history.png``, ``importance.png`` and ``intermediate.png``. docs/tuning.md.
"""
from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from rewardgym.errors import run_app, user_input

from .space import load_space
from .study import fail_stale, make_pruner, make_sampler, open_storage
from .trial import OBJECTIVES, Settings, run_trial, trial_dir

PROG = "rewardgym-tune"
PRUNERS, SAMPLERS = ("median", "window", "halving", "none"), ("tpe", "random")


def _key(arg: str) -> str:
    return arg.lstrip("+~").split("=", 1)[0]


def is_tune_override(arg: str) -> bool:
    """``tune.*`` and ``search``/``search.*`` are the study's own; the rest go to every trial."""
    key = _key(arg)
    return key in ("tune", "search") or key.startswith(("tune.", "search."))


def _int(name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return value


def _number(name: str, value, low: float, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low or (high is not None and value > high):
        where = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be a number {where}, got {value!r}")
    return float(value)


def _one_of(name: str, value, allowed: tuple) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def build_settings(argv: list[str]) -> Settings:
    """Composes the tune config of ``argv`` and checks it: the study's settings, the objective, the
    search space against the trials' config, the storage.

    Raises:
        ValueError, KeyError: a bad setting, named (the caller turns them into one line, exit 2).
    """
    from hydra import compose

    from rewardgym.cli import range_problem

    from .trial import compose_run_config

    cfg = compose(config_name="tune", overrides=argv, return_hydra_config=True)
    t, choices = cfg.tune, cfg.hydra.runtime.choices
    n_trials = _int("tune.n_trials", t.n_trials, 1)
    objective = t.objective
    if objective not in OBJECTIVES:
        raise ValueError(f"tune.objective {objective!r} is not a ground-truth key the runs produce; one of "
                         f"{', '.join(OBJECTIVES)} (a model reward is never an objective: it would tune its hacks)")
    if objective.startswith("eval.") and int(cfg.eval.episodes) < 1:
        raise ValueError(f"tune.objective={objective} needs the final evaluation: eval.episodes must be >= 1, got "
                         f"{cfg.eval.episodes}")
    pruner, every = _one_of("tune.pruner", t.pruner, PRUNERS), int(cfg.eval.every)
    if pruner != "none" and every < 1:
        raise ValueError(f"tune.pruner={pruner} needs evaluations during training: eval.every must be >= 1, got "
                         f"{every} (or tune.pruner=none)")
    total = int(cfg.agent.total_timesteps)
    warmup = _number("tune.warmup", t.warmup, 0.0, 1.0)
    seed = t.seed if t.seed is None else _int("tune.seed", t.seed, 0)
    heartbeat, grace = _number("tune.heartbeat_s", t.heartbeat_s, 0.1), _number("tune.grace_s", t.grace_s, 0.1)
    if grace < 2 * heartbeat:
        raise ValueError(f"tune.grace_s must be >= 2 * tune.heartbeat_s ({2 * heartbeat:g}), got {grace:g}")
    study = t.study or f"{choices.env}__{choices.reward}__{choices.search}"
    if not isinstance(study, str) or not study.strip() or "/" in study:
        raise ValueError(f"tune.study must be a name without '/', got {study!r}")
    directory = Path(t.dir or Path("tune") / study)

    base = [a for a in argv if not is_tune_override(a)]
    keys = {_key(a) for a in base}
    if "agent" not in keys:
        base.append(f"agent={choices.agent}")
    if "eval.every" not in keys:
        base.append(f"eval.every={every}")
    run_cfg = compose_run_config(base)
    problem = range_problem(run_cfg)
    if problem:
        raise ValueError(problem)
    params = load_space(cfg.search, run_cfg)
    both = sorted(keys & {p.key for p in params})
    if both:
        raise ValueError(f"{', '.join(both)}: set on the command line and searched by search={choices.search}; "
                         f"drop one (or remove it from the space: ~search.space.{both[0]})")
    storage = str(t.storage) if t.storage else str(directory / "study.log")
    return Settings(study=study, storage=storage, dir=directory, base=base, params=params, objective=objective,
                    n_trials=n_trials, pruner=pruner, sampler=_one_of("tune.sampler", t.sampler, SAMPLERS),
                    startup_trials=_int("tune.startup_trials", t.startup_trials, 0),
                    prune_after=None if t.get("prune_after") is None else _int("tune.prune_after", t.prune_after, 0),
                    warmup_steps=int(round(warmup * total)), every=every, seed=seed, heartbeat_s=heartbeat,
                    grace_s=grace, n_jobs=_int("tune.n_jobs", t.n_jobs, 1),
                    seeds=_int("tune.seeds_per_trial", t.get("seeds_per_trial", 1), 1),
                    window=_int("tune.window", t.get("window", 3), 1))


def load_or_create(settings: Settings, storage, sampler=None, pruner=None):
    """The study, created on first use. A study of the same name with other overrides or another
    search space is refused (it would mix trials of two searches)."""
    import optuna

    from .space import format_value

    space = {p.key: {"kind": p.kind, "low": p.low, "high": p.high, "log": p.log, "step": p.step,
                     "choices": [format_value(c) for c in p.choices], "new": p.new} for p in settings.params}
    names = [s.study_name for s in storage.get_all_studies()]
    if settings.study not in names:
        trials = settings.dir / "trials"
        if trials.is_dir() and any(trials.iterdir()):
            raise ValueError(f"{trials} holds trials, but {settings.storage} has no study {settings.study!r}: "
                             "give another tune.dir (or tune.study), or remove that folder")
    study = optuna.create_study(study_name=settings.study, storage=storage, sampler=sampler, pruner=pruner,
                                direction="maximize", load_if_exists=True)
    attrs = study.user_attrs
    if "overrides" not in attrs:
        study.set_user_attr("overrides", settings.base)
        study.set_user_attr("space", space)
        study.set_user_attr("objective", settings.objective)
    elif (attrs["overrides"], attrs.get("space"), attrs.get("objective")) != (settings.base, space, settings.objective):
        was = " ".join(attrs["overrides"]) + f" (objective {attrs.get('objective')})"
        raise ValueError(f"study {settings.study!r} in {settings.storage} was run with {was} and another search "
                         f"space or objective; this command differs: give tune.study=<a new name>")
    return study


def _sigterm(signum, frame):
    raise SystemExit(128 + signum)


def sampler_seed(seed: int | None, worker: int, trials_before: int) -> int | None:
    """``tune.seed`` + the worker's index for a new study; + 100003 x the trials already there for
    one resumed or joined (None: a fresh seed each time)."""
    return None if seed is None else seed + worker + 100_003 * trials_before


def pruner_for(settings: Settings):
    """The study's pruner: ``tune.pruner``, waiting for ``tune.prune_after`` complete trials (default
    ``tune.startup_trials``) and the warm-up."""
    after = settings.startup_trials if settings.prune_after is None else settings.prune_after
    return make_pruner(settings.pruner, after, settings.warmup_steps, settings.every)


def work(settings: Settings, index: int = 0) -> None:
    """One worker: runs trials until the study has ``n_trials`` finished ones. With nothing left to
    start it waits for the running trials of other workers: one whose worker died is run again."""
    from hydra import initialize_config_module
    from optuna.trial import TrialState

    from .report import write_report

    signal.signal(signal.SIGTERM, _sigterm)
    storage = open_storage(settings.storage)
    pruner = pruner_for(settings)
    with initialize_config_module(config_module="rewardgym.conf", version_base=None):
        study = load_or_create(settings, storage, None, pruner)
        # the sampler's seed depends on the trials the study already has: a study resumed (or joined)
        # with a fixed tune.seed would otherwise draw its first configurations again
        study.sampler = make_sampler(settings.sampler, settings.startup_trials,
                                     sampler_seed(settings.seed, index, len(study.get_trials(deepcopy=False))))
        while True:
            for number, reason in fail_stale(study, storage, settings.grace_s):
                print(f"[{PROG}] trial {number} failed: {reason}; its parameters run again", flush=True)
            states = [t.state for t in study.get_trials(deepcopy=False)]
            finished = sum(s in (TrialState.COMPLETE, TrialState.PRUNED) for s in states)
            if finished >= settings.n_trials:
                return
            if finished + states.count(TrialState.RUNNING) >= settings.n_trials:
                time.sleep(settings.heartbeat_s)  # the running trials finish, or die and are run again here
                continue
            trial = study.ask()
            print(f"[{PROG}] trial {trial.number} starts in {trial_dir(settings, trial.number)}", flush=True)
            state, value = run_trial(study, storage, trial, settings)
            print(f"[{PROG}] trial {trial.number} {state}: {settings.objective}={value:.4g}", flush=True)
            try:
                write_report(study, settings)
            except Exception as err:  # a report is not worth losing the study over; the next one retries
                print(f"[{PROG}] report not written: {type(err).__name__}: {err}", file=sys.stderr)


def _child(settings: Settings, index: int, debug: bool) -> None:
    run_app(PROG, lambda: work(settings, index), debug=debug)


def tune(argv: list[str]) -> int:
    """Checks ``argv``, runs ``tune.n_jobs`` workers (this process and ``n_jobs - 1`` more), then
    writes the report; returns the exit code."""
    import multiprocessing

    from hydra import initialize_config_module

    from .report import write_report

    debug = any(a in ("debug=true", "debug=True") for a in argv)
    with initialize_config_module(config_module="rewardgym.conf", version_base=None):
        with user_input("tune"):
            settings = build_settings(argv)
            storage = open_storage(settings.storage)
            load_or_create(settings, storage)
    print(f"[{PROG}] study {settings.study} ({settings.storage}): {settings.n_trials} trials of "
          f"rewardgym-train {' '.join(settings.base)}; searching {', '.join(p.key for p in settings.params)}",
          flush=True)
    ctx = multiprocessing.get_context("spawn")
    children = [ctx.Process(target=_child, args=(settings, i, debug), name=f"{PROG}-{i}")
                for i in range(1, settings.n_jobs)]
    for c in children:
        c.start()
    try:
        work(settings, 0)
    except BaseException:
        for c in children:
            if c.is_alive():
                c.terminate()  # SIGTERM: their running trials fail and are enqueued again
        for c in children:
            c.join()
        raise
    for c in children:
        c.join()
    code = next((c.exitcode for c in children if c.exitcode), 0)
    with initialize_config_module(config_module="rewardgym.conf", version_base=None):
        import optuna

        study = optuna.load_study(study_name=settings.study, storage=open_storage(settings.storage))
        paths = write_report(study, settings)
    print(paths["text"], flush=True)
    return code


def check_search_choice(argv: list[str]) -> str | None:
    """``unknown search 'x'. Valid choices: ppo, sac`` (a user's ``hydra.searchpath`` counts)."""
    from hydra import initialize_config_module
    from hydra.core.global_hydra import GlobalHydra

    wanted = [a.split("=", 1)[1] for a in argv if a.split("=", 1)[0] in ("search", "+search")]
    if not wanted:
        return None
    extra = [a for a in argv if a.startswith("hydra.searchpath=")]
    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(config_module="rewardgym.conf", version_base=None):
            valid = GlobalHydra.instance().config_loader().get_group_options("search", config_name="tune",
                                                                              overrides=extra)
    finally:
        GlobalHydra.instance().clear()
    bad = next((w for w in wanted if w not in valid), None)
    return None if bad is None else f"unknown search space {bad!r}. Valid choices: {', '.join(valid)}"


def main(argv: list[str] | None = None) -> None:
    """Console entry: one line and exit 2 for bad input, as ``rewardgym-train``."""
    from rewardgym.cli import exit_on_bad_overrides

    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-m", "--multirun") for a in argv):
        print(f"{PROG}: -m/--multirun is not a tune option: the study itself runs many trials", file=sys.stderr)
        sys.exit(2)
    problem = check_search_choice(argv)
    if problem:
        print(f"{PROG}: {problem}", file=sys.stderr)
        sys.exit(2)
    exit_on_bad_overrides(PROG, "tune", argv)
    sys.exit(run_app(PROG, lambda: tune(argv), debug=any(a in ("debug=true", "debug=True") for a in argv)))


if __name__ == "__main__":
    main()
