"""Reward-quality metrics on synthetic rewards with known answers."""
import numpy as np
import pytest

from rewardgym.reward_quality import metrics as M

GAMMA = 0.9
N_STATES, N_ACTIONS = 40, 5


@pytest.fixture(scope="module")
def world():
    """A finite MDP's reward tables and transitions sampled from it (states/actions as indices)."""
    rng = np.random.default_rng(0)
    table = rng.normal(size=(N_STATES, N_ACTIONS, N_STATES))
    phi = rng.normal(scale=3.0, size=N_STATES)
    s = rng.integers(0, N_STATES, 3000)
    a = rng.integers(0, N_ACTIONS, 3000)
    sn = rng.integers(0, N_STATES, 3000)
    cov_s, cov_a = rng.integers(0, N_STATES, 400), rng.integers(0, N_ACTIONS, 400)
    return table, phi, (s, a, sn, cov_s, cov_a)


def fn(table):
    return lambda s, a, sn: table[s, a, sn]


def test_epic_zero_for_scaled_and_shaped(world):
    table, phi, data = world
    shaped = 3.0 * table + GAMMA * phi[None, None, :] - phi[:, None, None]
    assert M.pearson(table[data[0], data[1], data[2]], shaped[data[0], data[1], data[2]]) < 0.8  # shaping matters
    d = M.epic_distance(fn(table), fn(shaped), *data, gamma=GAMMA)
    assert d < 0.02


def test_epic_independent_and_negated(world):
    table, _, data = world
    other = np.random.default_rng(1).normal(size=table.shape)
    assert M.epic_distance(fn(table), fn(other), *data, gamma=GAMMA) == pytest.approx(np.sqrt(0.5), abs=0.04)
    assert M.epic_distance(fn(table), fn(-2.0 * table), *data, gamma=GAMMA) == pytest.approx(1.0, abs=1e-6)


def test_canonicalize_removes_exact_shaping(world):
    table, phi, data = world
    s, a, sn, cov_s, cov_a = data
    pot = lambda s, a, sn: GAMMA * phi[sn] - phi[s]  # noqa: E731
    c = M.canonicalize(pot, s, a, sn, cov_s, cov_a, GAMMA)
    assert np.abs(c).max() < 1e-9  # a pure potential-shaping term canonicalises to 0


def test_state_only_matches_general_form():
    rng = np.random.default_rng(2)
    f, g = rng.normal(size=50), rng.normal(size=50)
    g = g + 0.5 * f
    sn = rng.integers(0, 50, 500)
    s, a = rng.integers(0, 50, 500), np.zeros(500, int)
    cov = np.arange(50)  # coverage = every state once: the expectations are exact
    general = M.epic_distance(lambda s, a, sn: f[sn], lambda s, a, sn: g[sn], s, a, sn, cov, np.zeros(50, int))
    assert M.epic_state_only(f[sn], g[sn]) == pytest.approx(general, abs=0.03)
    assert M.epic_state_only(f, 5 * f + 7) == pytest.approx(0.0, abs=1e-7)
    assert M.epic_state_only(f, -f) == pytest.approx(1.0)


def test_correlation_signs_and_constant():
    x = np.linspace(0, 1, 100)
    assert M.pearson(x, 2 * x + 1) == pytest.approx(1.0)
    assert M.pearson(x, -x) == pytest.approx(-1.0)
    assert M.spearman(x, x ** 3) == pytest.approx(1.0)  # monotone, not linear
    assert M.pearson(x, x ** 3) < 0.95
    assert M.spearman(x, -np.exp(x)) == pytest.approx(-1.0)
    assert np.isnan(M.pearson(x, np.ones(100)))
    with pytest.raises(ValueError, match="same length"):
        M.pearson(x, x[:5])
    with pytest.raises(ValueError, match="finite"):
        M.pearson(np.r_[x[:-1], np.nan], x)


def test_auc_and_threshold():
    rng = np.random.default_rng(3)
    labels = rng.random(500) < 0.3
    perfect = labels + 0.1 * rng.random(500)
    assert M.roc_auc(perfect, labels) == 1.0
    assert M.roc_auc(-perfect, labels) == 0.0
    assert M.roc_auc(np.ones(500), labels) == 0.5
    assert M.roc_auc(rng.random(500), labels) == pytest.approx(0.5, abs=0.07)
    assert np.isnan(M.roc_auc(perfect, np.zeros(500, bool)))
    best = M.best_threshold(perfect, labels)
    assert best["tpr"] == 1.0 and best["fpr"] == 0.0 and best["accuracy"] == 1.0
    assert 1.0 <= best["threshold"] <= perfect[labels].min()
    # AUC equals the pairwise definition on a small case with ties
    s, y = np.array([0.1, 0.4, 0.4, 0.8, 0.2]), np.array([0, 1, 0, 1, 0], bool)
    pairs = [(p > n) + 0.5 * (p == n) for p in s[y] for n in s[~y]]
    assert M.roc_auc(s, y) == pytest.approx(np.mean(pairs))


def test_reward_metrics_bundle():
    rng = np.random.default_rng(4)
    gt = rng.random(200)
    out = M.reward_metrics(gt + 0.01 * rng.normal(size=200), gt, gt > 0.8)
    assert out["pearson"] > 0.99 and out["epic"] < 0.1 and out["auc_success"] > 0.95 and out["steps"] == 200


def test_success_over_failing_flags_a_policy_whose_failures_outscore_the_goal():
    """Per policy: the AUC of success frames (any policy's) against this policy's failing frames. A
    policy whose failing states the model scores above the goal (a hack) gets < 0.5; an honest
    failure > 0.5; a policy with no failing step NaN."""
    from rewardgym.reward_quality.report import compute
    from rewardgym.reward_quality.rollouts import Episode

    expert = Episode("expert", model=[0.5, 0.7, 0.8], gt=[0.2, 0.9, 1.0], success=[False, True, True])
    random = Episode("random", model=[0.1, 0.2, 0.3], gt=[0.0, 0.1, 0.0], success=[False] * 3)
    hacker = Episode("ppo", model=[0.9, 0.95, 0.6], gt=[0.0, 0.0, 0.1], success=[False] * 3)
    winner = Episode("winner", model=[0.8, 0.9], gt=[1.0, 1.0], success=[True, True])
    per = compute([expert, random, hacker, winner])["per_policy"]
    assert per["random"]["auc_success_over_failing"] == 1.0
    # success frames 0.7 0.8 0.8 0.9 against failures 0.9 0.95 0.6: each beats 0.6, the 0.9 ties 0.9: 4.5 of 12
    assert per["ppo"]["auc_success_over_failing"] == pytest.approx(4.5 / 12)
    assert per["expert"]["auc_success_over_failing"] == 1.0
    assert np.isnan(per["winner"]["auc_success_over_failing"])
