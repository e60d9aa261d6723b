"""Score visual Turing test answers against the key: accuracy, confusion matrix, binomial test against chance.

The paper's figures as a worked example: 517 correct of 1000 (real vs refined) gives p = 0.30, chance;
162 of 200 (real vs synthetic) gives p = 2e-19, clearly distinguishable.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from scipy.stats import binomtest

from gazebench.core.errors import UserInputError

ANSWER_WORDS = {"real": True, "not real": False, "not_real": False, "notreal": False}
TRUTH_KINDS = ("real", "refined", "synthetic")
MAX_LISTED = 5


@dataclass(frozen=True)
class Key:
    sheet_id: str
    truth: dict[str, str]  # item id -> "real" / "refined" / "synthetic"
    number: dict[str, int]  # item id -> item number on the sheet
    against: str  # what the non-real half is: "refined" or "synthetic"


@dataclass(frozen=True)
class Judgement:
    rater: str
    item_id: str
    said_real: bool


@dataclass(frozen=True)
class Binomial:
    correct: int
    total: int
    accuracy: float
    p_value: float
    distinguishable: bool


@dataclass(frozen=True)
class RaterScore:
    rater: str
    test: Binomial
    # truth -> answer -> count; truth is "real" or the key's other kind, answer is "real" or "not real"
    confusion: dict[str, dict[str, int]]


@dataclass(frozen=True)
class TuringScore:
    sheet_id: str
    against: str
    alpha: float
    raters: list[RaterScore]
    pooled: RaterScore


def binomial_against_chance(correct: int, total: int, alpha: float = 0.05) -> Binomial:
    """Two-sided exact binomial test of `correct` of `total` against a 50% guess rate."""
    p_value = float(binomtest(correct, total, 0.5, alternative="two-sided").pvalue)
    return Binomial(correct, total, correct / total, p_value, p_value < alpha)


def _read_csv(path: Path, what: str, required: tuple[str, ...]) -> list[dict[str, str]]:
    if not path.is_file():
        raise UserInputError(f"{what} {path} does not exist; expected a CSV file.")
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            rows = list(reader)
            columns = reader.fieldnames or []
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UserInputError(f"{what} {path} cannot be read as CSV ({exc}).") from None
    missing = [c for c in required if c not in columns]
    if missing:
        raise UserInputError(f"{what} {path} lacks the column(s) {', '.join(missing)}; expected {', '.join(required)}.")
    if not rows:
        raise UserInputError(f"{what} {path} has no rows; expected one row per sheet item.")
    return [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in rows]


def read_key(path: str | Path) -> Key:
    """The KEY.csv `bench turing make` wrote; anything else raises UserInputError."""
    path = Path(path)
    rows = _read_csv(path, "key", ("sheet", "item", "item_id", "truth"))
    sheets = {row["sheet"] for row in rows}
    if len(sheets) != 1:
        raise UserInputError(f"key {path} mixes sheets {', '.join(sorted(sheets))}; expected the key of one sheet.")
    truth: dict[str, str] = {}
    number: dict[str, int] = {}
    for row in rows:
        if row["truth"] not in TRUTH_KINDS:
            raise UserInputError(f"key {path}: truth {row['truth']!r} is unknown; expected one of {', '.join(TRUTH_KINDS)}.")
        if not row["item"].isdigit():
            raise UserInputError(f"key {path}: item number {row['item']!r} is not a whole number; expected 1, 2, 3, ...")
        if row["item_id"] in truth:
            raise UserInputError(f"key {path} lists item id {row['item_id']} twice; expected each item once.")
        truth[row["item_id"]] = row["truth"]
        number[row["item_id"]] = int(row["item"])
    others = set(truth.values()) - {"real"}
    if "real" not in truth.values() or len(others) != 1:
        raise UserInputError(f"key {path} does not mix real images with one other kind (refined or synthetic).")
    return Key(sheet_id=sheets.pop(), truth=truth, number=number, against=others.pop())


def read_answers(paths: list[str | Path], key: Key) -> list[Judgement]:
    """Every judgement in the answer files, checked against the key: right sheet, known items, no gaps or repeats.

    The rater is the file's `rater` column, or the file name where that is blank (paper forms).
    """
    judgements: list[Judgement] = []
    seen: set[tuple[str, str]] = set()
    for path in map(Path, paths):
        for row in _read_csv(path, "answers file", ("item_id", "answer")):
            if row.get("sheet") and row["sheet"] != key.sheet_id:
                raise UserInputError(
                    f"answers file {path} is for sheet {row['sheet']}, but the key is for sheet {key.sheet_id}; "
                    "expected the key of the same sheet."
                )
            if row["item_id"] not in key.truth:
                raise UserInputError(
                    f"answers file {path} names item id {row['item_id']!r}, which is not on the key's sheet "
                    f"{key.sheet_id}; expected answers to that sheet."
                )
            if not row["answer"]:
                continue  # an unanswered item; the completeness check below names it
            said = ANSWER_WORDS.get(row["answer"].lower())
            if said is None:
                raise UserInputError(
                    f"answers file {path}: answer {row['answer']!r} for item id {row['item_id']} is not understood; "
                    "expected 'real' or 'not real'."
                )
            rater = row.get("rater") or path.stem
            if (rater, row["item_id"]) in seen:
                raise UserInputError(
                    f"answers file {path} answers item {key.number[row['item_id']]} (id {row['item_id']}) twice "
                    f"for rater {rater!r}; expected one answer per item and rater."
                )
            seen.add((rater, row["item_id"]))
            judgements.append(Judgement(rater, row["item_id"], said))
    _check_complete(judgements, key)
    return judgements


def _check_complete(judgements: list[Judgement], key: Key) -> None:
    if not judgements:
        raise UserInputError("the answers files hold no answers; expected 'real' or 'not real' for every item.")
    for rater in dict.fromkeys(j.rater for j in judgements):
        answered = {j.item_id for j in judgements if j.rater == rater}
        missing = sorted(key.number[item] for item in key.truth if item not in answered)
        if missing:
            listed = ", ".join(map(str, missing[:MAX_LISTED])) + (", ..." if len(missing) > MAX_LISTED else "")
            raise UserInputError(
                f"rater {rater!r} left {len(missing)} of {len(key.truth)} items unanswered (items {listed}); "
                "expected an answer for every item."
            )


def _score(rater: str, judgements: list[Judgement], key: Key, alpha: float) -> RaterScore:
    confusion = {truth: {"real": 0, "not real": 0} for truth in ("real", key.against)}
    correct = 0
    for j in judgements:
        is_real = key.truth[j.item_id] == "real"
        confusion[key.truth[j.item_id]]["real" if j.said_real else "not real"] += 1
        correct += j.said_real == is_real
    return RaterScore(rater, binomial_against_chance(correct, len(judgements), alpha), confusion)


def score_answers(answer_paths: list[str | Path], key_path: str | Path, alpha: float = 0.05) -> TuringScore:
    """Per-rater and pooled scores; pooling treats every judgement as independent, as the paper does."""
    key = read_key(key_path)
    judgements = read_answers(answer_paths, key)
    raters = list(dict.fromkeys(j.rater for j in judgements))
    per_rater = [_score(r, [j for j in judgements if j.rater == r], key, alpha) for r in raters]
    pooled = _score("all raters", judgements, key, alpha)
    return TuringScore(key.sheet_id, key.against, alpha, per_rater, pooled)


def to_json(score: TuringScore) -> str:
    return json.dumps(asdict(score), indent=2)


def to_markdown(score: TuringScore) -> str:
    """A results table (one row per rater, then pooled) and the pooled confusion matrix."""
    lines = [
        f"Visual Turing test, sheet {score.sheet_id}: real vs {score.against}; "
        f"two-sided binomial test against 50%, alpha {score.alpha:g}.",
        "",
        "| rater | correct | answered | accuracy | p-value | distinguishable from chance |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for row in [*score.raters, score.pooled]:
        t = row.test
        name = f"**{row.rater}**" if row is score.pooled else row.rater.replace("|", "/")
        verdict = "yes" if t.distinguishable else "no"
        lines.append(f"| {name} | {t.correct} | {t.total} | {t.accuracy:.1%} | {t.p_value:.3g} | {verdict} |")
    lines += ["", "Confusion matrix, all raters (rows: truth, columns: answer):", "", "| truth | real | not real |", "|---|---:|---:|"]
    for truth, counts in score.pooled.confusion.items():
        lines.append(f"| {truth} | {counts['real']} | {counts['not real']} |")
    return "\n".join(lines) + "\n"
