"""benchmarks/stalls.py's report, from a small made-up stalls.json: which runs it calls stalled, the table and the
means it prints, and that control runs (trained without probes) stay out of it. No training: seconds."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
SEEDS = ROOT / "benchmarks" / "results" / "seeds" / "results.jsonl"
pytestmark = pytest.mark.skipif(not SEEDS.exists(), reason="the committed seeds sweep is not in this checkout")


def _module():
    spec = importlib.util.spec_from_file_location("stalls", ROOT / "benchmarks" / "stalls.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(seed: int, accuracy: float, radius_1: float, grad: float, probe: bool = True) -> dict:
    norms = {"seq/simple_rnn/simple_rnn_cell/recurrent_kernel": grad, "seq/embedding/embeddings": grad / 2}
    return {
        "seed": seed,
        "probe": probe,
        "test_accuracy": accuracy,
        "sweep_test_accuracy": None,
        "spectral_radius": [1.0, radius_1, 1.2, 1.3, 1.4, 1.5],
        "gradients": [{"epoch": e, "loss": 0.6, "norms": norms} for e in (0, 0.5, 1, 2, 3, 4, 5)],
        "accuracy_by_length": [
            {"low": 0, "high": 100, "n": 10, "accuracy": accuracy + 0.02},
            {"low": 100, "high": 200, "n": 10, "accuracy": accuracy - 0.02},
            {"low": 200, "high": 400, "n": 0, "accuracy": None},
            {"low": 400, "high": 10**9, "n": 5, "accuracy": accuracy},
        ],
        "steps_holding_90": 10,
    }


def test_the_report_calls_runs_below_the_threshold_stalled_and_leaves_controls_out(tmp_path):
    stalls = _module()
    threshold = stalls.stall_threshold()
    runs = [
        _run(1, threshold - 0.05, 1.3, 0.2),
        _run(2, threshold + 0.05, 1.1, 0.4),
        _run(3, threshold - 0.10, 1.5, 0.6, probe=False),  # a control: not in the report
    ]
    path = tmp_path / "stalls.json"
    path.write_text(json.dumps({"runs": runs}))
    md, png = stalls.write_report(path, tmp_path)
    text = md.read_text()
    assert "| 1 | yes |" in text and "| 2 | no |" in text and "| 3 |" not in text
    assert "| stalled | 1 | " in text and "| 1.300 | 1.500 | 0.2000 | 0.040 | 10.0 |" in text
    assert "| healthy | 1 | " in text and "| 1.100 | 1.500 | 0.4000 | 0.040 | 10.0 |" in text
    assert " — |" in text  # the empty length group
    assert png.read_bytes()[:4] == b"\x89PNG"
