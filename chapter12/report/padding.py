"""Padding in front or behind, with or without a mask: the runs of benchmarks/padding_masking.py, summarised.

The accuracy notebook shows the table and computes its sentences here from the committed runs.jsonl.
"""

from __future__ import annotations

import json
import os
import statistics
from pathlib import Path

from chapter12.errors import Chapter12Error
from chapter12.paths import COMMITTED_RESULTS
from chapter12.report.sweep import MODEL_NAMES

PADDING_RUNS = COMMITTED_RESULTS / "padding_masking" / "runs.jsonl"
_FIELDS = {"data": str, "padding": str, "mask_zero": bool, "model": str, "seed": int, "test_accuracy": float}
SETTINGS = [("pre", False), ("post", False), ("pre", True), ("post", True)]  # the book's first
SETTING_NAMES = {
    ("pre", False): "zeros in front (the book's)",
    ("post", False): "zeros behind",
    ("pre", True): "zeros in front, masked",
    ("post", True): "zeros behind, masked",
}


def read_padding_runs(path: "str | os.PathLike" = PADDING_RUNS) -> list[dict]:
    """The runs of one runs.jsonl, each checked for the fields the summary needs."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise Chapter12Error(f"cannot read {path} ({e}); run benchmarks/padding_masking.py first") from None
    rows = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise Chapter12Error(f"{path}, line {n}: not JSON; delete the line and rerun to measure it again") from None
        if not isinstance(row, dict):
            raise Chapter12Error(f"{path}, line {n}: not a run (a JSON object); delete the line and rerun")
        bad = [k for k, kind in _FIELDS.items() if not isinstance(row.get(k), (int, float) if kind is float else kind)]
        if bad:
            raise Chapter12Error(f"{path}, line {n}: missing or wrong {', '.join(bad)}")
        rows.append(row)
    return rows


def data_sets(rows: list[dict]) -> list[str]:
    """The data sets the runs cover, the sample first."""
    return sorted({r["data"] for r in rows}, key=lambda d: d != "sample")


def means(rows: list[dict], data: str) -> dict[tuple[str, str, bool], tuple[float, int]]:
    """(model, padding, mask_zero) -> (mean test accuracy over the seeds, number of seeds), for one data set."""
    groups: dict[tuple[str, str, bool], list[float]] = {}
    for r in rows:
        if r["data"] == data:
            groups.setdefault((r["model"], r["padding"], r["mask_zero"]), []).append(r["test_accuracy"])
    return {key: (statistics.fmean(values), len(values)) for key, values in groups.items()}


def padding_table(rows: list[dict]) -> str:
    """One Markdown table per data set: models as rows, the four settings as columns."""
    out = []
    for data in data_sets(rows):
        m = means(rows, data)
        lines = [
            f"**{data}** (test accuracy, mean over seeds; seeds per cell in brackets)",
            "",
            "| model | " + " | ".join(SETTING_NAMES[s] for s in SETTINGS) + " |",
            "|---" * (len(SETTINGS) + 1) + "|",
        ]
        for model in ("simple_rnn", "lstm"):
            cells = [f"{m[(model, *s)][0]:.4f} ({m[(model, *s)][1]})" if (model, *s) in m else "—" for s in SETTINGS]
            lines.append(f"| {MODEL_NAMES.get(model, model)} | " + " | ".join(cells) + " |")
        out.append("\n".join(lines) + "\n")
    return "\n".join(out)


def padding_sentences(rows: list[dict], data: str) -> str:
    """What moving the zeros behind the review, and masking them, did to each model, from the runs."""
    m = means(rows, data)
    parts, losses = [], {}
    for model in ("simple_rnn", "lstm"):
        book = m.get((model, "pre", False))
        post = m.get((model, "post", False))
        masked = m.get((model, "post", True))
        if not (book and post and masked):
            continue
        losses[model] = round(100 * (book[0] - post[0]), 1)  # points lost by moving the zeros behind, unmasked
        parts.append(
            f"for the {MODEL_NAMES.get(model, model)}, zeros behind the review give {post[0]:.3f} against "
            f"{book[0]:.3f} with the book's zeros in front ({0 - losses[model]:+.1f} points), and "
            f"{masked[0]:.3f} when they are masked"
        )
    if not parts:
        return f"The {data} runs do not cover both paddings with and without a mask yet."
    sentence = f"On the {data} data, " + "; ".join(parts) + "."
    if len(losses) == 2:
        (worse, most), (other, least) = sorted(losses.items(), key=lambda kv: -kv[1])
        if most == least:
            sentence += f" Unmasked zeros behind the review changed both models by the same {most:.1f} points."
        elif least > 0:
            sentence += (
                f" Unmasked zeros behind the review cost the {MODEL_NAMES[worse]} more than the {MODEL_NAMES[other]} "
                f"({most:.1f} against {least:.1f} points)."
            )
        elif most > 0:
            sentence += (
                f" Unmasked zeros behind the review cost the {MODEL_NAMES[worse]} {most:.1f} points and "
                f"did not hurt the {MODEL_NAMES[other]}."
            )
        else:
            sentence += " Unmasked zeros behind the review hurt neither model."
    return sentence
