"""rewardgym-tune: search spaces, bad input, a tiny study end to end, and a study killed with SIGKILL."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")
from omegaconf import OmegaConf  # noqa: E402

from rewardgym.agents.tune.app import main  # noqa: E402
from rewardgym.agents.tune.space import format_value, load_space, override  # noqa: E402
from rewardgym.agents.tune.study import repair_torn_tail  # noqa: E402

TUNE = [sys.executable, "-m", "rewardgym.agents.tune"]
# a few hundred CartPole steps per trial, evaluated every 256 (what the pruner sees)
TINY = ["env=cartpole", "agent.total_timesteps=768", "agent.n_envs=2", "eval.every=256", "eval.every_episodes=2",
        "eval.episodes=2", "checkpoint_freq=10000", "tune.startup_trials=1", "tune.heartbeat_s=0.5",
        "tune.grace_s=3", "~search.space.agent.ppo.n_steps", "~search.space.agent.ppo.batch_size",
        "agent.ppo.n_steps=64", "agent.ppo.batch_size=64", "agent.ppo.n_epochs=1",
        "~search.space.agent.ppo.n_epochs"]
RUN = {"agent": {"algo": "ppo", "n_envs": 4, "normalize": {"obs": False},
                 "ppo": {"gamma": 0.99, "n_steps": 256, "learning_rate": 3e-4, "policy_kwargs": None}}}


def _space(**leaves):
    return OmegaConf.create({"agent": "ppo", "space": {"agent": {"ppo": leaves}}})


def test_space_kinds_and_sampled_values_stay_in_range():
    run = OmegaConf.create(RUN)
    params = load_space(_space(learning_rate={"low": 1e-5, "high": 1e-2, "log": True},
                               n_steps={"low": 64, "high": 512, "step": 64},
                               gamma={"low": 0.9, "high": 0.999},
                               policy_kwargs={"choices": [None, {"net_arch": [64, 64]}, {"net_arch": [256]}]}), run)
    assert [(p.key, p.kind) for p in params] == [("agent.ppo.learning_rate", "float"), ("agent.ppo.n_steps", "int"),
                                                 ("agent.ppo.gamma", "float"), ("agent.ppo.policy_kwargs", "categorical")]
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen = set()
    for _ in range(30):
        trial = study.ask()
        v = {p.key: p.suggest(trial) for p in params}
        assert 1e-5 <= v["agent.ppo.learning_rate"] <= 1e-2 and v["agent.ppo.n_steps"] % 64 == 0
        assert 0.9 <= v["agent.ppo.gamma"] <= 0.999
        assert v["agent.ppo.policy_kwargs"] in (None, {"net_arch": [64, 64]}, {"net_arch": [256]})
        seen.add(format_value(v["agent.ppo.policy_kwargs"]))
        study.tell(trial, 0.0)
    assert seen == {"null", "{net_arch:[64,64]}", "{net_arch:[256]}"}, "a dict choice comes back as the dict"


def test_a_float_key_with_integer_bounds_is_a_float_range():
    params = load_space(OmegaConf.create({"space": {"agent": {"ppo": {"vf_coef": {"low": 0, "high": 1, "new": True}}}}}),
                        OmegaConf.create(RUN))
    assert params[0].kind == "float"


@pytest.mark.parametrize("value", [3e-4, 1e-05, 0.99, 7, True, None, "tanh", "a b", "true", [64, 64],
                                   {"net_arch": {"pi": [64], "vf": [256, 256]}}, {"activation": "torch.nn.ReLU"}])
def test_override_values_parse_back_in_hydra(value):
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_override(override("agent.ppo.x", value))
    assert parsed.value() == value


@pytest.mark.parametrize("leaf, needle", [
    ({"low": 1e-2, "high": 1e-4}, "learning_rate: low 0.01 > high 0.0001"),
    ({"low": 0.0, "high": 1e-2, "log": True}, "a log range needs low > 0, got 0.0"),
    ({"low": 1e-5}, "a range needs both low and high"),
    ({"choices": []}, "choices must be a non-empty list"),
    ({"low": 1e-5, "high": 1e-3, "lo": 1}, "unknown field(s) lo"),
    ({"low": 1e-5, "high": 1e-3, "step": 1e-5, "log": True}, "log and step cannot be combined"),
])
def test_malformed_parameters_are_named(leaf, needle):
    with pytest.raises(ValueError, match="search.space.agent.ppo.learning_rate") as err:
        load_space(_space(learning_rate=leaf), OmegaConf.create(RUN))
    assert needle in str(err.value)


def test_space_checked_against_the_run_config():
    run = OmegaConf.create(RUN)
    with pytest.raises(KeyError, match="the config has no key 'agent.ppo.lerning_rate'"):
        load_space(_space(lerning_rate={"low": 1e-5, "high": 1e-3}), run)
    with pytest.raises(ValueError, match=r"1.5 is outside the range of agent.ppo.gamma, a finite number in \[0, 1\]"):
        load_space(_space(gamma={"low": 0.9, "high": 1.5}), run)
    with pytest.raises(ValueError, match="this space is for agent=sac, the run has agent=ppo"):
        load_space(OmegaConf.create({"agent": "sac", "space": {"agent": {"sac": {"tau": {"low": 0.0, "high": 0.1}}}}}), run)


def test_pruner_report_stops_training_below_the_median():
    from rewardgym.agents.tune.study import make_pruner
    from rewardgym.agents.tune.trial import PrunerReport

    study = optuna.create_study(direction="maximize", pruner=make_pruner("median", 2, 2000, 1000))
    for value in (0.5, 0.6):
        trial = study.ask()
        report = PrunerReport(trial, "success_rate", 1000)
        assert all(report(1000 * k + 4, {"success_rate": value}) for k in range(1, 6))
        study.tell(trial, value)
    trial = study.ask()
    report = PrunerReport(trial, "success_rate", 1000)
    assert report(1004, {"success_rate": 0.0}), "no pruning before the warm-up (2000 steps)"
    assert not report(2004, {"success_rate": 0.0}) and report.pruned_at == 2004
    assert study.get_trials()[-1].intermediate_values == {1000: 0.0, 2000: 0.0}, \
        "reported at the nominal steps k * eval.every"


def _complete(study, curve, every=1000, **kw):
    from rewardgym.agents.tune.trial import PrunerReport

    trial = study.ask()
    report = PrunerReport(trial, "success_rate", every, **kw)
    assert all(report(every * k + 4, {"success_rate": v}) for k, v in enumerate(curve, 1))
    study.tell(trial, curve[-1])


@pytest.mark.parametrize("pruner, pruned_at", [("median", None), ("window", 3004)])
def test_a_trial_that_starts_high_and_decays_is_pruned_by_the_window_pruner_only(pruner, pruned_at):
    from rewardgym.agents.tune.study import make_pruner
    from rewardgym.agents.tune.trial import PrunerReport

    window = 2 if pruner == "window" else 1
    study = optuna.create_study(direction="maximize", pruner=make_pruner(pruner, 2, 2000, 1000))
    for curve in ([0.5, 0.5, 0.6, 0.6, 0.7], [0.4, 0.5, 0.5, 0.6, 0.6]):
        _complete(study, curve, window=window)
    trial = study.ask()
    report = PrunerReport(trial, "success_rate", 1000, window=window)
    results = []
    for k, v in enumerate([1.0, 0.9, 0.1, 0.0, 0.0], 1):
        results.append(report(1000 * k + 4, {"success_rate": v}))
        if not results[-1]:  # training stops here
            break
    assert report.pruned_at == pruned_at
    if pruner == "window":  # 3000 steps: mean(0.9, 0.1) = 0.5 < median(0.55, 0.5)
        assert results == [True, True, False]
        assert study.get_trials()[-1].intermediate_values == {1000: 1.0, 2000: 0.95, 3000: 0.5}
    else:  # its best so far (1.0) stays above the median
        assert results == [True] * 5


def test_window_reports_average_the_earlier_seeds_final_values():
    from rewardgym.agents.tune.study import make_pruner
    from rewardgym.agents.tune.trial import PrunerReport

    study = optuna.create_study(direction="maximize", pruner=make_pruner("window", 1, 0, 1000))
    _complete(study, [0.2, 0.2], window=3, earlier=[0.2], offset=2000, last_step=2000)
    trial = study.ask()
    report = PrunerReport(trial, "success_rate", 1000, offset=2000, window=3, earlier=[0.9], last_step=2000)
    assert report(1004, {"success_rate": 0.0}), "(0.9 + 0.0) / 2 = 0.45 is above the median 0.2"
    assert report(2004, {"success_rate": 0.0}), "the last evaluation is not judged"
    assert study.get_trials()[-1].intermediate_values == {3000: 0.45, 4000: 0.45}
    trial = study.ask()
    report = PrunerReport(trial, "success_rate", 1000, offset=2000, window=3, earlier=[0.1], last_step=2000)
    assert not report(1004, {"success_rate": 0.2}) and report.pruned_at == 1004, "(0.1 + 0.2) / 2 < 0.2"


@pytest.mark.parametrize("extra, pruner_type, waits", [([], "LatestMedianPruner", 1),
                                                      (["tune.prune_after=3"], "LatestMedianPruner", 3),
                                                      (["tune.pruner=median", "tune.prune_after=0"], "MedianPruner", 0)])
def test_prune_after_sets_the_trials_the_pruner_waits_for(tmp_path, monkeypatch, extra, pruner_type, waits):
    from hydra import initialize_config_module

    from rewardgym.agents.tune.app import build_settings, pruner_for

    monkeypatch.chdir(tmp_path)
    with initialize_config_module(config_module="rewardgym.conf", version_base=None):
        settings = build_settings(["env=cartpole", "tune.pruner=window", "tune.startup_trials=1"] + extra)
    pruner = pruner_for(settings)
    assert type(pruner).__name__ == pruner_type
    assert getattr(pruner, "n_startup_trials", getattr(pruner, "_n_startup_trials", None)) == waits


def test_latest_median_pruner_waits_for_startup_trials_and_warmup():
    from rewardgym.agents.tune.pruners import LatestMedianPruner

    with pytest.raises(ValueError, match="must be >= 0, got -1, 0"):
        LatestMedianPruner(-1, 0)
    study = optuna.create_study(direction="maximize", pruner=LatestMedianPruner(n_startup_trials=1, n_warmup_steps=2))
    trial = study.ask()
    trial.report(0.0, 1)
    assert not trial.should_prune(), "no complete trial yet"
    study.tell(trial, 0.0)
    study.add_trial(optuna.trial.create_trial(value=1.0, intermediate_values={1: 1.0, 2: 1.0}))
    trial = study.ask()
    trial.report(0.0, 1)
    assert not trial.should_prune(), "before the warm-up"
    trial.report(1.0, 2)
    assert not trial.should_prune(), "equal to the median (1.0 at step 2)"
    trial.report(0.0, 3)
    assert not trial.should_prune(), "no complete trial reported step 3"
    for value, pruned in ((0.4, True), (float("nan"), True)):
        trial = study.ask()
        trial.report(value, 2)
        assert trial.should_prune() is pruned


@pytest.mark.parametrize("kind", ["journal", "sqlite"])
def test_stale_running_trials_fail_and_run_again(tmp_path, kind):
    """A trial whose worker on this host is gone, and one whose heartbeat is older than the grace
    period (a worker elsewhere), are failed and enqueued; a live one and finished ones are kept."""
    from rewardgym.agents.tune.study import BEAT, WORKER, fail_stale, me, open_storage

    storage = open_storage(str(tmp_path / "study.log") if kind == "journal" else f"sqlite:///{tmp_path / 'study.db'}")
    study = optuna.create_study(study_name="s", storage=storage, direction="maximize")
    done = subprocess.Popen(["true"])
    done.wait()
    trials = [study.ask({"x": optuna.distributions.FloatDistribution(0, 1)}) for _ in range(4)]
    study.tell(trials[0], 0.5)
    attrs = {1: {WORKER: {"host": me()["host"], "pid": done.pid}, BEAT: time.time()},   # its process is gone
             2: {WORKER: {"host": "elsewhere", "pid": 1}, BEAT: time.time() - 100},      # silent for 100 s
             3: {WORKER: me(), BEAT: time.time()}}                                         # alive
    for number, kv in attrs.items():
        for key, value in kv.items():
            storage.set_trial_system_attr(trials[number]._trial_id, key, value)
    failed = dict(fail_stale(study, storage, grace_s=60))
    assert set(failed) == {1, 2} and "is gone" in failed[1] and "no heartbeat for 100 s" in failed[2]
    states = {t.number: t.state.name for t in study.get_trials()}
    assert states == {0: "COMPLETE", 1: "FAIL", 2: "FAIL", 3: "RUNNING", 4: "WAITING", 5: "WAITING"}
    waiting = [t for t in study.get_trials() if t.state.name == "WAITING"]
    assert sorted(t.user_attrs["retry_of"] for t in waiting) == [1, 2]
    assert {t.user_attrs["retry_of"]: t.system_attrs["fixed_params"] for t in waiting} == \
        {1: trials[1].params, 2: trials[2].params}, "enqueued with the dead trials' parameters"
    assert fail_stale(study, storage, grace_s=60) == [], "each dead trial is failed once"


def test_torn_journal_tail_is_cut(tmp_path):
    path = tmp_path / "study.log"
    path.write_bytes(b'{"op_code":0}\n{"op_code":1}\n{"op_co')
    assert repair_torn_tail(path) == len(b'{"op_co')
    assert path.read_bytes() == b'{"op_code":0}\n{"op_code":1}\n'
    assert repair_torn_tail(path) == 0


@pytest.mark.parametrize("args, needle", [
    (["search=nope"], "unknown search space 'nope'. Valid choices: ppo, sac"),
    (["search.space.agent.ppo.learning_rate.low=0.1"], "search.space.agent.ppo.learning_rate: low 0.1 > high 0.003"),
    (["tune.objective=reward.shaped_mean"], "tune.objective 'reward.shaped_mean' is not a ground-truth key the runs produce"),
    (["eval.episodes=0"], "tune.objective=eval.success_rate needs the final evaluation: eval.episodes must be >= 1"),
    (["eval.every=0"], "tune.pruner=median needs evaluations during training: eval.every must be >= 1"),
    (["tune.n_trials=0"], "tune.n_trials must be an integer >= 1, got 0"),
    (["tune.seeds_per_trial=0"], "tune.seeds_per_trial must be an integer >= 1, got 0"),
    (["tune.window=0"], "tune.window must be an integer >= 1, got 0"),
    (["tune.prune_after=-1"], "tune.prune_after must be an integer >= 0, got -1"),
    (["tune.pruner=hyperband"], "tune.pruner must be one of median, window, halving, none, got 'hyperband'"),
    (["agent.ppo.gamma=0.9"], "agent.ppo.gamma: set on the command line and searched by search=ppo"),
    (["search=sac", "agent=ppo"], "this space is for agent=sac, the run has agent=ppo"),
    (["tune.nope=1"], "unknown key 'tune.nope'"),
    (["tune.storage=sqlite:////no/such/dir/study.db"], "tune.storage 'sqlite:////no/such/dir/study.db' cannot be opened"),
])
def test_bad_input_one_line_exit_2(tmp_path, monkeypatch, capsys, args, needle):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as code:
        main(["env=cartpole"] + args)
    err = capsys.readouterr().err
    assert code.value.code == 2 and needle in err, err
    assert len(err.strip().splitlines()) == 1, err


def test_unwritable_storage_path_is_bad_input(tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    out = subprocess.run(TUNE + ["env=cartpole", f"tune.storage={tmp_path / 'afile' / 'study.log'}"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert f"tune.storage '{tmp_path / 'afile' / 'study.log'}' cannot be written: {tmp_path / 'afile'} is a file" \
        in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr


def _trials(storage: Path, name: str):
    if not storage.exists():
        return []
    try:
        study = optuna.load_study(study_name=name, storage=optuna.storages.JournalStorage(
            optuna.storages.journal.JournalFileBackend(str(storage))))
    except KeyError:  # not created yet
        return []
    return study.get_trials(deepcopy=True)


def test_sigkilled_study_resumes_without_losing_a_finished_trial(tmp_path):
    """SIGKILL a study while a trial runs (after two finished), run the same command again: the
    finished trials are kept as they were, the killed one is failed and its parameters run again,
    and the study ends with n_trials finished trials, each an ordinary run folder."""
    args = TUNE + TINY + ["tune.n_trials=4", "tune.seed=0", "tune.study=kill"]
    storage = tmp_path / "tune" / "kill" / "study.log"
    proc = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.time() + 240
    try:
        while time.time() < deadline:
            trials = _trials(storage, "kill")
            done = [t for t in trials if t.state.is_finished()]
            if len(done) >= 2 and any(t.state.name == "RUNNING" and "rewardgym:worker" in t.system_attrs for t in trials):
                break
            assert proc.poll() is None, f"the study ended before it could be killed: {proc.stderr.read()}"
            time.sleep(0.1)
        else:
            pytest.fail("no running third trial within 240 s")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    before = {t.number: t for t in _trials(storage, "kill") if t.state.is_finished()}
    killed = [t.number for t in _trials(storage, "kill") if t.state.name == "RUNNING"]
    assert len(before) >= 2 and killed

    out = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    after = {t.number: t for t in _trials(storage, "kill")}
    for number, t in before.items():  # nothing finished was lost or changed
        assert after[number].state == t.state and after[number].value == t.value and after[number].params == t.params
    for number in killed:
        assert after[number].state.name == "FAIL"
        assert f"trial {number} failed: its worker (pid {proc.pid} on this host) is gone" in out.stdout
        retry = [t for t in after.values() if t.user_attrs.get("retry_of") == number]
        assert len(retry) == 1 and retry[0].params == after[number].params and retry[0].state.is_finished()
    finished = [t for t in after.values() if t.state.name in ("COMPLETE", "PRUNED")]
    assert len(finished) == 4
    for t in finished:
        run_dir = Path(t.user_attrs["run_dir"])
        run_dir = run_dir if run_dir.is_absolute() else tmp_path / run_dir
        metrics = json.loads((run_dir / "metrics.json").read_text())
        assert metrics["total_timesteps"] == t.user_attrs["env_steps"]
        record = json.loads((run_dir / "trial.json").read_text())
        assert record["number"] == t.number and record["state"] == t.state.name

    study_dir = tmp_path / "tune" / "kill"
    summary = (study_dir / "summary.md").read_text()
    assert "Trials: " in summary and f"{len(killed)} failed" in summary
    for name in ("history.png", "intermediate.png", "importance.png", "summary.csv", "best.txt"):
        assert (study_dir / name).stat().st_size > 0, name
    # the best trial's YAML composes to the best trial's own config
    from hydra import compose, initialize_config_module

    best = max((t for t in after.values() if t.state.name == "COMPLETE"), key=lambda t: t.value)
    best_dir = Path(best.user_attrs["run_dir"])
    best_dir = best_dir if best_dir.is_absolute() else tmp_path / best_dir
    with initialize_config_module(config_module="rewardgym.conf", version_base=None):
        cfg = compose("config", [f"hydra.searchpath=[file://{study_dir.resolve()}]", "+experiment=kill"])
    assert OmegaConf.to_container(cfg) == OmegaConf.to_container(OmegaConf.load(best_dir / ".hydra" / "config.yaml"))
    assert (study_dir / "best.txt").read_text().split()[1:] == best.user_attrs["overrides"]

    again = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "starts in" not in again.stdout, "a finished study runs nothing more"
    assert len(_trials(storage, "kill")) == len(after)


def test_a_resumed_study_with_a_fixed_seed_draws_new_configurations(tmp_path):
    """Run a study of random trials (tune.seed=0) to 2 trials, then the same command to 4: the
    restarted worker's sampler must not draw trials 0 and 1's configurations again."""
    base = TUNE + TINY + ["agent.total_timesteps=256", "eval.every=0", "tune.pruner=none", "tune.seed=0",
                          "tune.study=again", "tune.sampler=random"]
    for n in (2, 4):
        out = subprocess.run(base + [f"tune.n_trials={n}"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
    params = [t.params for t in sorted(_trials(tmp_path / "tune" / "again" / "study.log", "again"),
                                       key=lambda t: t.number)]
    assert len(params) == 4 and params[2] != params[0] and params[3] != params[1], params
    from rewardgym.agents.tune.app import sampler_seed

    assert sampler_seed(0, 0, 0) == 0 and sampler_seed(7, 1, 0) == 8 and sampler_seed(None, 1, 5) is None


@pytest.mark.parametrize("pruner", ["median", "window"])
def test_a_trial_over_several_seeds_is_their_mean(tmp_path, pruner):
    """``tune.seeds_per_trial=2``: each trial trains seed and seed + 1 into ``trials/<n>/seed<k>/`` (ordinary
    run folders), its value is the mean of their objectives, and the second seed's evaluations reach the
    pruner after the first's (offset by the budget): as they are (median), or as window means averaged
    with the first seed's final value (window)."""
    args = TUNE + TINY + ["tune.n_trials=1", "tune.seed=0", "tune.study=two", "tune.seeds_per_trial=2", "seed=5",
                          f"tune.pruner={pruner}", "tune.window=2", "tune.objective=eval.return_mean"]
    out = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    (t,) = _trials(tmp_path / "tune" / "two" / "study.log", "two")
    dirs = [tmp_path / "tune" / "two" / "trials" / "0000" / f"seed{k}" for k in (5, 6)]
    values = [json.loads((d / "metrics.json").read_text())["eval"]["return_mean"] for d in dirs]
    assert t.state.name == "COMPLETE" and t.value == pytest.approx(sum(values) / 2)
    assert t.user_attrs["values_per_seed"] == values and t.user_attrs["env_steps"] == 2 * 768
    assert [json.loads((d / "metrics.json").read_text())["seed"] for d in dirs] == [5, 6]
    assert sorted(t.intermediate_values) == [256, 512, 768, 768 + 256, 768 + 512, 2 * 768]
    evals = [[e["return_mean"] for e in json.loads((d / "eval_curve.json").read_text())] for d in dirs]
    if pruner == "median":
        expected = evals[0] + evals[1]
    else:
        windows = [[sum(seed[max(0, k - 1):k + 1]) / len(seed[max(0, k - 1):k + 1]) for k in range(3)] for seed in evals]
        expected = windows[0] + [(values[0] + w) / 2 for w in windows[1]]
    assert [t.intermediate_values[k] for k in sorted(t.intermediate_values)] == pytest.approx(expected)
