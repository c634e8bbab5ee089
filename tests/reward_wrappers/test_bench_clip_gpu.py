"""benchmarks/bench_clip_gpu.py, the CLIP reward's GPU measurement, run on the CPU: its code path,
its JSON and its refusals (the numbers themselves need a GPU machine)."""
import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("open_clip")


def test_model_rates_on_the_cpu_write_one_row_per_model_and_batch(tiny_clip, tmp_path, monkeypatch, benchmark_script):
    from rewardgym.reward_wrappers import clip_models

    monkeypatch.setenv("REWARDGYM_CPU_BF16", "0")   # float32 everywhere: the forward is timed on its own
    clip_models.load_clip.cache_clear()
    out = tmp_path / "gpu.json"
    rc = benchmark_script("bench_clip_gpu").main(["--device", "cpu", "--models", f"rewardgym-clip-small,{tiny_clip[0]}", "--batches", "2,3",
                        "--repeats", "1", "--train-steps", "0", "--out", str(out)])
    assert rc == 0
    result = json.loads(out.read_text())
    assert result["environment"]["device"] == "cpu" and "training" not in result
    rows = result["model"]
    assert [(r["model"], r["batch"]) for r in rows] == [("rewardgym-clip-small", 2), ("rewardgym-clip-small", 3),
                                                        (tiny_clip[0], 2), (tiny_clip[0], 3)]
    assert rows[0]["image_size"] == 96 and rows[0]["dtype"] == "float32"
    for r in rows:
        assert r["reward_path_frames_per_s"] > 0 and r["forward_frames_per_s"] > 0


def test_bad_batches_and_a_missing_cuda_device_are_one_line_and_exit_2(capsys, benchmark_script):
    bench = benchmark_script("bench_clip_gpu")
    assert bench.main(["--batches", "64,0", "--train-steps", "0"]) == 2
    assert "--batches must be positive integers, got '64,0'" in capsys.readouterr().err
    if not torch.cuda.is_available():
        assert bench.main(["--train-steps", "0"]) == 2
        assert "sees no CUDA device" in capsys.readouterr().err


def test_the_cuda_training_variant_exists_and_is_not_picked_by_defaults(benchmark_script):
    training = benchmark_script("bench_clip_training")
    cuda = [n for n in training.VARIANTS if "model on CUDA" in n]
    assert len(cuda) == 1 and "reward.device=cuda" in training.VARIANTS[cuda[0]]
    assert "defaults" not in cuda[0], "--only defaults on a CPU machine must not select the CUDA run"
