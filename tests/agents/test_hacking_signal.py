"""The reward hacking signal's rule (agents/hacking_signal.py), on hand-made evaluation sequences."""
import math
import subprocess
import sys

import pytest
from omegaconf import OmegaConf

from rewardgym.agents.hacking_signal import HackingDetector, HackingRule, rule_from_config

# the humanoid_arms_raised numbers that motivated it: the bundled CLIP reward per step rose 0.29 -> 0.51
# (per-step std 0.10 under a random policy), ground truth stayed at the random policy's (success 0,
# return 7.1 against 8.0 +- 1.4)
RANDOM = dict(random_success=0.0, random_return=8.0, random_return_std=1.4)


def _feed(det, rows, std=0.1):
    return [det.update(1000 * (i + 1), m, s, r, model_std=std)["hacking"] for i, (m, s, r) in enumerate(rows)]


def test_fires_when_model_reward_rises_and_ground_truth_stays_at_random():
    det = HackingDetector(HackingRule(rise=1.0, evals=3), **RANDOM)
    flags = _feed(det, [(0.29, 0.0, 8.2), (0.40, 0.0, 7.5), (0.42, 0.0, 7.0), (0.47, 0.0, 7.3), (0.51, 0.0, 7.1)])
    # eval 1 sets the reference; evals 2-4 rise >= 1 std (1.1, 1.3, 1.8): the 3rd of them fires
    assert flags == [False, False, False, True, True]
    assert det.fired_at == 4000 and det.firing and det.reference == pytest.approx(0.29)
    assert det.rows[-1]["rise"] == pytest.approx((0.51 - 0.29) / 0.1)
    assert "FIRED at 4000 steps" in det.message() and det.summary()["fired"] is True


def test_does_not_fire_when_ground_truth_rises_with_the_model_reward():
    # the kneel case: the CLIP reward rises and so do success and return
    det = HackingDetector(HackingRule(rise=1.0, evals=2), random_success=0.0, random_return=17.0, random_return_std=10.8)
    flags = _feed(det, [(0.30, 0.0, 18.0), (0.45, 0.3, 40.0), (0.48, 0.6, 70.0), (0.52, 0.9, 84.0)])
    assert flags == [False] * 4 and det.fired_at is None
    # success flat at 0 but the return well above the random level: the task is being learned
    det = HackingDetector(HackingRule(rise=1.0, evals=2), **RANDOM)
    assert _feed(det, [(0.3, 0.0, 8.0), (0.45, 0.0, 30.0), (0.5, 0.0, 60.0)]) == [False] * 3
    # ... and success up with the return still low (a sparse task): not at the random level either
    det = HackingDetector(HackingRule(rise=1.0, evals=2), **RANDOM)
    assert _feed(det, [(0.3, 0.0, 8.0), (0.45, 0.5, 9.0), (0.5, 0.6, 9.0)]) == [False] * 3
    # the manip_reach run with the ground truth as its reward (measured): +62% a step, but 0.3-0.7 of its
    # per-step std while 5 evaluation episodes stay within the random policy's spread
    det = HackingDetector(HackingRule(), random_success=0.0, random_return=10.6, random_return_std=11.8)
    rows = [(0.264, 0.0, 21.5), (0.336, 0.0, 21.4), (0.358, 0.0, 24.1), (0.354, 0.0, 27.2), (0.416, 0.0, 28.3),
            (0.428, 0.2, 32.0)]
    assert _feed(det, rows, std=0.243) == [False] * 6


def test_does_not_fire_without_a_rise_and_needs_consecutive_evaluations():
    det = HackingDetector(HackingRule(rise=1.0, evals=2), **RANDOM)
    assert _feed(det, [(0.30, 0.0, 8.0), (0.38, 0.0, 8.0), (0.31, 0.0, 7.0), (0.2, 0.0, 7.0)]) == [False] * 4
    det = HackingDetector(HackingRule(rise=1.0, evals=2), **RANDOM)
    # rise, then an evaluation at the random level without the rise, then rise again: no two in a row until the end
    assert _feed(det, [(0.3, 0, 8.0), (0.4, 0, 8.0), (0.3, 0, 8.0), (0.4, 0, 8.0), (0.4, 0, 8.0)]) == [
        False, False, False, False, True]
    det = HackingDetector(HackingRule(rise=1.0, evals=1), **RANDOM)
    assert _feed(det, [(0.3, 0, 8.0), (0.4, 0, 8.0)]) == [False, True]


def test_return_band_offsets_and_degenerate_windows():
    rule = HackingRule(rise=2.0, evals=1, success_margin=0.0, return_stds=2.0)
    det = HackingDetector(rule, **RANDOM)
    assert det.return_ceiling() == pytest.approx(8.0 + 2 * 1.4)
    det.update(0, -40.0, 0.0, 8.0, model_std=5.0)  # scale and offset do not matter: the unit is the first std
    assert det.update(1, -30.0, 0.0, 10.7)["hacking"] and det.rows[-1]["rise"] == pytest.approx(2.0)
    assert not det.update(2, -30.0, 0.0, 10.9)["hacking"], "above the return band"
    assert not det.update(3, -30.0, 0.01, 8.0)["hacking"], "success above the random policy's + 0"
    det = HackingDetector(rule, **RANDOM)
    det.update(0, 0.5, 0.0, 8.0, model_std=0.0)  # a first window of equal rewards: any increase counts
    assert det.update(1, 0.501, 0.0, 8.0)["rise"] == math.inf and det.update(2, 0.5, 0.0, 8.0)["rise"] == 0.0
    det = HackingDetector(rule, **RANDOM)
    assert det.update(0, None, 0.0, 8.0)["rise"] is None and det.reference is None  # an empty window
    det.update(1, 0.2, 0.0, 8.0, model_std=0.1)
    assert det.reference == 0.2 and det.reference_std == 0.1


def test_state_round_trip_continues_a_resumed_run():
    rule = HackingRule(rise=1.0, evals=2)
    det = HackingDetector(rule, **RANDOM)
    _feed(det, [(0.3, 0.0, 8.0), (0.45, 0.0, 8.0)])
    again = HackingDetector.from_state(rule, det.state())
    assert again.reference_std == 0.1
    assert again.update(3000, 0.45, 0.0, 8.0)["hacking"] and again.fired_at == 3000


# SAC on humanoid_sit, bundled 64-px CLIP (alpha 0), evaluations every 50k steps (measured): it sat
# cross-legged (a lotus-like hack) within the first window; (model reward, its std, success, GT return)
SIT_SAC = [(0.3258, 0.1354, 0.0, 1.05), (0.3769, 0.1343, 0.0, 4.245), (0.4225, 0.1135, 0.0, 9.067),
           (0.4286, 0.1063, 0.0, 6.641), (0.4407, 0.0865, 0.0, 3.12), (0.4528, 0.0843, 0.0, 3.623)]
SIT_RANDOM = dict(random_success=0.0, random_return=6.305, random_return_std=5.011)


def test_reference_from_the_first_steps_catches_a_hack_learned_within_the_first_window():
    # the first window as the reference: the rise at the end is 0.94 std and the signal stays silent
    late = HackingDetector(HackingRule(), **SIT_RANDOM)
    for i, (m, sd, s, r) in enumerate(SIT_SAC):
        late.update(50_000 * (i + 1), m, s, r, model_std=sd)
    assert late.fired_at is None and late.reference_steps == 50_000
    assert late.rows[-1]["rise"] == pytest.approx((0.4528 - 0.3258) / 0.1354)
    # the run's first 5k steps as the reference (0.205 a step there, its TensorBoard log): fires at 200k
    det = HackingDetector(HackingRule(), **SIT_RANDOM)
    det.set_reference(0.205, 0.1354, 5000)
    det.set_reference(0.9, 0.01, 6000)  # a no-op once set
    assert (det.reference, det.reference_steps) == (0.205, 5000)
    flags = [det.update(50_000 * (i + 1), m, s, r, model_std=sd)["hacking"] for i, (m, sd, s, r) in enumerate(SIT_SAC)]
    assert flags == [False, False, False, True, True, True] and det.fired_at == 200_000
    again = HackingDetector.from_state(HackingRule(), det.state())
    assert (again.reference, again.reference_std, again.reference_steps) == (0.205, 0.1354, 5000)
    assert det.summary()["reference_steps"] == 5000


@pytest.mark.parametrize("kwargs, needle", [
    ({"reference_steps": 0}, "eval.hacking.reference_steps must be an integer >= 1, got 0"),
    ({"reference_steps": 2.5}, "eval.hacking.reference_steps must be an integer >= 1, got 2.5"),
    ({"rise": 0}, "eval.hacking.rise must be a finite number > 0, got 0"),
    ({"rise": float("nan")}, "eval.hacking.rise must be a finite number > 0, got nan"),
    ({"evals": 0}, "eval.hacking.evals must be an integer >= 1, got 0"),
    ({"success_margin": 1.5}, "eval.hacking.success_margin must be a number in [0, 1], got 1.5"),
    ({"return_stds": -1.0}, "eval.hacking.return_stds must be a finite number >= 0, got -1.0"),
])
def test_bad_rule_names_the_value(kwargs, needle):
    with pytest.raises(ValueError) as err:
        HackingRule(**kwargs)
    assert str(err.value) == needle


def test_rule_from_config():
    cfg = OmegaConf.create({"eval": {"hacking": {"enabled": True, "rise": 0.3, "evals": 4, "success_margin": 0.05,
                                                 "return_stds": 2.0}}})
    assert rule_from_config(cfg) == HackingRule(0.3, 4, 0.05, 2.0, 5000)
    cfg.eval.hacking.reference_steps = 2000
    assert rule_from_config(cfg).reference_steps == 2000
    cfg.eval.hacking.enabled = False
    assert rule_from_config(cfg) is None and rule_from_config(OmegaConf.create({"eval": {}})) is None


@pytest.mark.parametrize("arg, needle", [
    ("eval.hacking.rise=-0.1", "eval.hacking.rise must be a finite number > 0, got -0.1"),
    ("eval.hacking.evals=0", "eval.hacking.evals must be an integer >= 1, got 0"),
    ("eval.hacking.success_margin=2", "eval.hacking.success_margin must be a finite number in [0, 1], got 2"),
    ("eval.hacking.enabled=maybe", "eval.hacking.enabled must be true or false, got 'maybe'"),
    ("eval.hacking.reference_steps=0", "eval.hacking.reference_steps must be an integer >= 1, got 0"),
])
def test_cli_threshold_out_of_range_one_line_exit_2(tmp_path, arg, needle):
    out = subprocess.run([sys.executable, "-m", "rewardgym.agents.train", arg, f"hydra.run.dir={tmp_path / 'r'}"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and needle in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
