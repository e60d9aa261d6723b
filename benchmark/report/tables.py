"""Paper-style tables built from run records (gazebench.harness.records.read_runs): Markdown, LaTeX or CSV.

Each table is first a numeric DataFrame (a value column `X` may come with `X se`, the standard error over
seeds); rendering folds `X` and `X se` into "mean ± se" for Markdown and LaTeX and keeps both for CSV.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gazebench.core.errors import UserInputError
from gazebench.core.settings import RUN
from gazebench.harness import records as run_records
from gazebench.metrics.accuracy import WITHIN_THRESHOLDS_DEG
from gazebench.report.gaps import gap_frame, has_gaps
from gazebench.report.intervals import resolved, t_interval
from gazebench.report.plots import plot_calibration, plot_runs

FORMATS = ("markdown", "latex", "csv")
TABLES = ("methods", "paired", "gaps", "within", "realism", "diagnostics", "calibration", "all")
SE_SUFFIX = " se"
SYNTHETIC_ONLY_REFINER = "identity"  # training on unrefined synthetic images is the paper's "synthetic" row


@dataclass
class Table:
    title: str
    frame: pd.DataFrame
    digits: int = 2


def _mean_se(values: pd.Series) -> tuple[float, float]:
    """Mean and standard error of the mean; the error is NaN with a single seed (nothing to spread)."""
    values = values.dropna().astype(float)
    if values.empty:
        return float("nan"), float("nan")
    se = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else float("nan")
    return float(values.mean()), float(se)


# Runs that differ in any of these are different experiments, never pooled as seeds of one. (`synthetic` itself
# is not among them: the default simulator spec carries the run's seed; `synthetic_setting` is what was asked for.)
SETTINGS = ("preset", "synthetic_setting", "real", "refiner_checkpoint", "n_test")
REFERENCE_SETTINGS = ("n_test",)  # references depend on the test set alone
# Since records carry `settings` (gazebench.harness.config.settings_record: `run.n_real`, `knn.n_neighbors`, ...),
# each one that differs between records becomes a grouping column of that name too, so two runs that differ by a
# --set are two rows. These flat keys repeat a column above (or `n train`), so they are left to it.
SETTINGS_RECORD = "settings"
REPEATED_SETTINGS = ("run.preset", "run.synthetic", "run.real", "run.refiner_checkpoint", "run.n_synthetic")


def _with_settings(records: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The records with a text column per setting that differs among the records that carry settings (the others,
    written before records did, read "" there and group as they always did), and those columns' names."""
    if SETTINGS_RECORD not in records:
        return records, []
    flat = records[SETTINGS_RECORD].map(lambda s: s if isinstance(s, dict) else None)
    carried = flat.dropna()
    keys = sorted({k for s in carried for k in s} - set(REPEATED_SETTINGS))
    text = {k: flat.map(lambda s, k=k: "" if s is None or k not in s else json.dumps(s[k], sort_keys=True) if isinstance(
        s[k], (list, tuple, dict)) else str(s[k])) for k in keys}
    differing = [k for k in keys if text[k][carried.index].nunique() > 1]
    return records.assign(**{k: text[k] for k in differing}), differing


def _newest_per_seed(records: pd.DataFrame, keys: list[str], settings: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Settings as text (a missing one groups with other missing ones), the newest run of each seed per
    `keys` + settings group, and the settings that differ between runs: those get a column, so rows that
    are different experiments look different."""
    records = records.assign(**{k: records[k].astype(object).fillna("").astype(str) for k in settings})
    shown = [k for k in settings if records[k].nunique() > 1]
    order = "run" if "run" in records else "seed"
    return records.sort_values(order).drop_duplicates([*keys, *settings, "seed"], keep="last"), shown


def _aggregate(records: pd.DataFrame, keys: list[str], values: dict[str, str], settings=SETTINGS) -> pd.DataFrame:
    """One row per `keys` (+ SETTINGS) group: the number of seeds, and mean + se over seeds of each `values` column.

    A seed run twice counts once (the newest run), so the standard error is over distinct seeds.
    """
    records, extra = _with_settings(records)
    settings = [k for k in settings if k in records and k not in keys] + (extra if settings is SETTINGS else [])
    records, shown = _newest_per_seed(records, keys, settings)
    rows = []
    for group, part in records.groupby([*keys, *settings], sort=True, dropna=False):
        group = group if isinstance(group, tuple) else (group,)
        row = dict(zip(keys, group[: len(keys)]))
        row.update({k: v for k, v in zip(settings, group[len(keys):]) if k in shown})
        row["seeds"] = int(part["seed"].nunique())
        for label, column in values.items():
            row[label], row[label + SE_SUFFIX] = _mean_se(part[column]) if column in part else (np.nan, np.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def _without_refiner_settings(oracles: pd.DataFrame) -> pd.DataFrame:
    """Oracle records with only the run's and their estimator's settings. An oracle is trained without a refiner,
    but its record is written in a refiner's cell and carries that refiner's settings too; kept, they would split
    one seed's oracle into a row per refiner setting, and the refiners that share it would each count it again."""
    if SETTINGS_RECORD not in oracles:
        return oracles
    own = [s if not isinstance(s, dict) else {k: v for k, v in s.items() if k.split(".", 1)[0] in (RUN, estimator)}
           for s, estimator in zip(oracles[SETTINGS_RECORD], oracles["estimator"])]
    return oracles.assign(**{SETTINGS_RECORD: own})


def method_table(records: pd.DataFrame) -> Table:
    """The paper's Table 3: mean angular error on the real test set per estimator x refiner (+ references)."""
    methods = records[records["kind"] == "method"]
    table = _aggregate(methods, ["real_test", "estimator", "refiner", "n_train"], {"mean error (deg)": "mean_angular_error_deg"})
    # References depend only on the test set (and the seed), not on the refiner: one value per seed.
    references = records[records["kind"] == "reference"].drop_duplicates(["real_test", "estimator", "seed"])
    if not references.empty:
        ref_table = _aggregate(references, ["real_test", "estimator"], {"mean error (deg)": "mean_angular_error_deg"},
                               settings=REFERENCE_SETTINGS)
        ref_table["refiner"] = "(reference)"
        ref_table["n_train"] = np.nan
        table = pd.concat([table, ref_table], ignore_index=True)
    # Oracle rows (harness/gap.py): each estimator trained on labelled images of the test domain, the best any
    # refiner could hope to reach with the same budget.
    oracles = _without_refiner_settings(records[records["kind"] == "oracle"])
    if not oracles.empty:
        table = pd.concat([table, _aggregate(oracles, ["real_test", "estimator", "refiner", "n_train"],
                                             {"mean error (deg)": "mean_angular_error_deg"})], ignore_index=True)
    table = table.rename(columns={"real_test": "test set", "n_train": "n train"})
    return Table("Method comparison: mean angular error on the real test set (deg), mean ± s.e. over seeds", table)


def paired_table(records: pd.DataFrame, level: float = 0.95) -> Table:
    """Each refiner against identity, paired by seed (same seed, same test images, same settings): the mean
    difference in mean angular error over seeds with a t confidence interval over seeds. Negative means the
    refiner helps; `resolved` says the interval excludes 0 (from MIN_SEEDS_TO_RESOLVE seeds on)."""
    return Table(f"Paired difference against identity (refiner - identity, deg; same seeds and test images), "
                 f"{level:.0%} t interval over seeds", _paired_frame(records[records["kind"] == "method"], level))


def _paired_frame(methods: pd.DataFrame, level: float, value: str = "mean_angular_error_deg") -> pd.DataFrame:
    """The paired differences of `value` (a per-run error column) against identity, one row per refiner group."""
    methods = methods.rename(columns={value: "value"}) if value != "value" else methods
    # A refiner loaded from a checkpoint still pairs with identity of the same seed: the checkpoint names
    # the refiner, not the experiment, so it is not matched on.
    # A refiner's own settings (`simgan_local.lr`) split its rows but are not matched on: identity has none.
    methods, extra = _with_settings(methods)
    own = [k for k in extra if k.split(".")[0] in set(methods["refiner"])]
    settings = [k for k in SETTINGS if k in methods and k != "refiner_checkpoint"] + [k for k in extra if k not in own]
    methods, shown = _newest_per_seed(methods, ["real_test", "estimator", "n_train", "refiner"], settings + own)
    keys = ["real_test", "estimator", "n_train", *settings]
    baseline = methods[methods["refiner"] == SYNTHETIC_ONLY_REFINER][[*keys, "seed", "value"]]
    pairs = methods[methods["refiner"] != SYNTHETIC_ONLY_REFINER].merge(baseline, on=[*keys, "seed"], suffixes=("", "_identity"))
    pairs["difference"] = pairs["value"] - pairs["value_identity"]
    rows = []
    for group, part in pairs.groupby([*keys, "refiner", *own], sort=True):
        row = dict(zip([*keys, "refiner", *own], group))
        row = {k: v for k, v in row.items() if k not in settings + own or k in shown}
        diffs = part["difference"].astype(float)
        row["seeds"] = int(len(diffs))
        row["difference (deg)"], row["CI low"], row["CI high"] = t_interval(diffs, level)
        row["resolved"] = resolved(row["CI low"], row["CI high"], len(diffs))
        rows.append(row)
    return pd.DataFrame(rows).rename(columns={"real_test": "test set", "n_train": "n train"})


def within_table(records: pd.DataFrame) -> Table:
    """The paper's Table 2: % of test images within d degrees, synthetic vs refined, 1x vs 4x training data."""
    methods = records[records["kind"] == "method"].copy()
    for d in WITHIN_THRESHOLDS_DEG:
        methods[f"within_{d}"] = methods["within_deg"].map(lambda w, d=d: w.get(str(d), np.nan))
    smallest = methods.groupby(["real_test", "estimator"])["n_train"].transform("min")
    methods["data"] = (methods["n_train"] / smallest).map(lambda r: f"{r:.3g}x")
    methods["training data"] = methods["refiner"].map(
        lambda r: "synthetic" if r == SYNTHETIC_ONLY_REFINER else f"refined ({r})"
    )
    columns = {f"≤{d}°": f"within_{d}" for d in WITHIN_THRESHOLDS_DEG}
    table = _aggregate(methods, ["real_test", "estimator", "training data", "data", "n_train"], columns)
    table = table.rename(columns={"real_test": "test set", "n_train": "n train"})
    return Table("Within d degrees: % of real test images (mean ± s.e. over seeds)", table, digits=1)


REALISM_COLUMNS = {
    "domain acc. (%)": "domain_accuracy_pct",
    "Fréchet real-refined": "frechet_real_refined",
    "Fréchet real-synthetic": "frechet_real_synthetic",
    "gaze drift (deg)": "gaze_drift_mean_deg",
    # The floor and the start (harness/gap.py): oracle images against the test domain (the same domain) and the
    # unrefined images, read by the same classifier; only runs with an oracle have them.
    "domain acc. unrefined (%)": "domain_accuracy_unrefined_pct",
    "domain acc. oracle floor (%)": "domain_accuracy_oracle_pct",
}


def realism_table(records: pd.DataFrame) -> Table:
    """Per refiner: real-vs-refined classifier accuracy (50% = indistinguishable), Fréchet distances, gaze drift."""
    runs = records[records["kind"] == "method"].drop_duplicates("run")
    present = {label: col for label, col in REALISM_COLUMNS.items() if col in runs and runs[col].notna().any()}
    if runs.empty or not present:
        return Table("Realism (no run recorded realism metrics)", pd.DataFrame(columns=["real", "refiner", "seeds"]))
    table = _aggregate(runs, ["real", "refiner", "n_train"], present).rename(columns={"n_train": "n train"})
    return Table("Realism per refiner, on held-out images (mean ± s.e. over seeds)", table)


DIAGNOSTIC_COLUMNS = {f"{angle} {what}": f"{angle}_{column}" for angle in ("pitch", "yaw")
                      for what, column in (("bias (deg)", "bias_deg"), ("gain", "gain"), ("corr.", "corr"))}


def diagnostics_table(records: pd.DataFrame) -> Table:
    """Per method row: mean bias (predicted - true), gain (slope of predicted on true) and correlation per angle.

    A refiner that fixes appearance raises gain and correlation; a geometric offset (the simulator, a person's
    kappa) shows as bias, which calibration removes."""
    methods = records[records["kind"] == "method"]
    present = {label: col for label, col in DIAGNOSTIC_COLUMNS.items() if col in methods}
    table = _aggregate(methods, ["real_test", "estimator", "refiner", "n_train"], present)
    return Table("Bias, gain and correlation of predictions on the real test set (mean ± s.e. over seeds)",
                 table.rename(columns={"real_test": "test set", "n_train": "n train"}))


def _calibrated_columns(methods: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The records with one column per correction and k (`offset k=9`), the corrections and the ks present."""
    if "calibrated" not in methods:
        return methods, [], []
    cells = {}
    for index, calibrated in methods["calibrated"].items():
        for kind, by_k in (calibrated if isinstance(calibrated, dict) else {}).items():
            for k, summary in by_k.items():
                cells.setdefault(f"{kind} k={k}", {})[index] = summary["mean"]
    kinds = sorted({c.split(" k=")[0] for c in cells}, key=lambda kind: kind != "offset")
    ks = sorted({c.split(" k=")[1] for c in cells}, key=int)
    return methods.assign(**{c: pd.Series(v) for c, v in cells.items()}), kinds, ks


def calibration_long(records: pd.DataFrame) -> pd.DataFrame:
    """One row per method run, correction and k (k=0: uncorrected) with its `error (deg)`, for the plot."""
    methods, kinds, ks = _calibrated_columns(records[records["kind"] == "method"])
    rows = []
    for kind in kinds:
        for k in ["0", *ks]:
            column = "mean_angular_error_deg" if k == "0" else f"{kind} k={k}"
            part = methods[["run", "estimator", "refiner", "seed", column]].rename(columns={column: "error (deg)"})
            rows.append(part.assign(correction=kind, k=int(k)))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def calibration_table(records: pd.DataFrame) -> list[Table]:
    """Error after few-shot calibration with k eyes of the test person (k=0: none), and its paired difference
    against identity at each k (metrics/calibration.py)."""
    methods, kinds, ks = _calibrated_columns(records[records["kind"] == "method"])
    if not kinds:
        return [Table("Calibration (no run recorded calibrated errors)", pd.DataFrame(columns=["estimator", "refiner"]))]
    frames, paired = [], []
    for kind in kinds:
        values = {"k=0": "mean_angular_error_deg", **{f"k={k}": f"{kind} k={k}" for k in ks}}
        frames.append(_aggregate(methods, ["real_test", "estimator", "refiner", "n_train"], values).assign(correction=kind))
        for k in ks:
            paired.append(_paired_frame(methods, 0.95, f"{kind} k={k}").assign(correction=kind, k=int(k)))
    table = pd.concat(frames, ignore_index=True).rename(columns={"real_test": "test set", "n_train": "n train"})
    first = ["test set", "estimator", "refiner", "correction"]
    table = table[first + [c for c in table.columns if c not in first]]
    paired_frame = pd.concat(paired, ignore_index=True)
    first = ["test set", "estimator", "refiner", "correction", "k"]
    paired_frame = paired_frame[[c for c in first if c in paired_frame] + [c for c in paired_frame if c not in first]]
    return [Table("Error after calibration with k labelled eyes per test person (deg, mean ± s.e. over seeds; "
                  "mean over draws of the k eyes)", table),
            Table("Paired difference against identity after calibration (deg, 95% t interval over seeds)", paired_frame)]


def gap_table(records: pd.DataFrame, level: float = 0.95) -> Table:
    """Per refiner and estimator: unrefined, refined and oracle error, and the gap closed (%) paired by seed."""
    methods = records[records["kind"] == "method"]
    if not has_gaps(methods):
        return Table("Gap closed (no run recorded an oracle: give --oracle, or use a simulator stand-in)",
                     pd.DataFrame(columns=["test set", "estimator", "refiner"]))
    methods, extra = _with_settings(methods)
    keys = [k for k in ("real_test", "estimator", "refiner", "n_train", *SETTINGS, *extra) if k in methods]
    methods, shown = _newest_per_seed(methods, keys[:4], keys[4:])
    frame = gap_frame(methods, keys, level).drop(columns=[k for k in keys[4:] if k not in shown])
    return Table(f"Gap closed: (unrefined - refined) / (unrefined - oracle) in mean error, per seed; mean over seeds "
                 f"with a {level:.0%} t interval", frame.rename(columns={"real_test": "test set", "n_train": "n train"}), digits=1)


def build_tables(records: pd.DataFrame, which: str = "all") -> list[Table]:
    builders = {"methods": method_table, "paired": paired_table, "gaps": gap_table, "within": within_table,
                "realism": realism_table, "diagnostics": diagnostics_table, "calibration": calibration_table}
    if which not in TABLES:
        raise UserInputError(f"Unknown table '{which}'; expected one of {', '.join(TABLES)}.")
    names = list(builders) if which == "all" else [which]
    if which == "all" and not has_gaps(records[records["kind"] == "method"]):
        names.remove("gaps")  # folders without an oracle print what they always did
    tables = []
    for name in names:
        built = builders[name](records)
        tables += built if isinstance(built, list) else [built]
    return tables


def _cell(value, se, digits: int) -> str:
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return "–"
        if float(value).is_integer() and se is None:
            return f"{int(value)}"
        text = f"{value:.{digits}f}"
        return text if se is None or np.isnan(se) else f"{text} ± {se:.{digits}f}"
    return str(value)


def _display_rows(table: Table) -> tuple[list[str], list[list[str]]]:
    """Column headers and text cells, with each `X se` folded into its `X`."""
    frame = table.frame
    headers = [c for c in frame.columns if not c.endswith(SE_SUFFIX)]
    rows = []
    for _, row in frame.iterrows():
        rows.append([_cell(row[c], row.get(c + SE_SUFFIX) if c + SE_SUFFIX in frame else None, table.digits) for c in headers])
    return headers, rows


def to_markdown(table: Table) -> str:
    headers, rows = _display_rows(table)
    lines = [f"### {table.title}", "", "| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines) + "\n"


def _latex_escape(text: str) -> str:
    for char, escaped in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"),
                          ("±", r"$\pm$"), ("≤", r"$\le$"), ("°", r"$^\circ$")):
        text = text.replace(char, escaped)
    return text


def to_latex(table: Table) -> str:
    headers, rows = _display_rows(table)
    lines = [
        f"% {table.title}",
        r"\begin{tabular}{" + "l" * len(headers) + "}",
        r"\toprule",
        " & ".join(_latex_escape(h) for h in headers) + r" \\",
        r"\midrule",
        *(" & ".join(_latex_escape(c) for c in cells) + r" \\" for cells in rows),
        r"\bottomrule",
        r"\end{tabular}",
    ]
    return "\n".join(lines) + "\n"


def to_csv(table: Table) -> str:
    return f"# {table.title}\n" + table.frame.to_csv(index=False)


def render_tables(records: pd.DataFrame, *, fmt: str = "markdown", which: str = "all") -> str:
    """The chosen tables as one text, separated by blank lines (CSV titles are `#` comment lines)."""
    renderers = {"markdown": to_markdown, "latex": to_latex, "csv": to_csv}
    if fmt not in renderers:
        raise UserInputError(f"Unknown table format '{fmt}'; expected one of {', '.join(FORMATS)}.")
    return "\n".join(renderers[fmt](table) for table in build_tables(records, which))


def report_runs(runs_dir: Path, *, fmt: str = "markdown", which: str = "all", plots_dir: Path | None = None,
                warn: Callable[[str], None] = print) -> str:
    """`bench table`: read the complete runs (each skipped run reported through `warn`), render, optionally plot."""
    if fmt not in FORMATS:
        raise UserInputError(f"Unknown table format '{fmt}'; expected one of {', '.join(FORMATS)}.")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        records = run_records.read_runs(Path(runs_dir))
    for warning in caught:
        warn(f"warning: {warning.message}")
    text = render_tables(records, fmt=fmt, which=which)
    if plots_dir is not None:
        calibrated = calibration_long(records)  # from the records alone: drawn even where predictions are not kept
        if not calibrated.empty:
            warn(f"wrote {plot_calibration(Path(plots_dir) / 'calibration_curve.png', calibrated)}")
        for path in plot_runs(Path(plots_dir), run_records.read_predictions(records)):
            warn(f"wrote {path}")
    return text
