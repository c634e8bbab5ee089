"""The run's learning_curve.png: its curves are named after the run's algorithm."""
import json

import pytest

pytest.importorskip("matplotlib")

from rewardgym.agents.monitor_data import plot_learning_curve  # noqa: E402


def _monitor(run_dir, episodes):
    (run_dir / "monitor").mkdir()
    lines = ['#' + json.dumps({"t_start": 0.0, "env_id": "x"}), "r,l,t,success"]
    lines += [f"{r},{10},{0.1 * i},{r > 5}" for i, r in enumerate(episodes)]
    (run_dir / "monitor" / "env0.monitor.csv").write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("agent", ["SAC", "PPO"])
def test_curves_are_labelled_with_the_runs_algorithm(tmp_path, monkeypatch, agent):
    import matplotlib.figure

    _monitor(tmp_path, [1.0, 3.0, 7.0, 9.0])
    legends = []
    save = matplotlib.figure.Figure.savefig

    def record(fig, *args, **kwargs):
        legends.extend(t.get_text() for ax in fig.axes for t in ax.get_legend().get_texts())
        return save(fig, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", record)
    out = plot_learning_curve(tmp_path, tmp_path / "curve.png", "t", {"r": 2.0, "success": 0.0}, agent=agent)
    assert out.stat().st_size > 0
    assert legends.count(f"{agent} (moving avg 1)") == 2 and legends.count("random policy") == 2
