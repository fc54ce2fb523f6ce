"""The claims ledger: section 12.3's testable statements, each given a verdict computed from a measurement.

`claims.yaml` beside this module lists the claims, where each number comes from, and the rules that turn
the numbers into a verdict. `evaluate_claims(run_dirs)` reads the run folders' results files and the committed
results under benchmarks/results/, and returns one `Evaluation` per claim; a claim whose numbers are
missing is "not measured", never guessed. `python -m chapter12 claims RUN_DIR...` prints them, and
`--write docs/claims.md` makes the page (`--check` tells whether the page is current).
"""

from __future__ import annotations

import math
import os
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chapter12.checks import is_number
from chapter12.errors import Chapter12Error
from chapter12.paths import SEEDS_RESULTS
from chapter12.paths import SWEEP_FULL as SWEEP_FULL_DIR
from chapter12.report.distribution import group_stats, runs_by_group
from chapter12.report.notebooks import NOTEBOOKS, read_results
from chapter12.report.records import read_sweep
from chapter12.report.sweep import gap_by, ok_rows
from chapter12.report.word2vec import WORD2VEC_RESULTS, read_word2vec_results

LEDGER = Path(__file__).with_name("claims.yaml")
SEEDS = SEEDS_RESULTS
SWEEP_FULL = SWEEP_FULL_DIR / "results.jsonl"

SEED_STATS = {"mean", "sd", "n", "min", "max", "book", "book_percentile", "book_p", "book_typical"}
TIMING_STATS = {
    "ratio_median",
    "ratio_min",
    "ratio_max",
    "simple_rnn_median_epoch_seconds",
    "lstm_median_epoch_seconds",
}
# Committed results files other than the sweeps, read as JSON: name -> path.
COMMITTED = {"word2vec": WORD2VEC_RESULTS}
VERDICTS = ("holds", "holds with a condition", "does not hold", "erratum", "not testable here")
NOT_MEASURED = "not measured"
OPERATORS = {
    "below": ("<", lambda x, v: x < v),
    "above": (">", lambda x, v: x > v),
    "at_most": ("≤", lambda x, v: x <= v),
    "at_least": ("≥", lambda x, v: x >= v),
    "between": ("between", lambda x, v: v[0] <= x <= v[1]),
    "equals": ("=", lambda x, v: x == v),
}
_NUMERIC = {"below", "above", "at_most", "at_least", "between"}
_SPEC_KINDS = ("results", "committed", "seeds", "run_accuracy", "timing", "sweep_lead", "difference", "ratio")
_FIELDS = ("id", "section", "claim", "values", "rules", "otherwise", "say", "measured", "figure")


@dataclass(frozen=True)
class Claim:
    """One entry of the ledger (see claims.yaml for what each field holds)."""

    id: str
    section: str
    claim: str
    values: dict[str, dict]
    rules: list[dict]
    otherwise: str
    say: str
    measured: str
    figure: str
    condition: str = ""
    full_data_only: bool = False


@dataclass
class Evaluation:
    """A claim, its numbers (None where missing), its verdict and the sentence with its numbers."""

    claim: Claim
    values: dict[str, Any]
    verdict: str
    text: str
    missing: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- the ledger


def load_ledger(path: "str | os.PathLike" = LEDGER) -> list[Claim]:
    """The ledger's claims, checked: known fields, verdicts and operators, rules that name declared values."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise Chapter12Error(f"cannot read the claims ledger {path} ({e})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise Chapter12Error(
            f"cannot read the claims ledger {path}: {getattr(e, 'problem', None) or 'not YAML'}{where}"
        ) from None
    entries = data.get("claims") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise Chapter12Error(f"{path} has no list of claims under 'claims:'")
    claims, seen = [], set()
    for n, entry in enumerate(entries, 1):
        where = f"{path.name}, claim {n}" + (f" ({entry.get('id')})" if isinstance(entry, dict) else "")
        if not isinstance(entry, dict):
            raise Chapter12Error(f"{where}: each claim must be a mapping")
        missing = [f for f in _FIELDS if f not in entry]
        unknown = sorted(set(entry) - set(_FIELDS) - {"condition", "full_data_only"})
        if missing or unknown:
            raise Chapter12Error(f"{where}: missing {missing or 'nothing'}, unknown {unknown or 'nothing'}")
        claim = Claim(
            **{f: entry[f] for f in _FIELDS},
            condition=entry.get("condition") or "",
            full_data_only=bool(entry.get("full_data_only", False)),
        )
        if claim.id in seen:
            raise Chapter12Error(f"{where}: the id {claim.id!r} is used twice")
        seen.add(claim.id)
        _check_claim(claim, where)
        claims.append(claim)
    return claims


def _check_claim(claim: Claim, where: str) -> None:
    if not isinstance(claim.values, dict) or not isinstance(claim.rules, list):
        raise Chapter12Error(f"{where}: values must be a mapping and rules a list")
    for name, spec in claim.values.items():
        _check_spec(spec, f"{where}, value {name!r}")
    if not all(isinstance(r, dict) for r in claim.rules):
        raise Chapter12Error(f"{where}: each rule must be a mapping with 'if' and 'verdict'")
    verdicts = [r.get("verdict") for r in claim.rules] + [claim.otherwise]
    bad = [v for v in verdicts if v not in VERDICTS + (NOT_MEASURED,)]
    if bad or len(verdicts) != len(claim.rules) + 1:
        raise Chapter12Error(f"{where}: unknown verdicts {bad}; use one of {', '.join(VERDICTS)}")
    if "holds with a condition" in verdicts and not claim.condition:
        raise Chapter12Error(f"{where}: 'holds with a condition' needs a condition")
    for rule in claim.rules:
        conditions = rule.get("if")
        if not isinstance(conditions, dict) or not conditions:
            raise Chapter12Error(f"{where}: every rule needs an 'if' with at least one condition")
        for name, test in conditions.items():
            if name not in claim.values:
                raise Chapter12Error(f"{where}: a rule tests {name!r}, which is not among its values")
            if not isinstance(test, dict) or len(test) != 1 or next(iter(test)) not in OPERATORS:
                raise Chapter12Error(f"{where}: the test of {name!r} must be one of {', '.join(OPERATORS)}")


def _check_spec(spec: Any, where: str) -> None:
    kinds = [k for k in _SPEC_KINDS if isinstance(spec, dict) and k in spec]
    if len(kinds) != 1:
        raise Chapter12Error(f"{where}: say where the number comes from, with one of {', '.join(_SPEC_KINDS)}")
    kind = kinds[0]
    if kind == "results" and spec["results"] not in NOTEBOOKS:
        raise Chapter12Error(f"{where}: unknown results kind {spec['results']!r}; choose from {', '.join(NOTEBOOKS)}")
    if kind == "committed" and spec["committed"] not in COMMITTED:
        known = ", ".join(COMMITTED)
        raise Chapter12Error(f"{where}: unknown committed results {spec['committed']!r}; choose from {known}")
    allowed = {"seeds": SEED_STATS, "sweep_lead": {"lead", "maxlen"}, "timing": TIMING_STATS}.get(kind)
    if allowed is not None and spec.get("stat") not in allowed:
        raise Chapter12Error(f"{where}: stat must be one of {', '.join(sorted(allowed))}, got {spec.get('stat')!r}")
    if kind == "sweep_lead" and spec["sweep_lead"] not in ("shortest", "longest"):
        raise Chapter12Error(f"{where}: sweep_lead must be shortest or longest, got {spec['sweep_lead']!r}")
    if kind in ("difference", "ratio"):
        if not isinstance(spec[kind], list) or len(spec[kind]) != 2:
            raise Chapter12Error(f"{where}: {kind} takes a list of two values")
        for part in spec[kind]:
            _check_spec(part, where)


# ----------------------------------------------------------------------------- the numbers


class Sources:
    """Where the numbers come from: run folders (searched in order for each results file) and the committed
    results over seeds and over maxlen. Each file is read once."""

    def __init__(
        self,
        run_dirs: "list[str | os.PathLike]" = (),
        seeds: Path | None = SEEDS,
        sweep: Path | None = SWEEP_FULL,
        committed: dict[str, Path] | None = None,
    ):
        self.run_dirs = [Path(d) for d in run_dirs]
        for d in self.run_dirs:
            if not d.is_dir():
                raise Chapter12Error(f"{d} is not a folder; pass a run folder of `python -m chapter12 reproduce`")
        self.seeds, self.sweep = seeds, sweep
        self.committed_files = dict(COMMITTED if committed is None else committed)
        self._cache: dict[Any, Any] = {}

    def _once(self, key, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def results(self, kind: str) -> dict | None:
        def find():
            for d in self.run_dirs:
                path = d / NOTEBOOKS[kind].results_file
                if path.is_file():
                    return read_results(path)
            return None

        return self._once(("results", kind), find)

    def committed(self, name: str) -> dict | None:
        def read():
            path = self.committed_files.get(name)
            return read_word2vec_results(path) if path is not None and Path(path).is_file() else None

        return self._once(("committed", name), read)

    def seed_stats(self, model: str, backend: str = "tensorflow") -> dict | None:
        def compute():
            if self.seeds is None or not Path(self.seeds).is_file():
                return None
            runs = runs_by_group(read_sweep(self.seeds)[1]).get((model, backend))
            return group_stats(runs, model) if runs else None

        return self._once(("seeds", model, backend), compute)

    def sweep_gaps(self) -> list | None:
        def compute():
            if self.sweep is None or not Path(self.sweep).is_file():
                return None
            return gap_by(ok_rows(read_sweep(self.sweep)[1]), "maxlen") or None

        return self._once(("sweep",), compute)


def value_of(spec: dict, sources: Sources) -> Any:
    """The number (or word) a value spec names, or None when it was not measured."""
    if "difference" in spec or "ratio" in spec:
        a, b = (value_of(part, sources) for part in spec.get("difference") or spec["ratio"])
        if not _is_number(a) or not _is_number(b):
            return None
        if "ratio" in spec:
            return a / b if b else None
        return abs(a - b) if spec.get("abs") else a - b
    if "results" in spec or "committed" in spec:
        node: Any = sources.results(spec["results"]) if "results" in spec else sources.committed(spec["committed"])
        for key in spec.get("path", []):
            if isinstance(node, dict) and str(key) in node:
                node = node[str(key)]
            elif isinstance(node, list) and isinstance(key, int) and -len(node) <= key < len(node):
                node = node[key]
            else:
                return None
        return node
    if "seeds" in spec:
        stats = sources.seed_stats(spec["seeds"])
        return None if stats is None else stats.get(spec.get("stat", "mean"))
    if "run_accuracy" in spec:
        accuracy = sources.results("accuracy")
        values = [
            r["test_accuracy"] for r in (accuracy or {}).get("runs", []) if r.get("model") == spec["run_accuracy"]
        ]
        return statistics.fmean(values) if values else None
    if "timing" in spec:
        timing = sources.results("timing") or {}
        rows = [r for r in timing.get("timing_summary", []) if r.get("variant") == spec["timing"]]
        rows.sort(key=lambda r: r.get("backend") != "tensorflow")
        return rows[0].get(spec.get("stat", "ratio_median")) if rows else None
    if "sweep_lead" in spec:
        gaps = sources.sweep_gaps()
        if not gaps:
            return None
        maxlen, lead, _ = gaps[0] if spec["sweep_lead"] == "shortest" else gaps[-1]
        return maxlen if spec.get("stat") == "maxlen" else lead
    raise Chapter12Error(f"unknown value spec {spec!r}")


def _is_number(x: Any) -> bool:
    return is_number(x) and math.isfinite(x)


# ----------------------------------------------------------------------------- verdicts


def passes(test: dict, x: Any, where: str = "") -> bool:
    """Whether x passes one condition such as {"below": 0.05}."""
    ((op, limit),) = test.items()
    if op in _NUMERIC and not _is_number(x):
        raise Chapter12Error(f"{where}: {op} needs a number, the measurement gave {x!r}")
    return OPERATORS[op][1](x, limit)


def verdict_of(claim: Claim, values: dict[str, Any]) -> str:
    """The first rule whose every condition holds gives the verdict; reaching a rule whose values are missing
    gives 'not measured' (what that rule would say is unknown); no rule matching gives the claim's `otherwise`."""
    for rule in claim.rules:
        if any(values.get(name) is None for name in rule["if"]):
            return NOT_MEASURED
        if all(passes(test, values[name], f"claim {claim.id}, value {name}") for name, test in rule["if"].items()):
            return rule["verdict"]
    return claim.otherwise


class _Missing:
    def __format__(self, spec: str) -> str:
        return "(not measured)"


def evaluate_claim(claim: Claim, sources: Sources) -> Evaluation:
    values = {name: value_of(spec, sources) for name, spec in claim.values.items()}
    missing = [name for name, v in values.items() if v is None]
    shown = {name: (_Missing() if v is None else v) for name, v in values.items()}
    try:
        text = " ".join(claim.say.format_map(shown).split())
    except (ValueError, TypeError, KeyError) as e:
        raise Chapter12Error(f"claim {claim.id}: its 'say' does not fit its values ({e})") from None
    return Evaluation(claim, values, verdict_of(claim, values), text, missing)


def evaluate_claims(
    run_dirs: "list[str | os.PathLike]" = (), *, ledger: "str | os.PathLike" = LEDGER, **sources
) -> list[Evaluation]:
    """Every claim of the ledger, evaluated on the run folders and the committed results."""
    found = Sources(run_dirs, **sources)
    return [evaluate_claim(claim, found) for claim in load_ledger(ledger)]


def rule_in_words(claim: Claim) -> str:
    """The claim's rules as a sentence, e.g. 'holds if ratio < 0.001; otherwise does not hold'."""
    parts = []
    for rule in claim.rules:
        tests = []
        for name, test in rule["if"].items():
            ((op, limit),) = test.items()
            shown = f"{limit[0]:g} and {limit[1]:g}" if op == "between" else _plain(limit)
            tests.append(f"{name} {OPERATORS[op][0]} {shown}")
        parts.append(f"{rule['verdict']} if {' and '.join(tests)}")
    parts.append(("otherwise " if parts else "") + claim.otherwise)
    return "; ".join(parts)


def _plain(x: Any) -> str:
    if isinstance(x, bool):
        return str(x).lower()
    return f"{x:g}" if _is_number(x) else str(x)


# ----------------------------------------------------------------------------- output


def render_text(evaluations: list[Evaluation]) -> str:
    """For the terminal: one block per claim."""
    lines = []
    for e in evaluations:
        lines += [f"{e.claim.id} ({e.claim.section}): {e.verdict.upper()}", f"  {e.claim.claim.strip()}", f"  {e.text}"]
        if e.verdict == "holds with a condition":
            lines.append(f"  condition: {e.claim.condition.strip()}")
        lines.append("")
    lines.append(tally(evaluations))
    return "\n".join(lines) + "\n"


def tally(evaluations: list[Evaluation]) -> str:
    """'12 claims: 8 hold, ...' in the order of VERDICTS."""
    counts = {v: sum(e.verdict == v for e in evaluations) for v in VERDICTS + (NOT_MEASURED,)}
    words = {
        "holds": "hold",
        "holds with a condition": "hold with a condition",
        "does not hold": "do not hold",
        "erratum": "errata",
    }
    parts = [f"{n} {words.get(v, v) if n != 1 else v}" for v, n in counts.items() if n]
    return f"{len(evaluations)} claims: " + ", ".join(parts) + "."


def render_markdown(evaluations: list[Evaluation], run_dirs: list[str]) -> str:
    """docs/claims.md: a table of every claim with its verdict and number, then each claim's rule and sources."""
    where = ", ".join(f"`{d}`" for d in run_dirs) or "no run folder"
    lines = [
        "# The chapter's claims, checked",
        "",
        "<!-- generated by `python -m chapter12 claims "
        + " ".join(run_dirs)
        + " --write docs/claims.md` from chapter12/report/claims.yaml; do not edit -->",
        "",
        "Each statement of section 12.3 that a measurement can check, paraphrased, with the verdict that its rule "
        f"gives on the measured numbers. Numbers come from {where} and the committed results under "
        "`benchmarks/results/` (TensorFlow runs over seeds, the full-data sweep over `maxlen`). The verdicts are "
        'computed by the command above, never typed; a claim whose numbers are missing reads "not measured". The '
        "ledger, its rules and the meaning of each field are in `chapter12/report/claims.yaml`.",
        "",
        tally(evaluations),
        "",
        "| claim | section | verdict | the numbers |",
        "|---|---|---|---|",
    ]
    for e in evaluations:
        claim = " ".join(e.claim.claim.split())
        verdict = f"**{e.verdict}**" + (
            f": {' '.join(e.claim.condition.split())}" if e.verdict == "holds with a condition" else ""
        )
        lines.append(f"| {claim} | {e.claim.section} | {verdict} | {e.text} |")
    lines += ["", "## How each verdict is reached", ""]
    for e in evaluations:
        lines += [
            f"### {e.claim.id}",
            "",
            f"- measured in: {e.claim.measured}",
            f"- rule: {rule_in_words(e.claim)}",
            f"- figure: {e.claim.figure}",
        ]
        if e.claim.full_data_only:
            lines.append("- full data only: a quick run does not measure it")
        if e.missing:
            lines.append(f"- not measured here: {', '.join(e.missing)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
