"""Scoring of visual Turing test answers: the paper's numbers, the outputs, and every kind of bad input."""

import csv
import json

import pytest
from click.testing import CliRunner

from gazebench.cli.main import cli
from gazebench.core.errors import UserInputError
from gazebench.turing.score import binomial_against_chance, score_answers, to_markdown

SHEET = "5eed0001"
# item id -> truth, for a 6-item sheet
TRUTH = {"aa01": "real", "bb02": "refined", "cc03": "real", "dd04": "refined", "ee05": "refined", "ff06": "real"}


def test_paper_real_vs_refined_is_chance():
    result = binomial_against_chance(517, 1000)
    assert result.p_value == pytest.approx(0.2967, abs=5e-4)
    assert result.accuracy == pytest.approx(0.517)
    assert not result.distinguishable


def test_paper_real_vs_synthetic_is_distinguishable():
    result = binomial_against_chance(162, 200)
    assert result.p_value < 1e-15
    assert result.distinguishable


def test_binomial_is_two_sided():
    # Always answering wrong is as informative as always answering right.
    assert binomial_against_chance(38, 200).p_value == pytest.approx(binomial_against_chance(162, 200).p_value)


def write_csv(path, columns, rows):
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


@pytest.fixture
def key_path(tmp_path):
    rows = [(SHEET, number, item, truth, "npz:x.npz", number) for number, (item, truth) in enumerate(TRUTH.items(), 1)]
    return write_csv(tmp_path / "KEY.csv", ("sheet", "item", "item_id", "truth", "source", "source_index"), rows)


def answers_file(path, answers, rater="ann", sheet=SHEET):
    rows = [(sheet, number, item, rater, answer) for number, (item, answer) in enumerate(answers.items(), 1)]
    return write_csv(path, ("sheet", "item", "item_id", "rater", "answer"), rows)


def perfect_answers():
    return {item: "real" if truth == "real" else "not real" for item, truth in TRUTH.items()}


def test_scores_per_rater_and_pooled(tmp_path, key_path):
    ann = answers_file(tmp_path / "ann.csv", perfect_answers(), rater="ann")
    bob_answers = {item: "real" for item in TRUTH}  # says real to everything: half right
    bob = answers_file(tmp_path / "bob.csv", bob_answers, rater="bob")
    score = score_answers([ann, bob], key_path)
    by_rater = {r.rater: r for r in score.raters}
    assert (by_rater["ann"].test.correct, by_rater["ann"].test.total) == (6, 6)
    assert (by_rater["bob"].test.correct, by_rater["bob"].test.total) == (3, 6)
    assert (score.pooled.test.correct, score.pooled.test.total) == (9, 12)
    assert score.pooled.confusion == {"real": {"real": 6, "not real": 0}, "refined": {"real": 3, "not real": 3}}
    assert score.pooled.test.p_value == pytest.approx(binomial_against_chance(9, 12).p_value)
    markdown = to_markdown(score)
    assert "| ann | 6 | 6 | 100.0% |" in markdown and "| refined | 3 | 3 |" in markdown


def test_blank_rater_column_falls_back_to_file_name(tmp_path, key_path):
    form = answers_file(tmp_path / "carol.csv", perfect_answers(), rater="")
    assert [r.rater for r in score_answers([form], key_path).raters] == ["carol"]


def test_cli_prints_json(tmp_path, key_path):
    ann = answers_file(tmp_path / "ann.csv", perfect_answers())
    result = CliRunner().invoke(cli, ["turing", "score", str(ann), "--key", str(key_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["pooled"]["test"]["correct"] == 6 and report["against"] == "refined"


def run_score(*args):
    return CliRunner().invoke(cli, ["turing", "score", *map(str, args)])


@pytest.mark.parametrize(
    "mangle, expected",
    [
        (lambda a: {**a, "zz99": "real"}, "not on the key's sheet"),  # an item of another sheet
        (lambda a: {k: v for k, v in a.items() if k != "cc03"}, "left 1 of 6 items unanswered (items 3)"),
        (lambda a: {**a, "dd04": ""}, "left 1 of 6 items unanswered (items 4)"),
        (lambda a: {**a, "aa01": "maybe"}, "is not understood"),
    ],
)
def test_bad_answers_exit_2_with_one_sentence(tmp_path, key_path, mangle, expected):
    bad = answers_file(tmp_path / "bad.csv", mangle(perfect_answers()))
    result = run_score(bad, "--key", key_path)
    assert result.exit_code == 2
    assert expected in result.output and "Traceback" not in result.output


def test_duplicate_answer_is_refused(tmp_path, key_path):
    rows = [(SHEET, 1, item, "ann", answer) for item, answer in perfect_answers().items()]
    bad = write_csv(tmp_path / "dup.csv", ("sheet", "item", "item_id", "rater", "answer"), rows + rows[:1])
    with pytest.raises(UserInputError, match="twice"):
        score_answers([bad], key_path)


def test_same_rater_in_two_files_is_a_duplicate(tmp_path, key_path):
    first = answers_file(tmp_path / "a.csv", perfect_answers())
    second = answers_file(tmp_path / "b.csv", perfect_answers())
    with pytest.raises(UserInputError, match="twice"):
        score_answers([first, second], key_path)


def test_key_of_another_sheet_is_refused(tmp_path, key_path):
    other = answers_file(tmp_path / "other.csv", perfect_answers(), sheet="0therfff")
    result = run_score(other, "--key", key_path)
    assert result.exit_code == 2 and "is for sheet 0therfff, but the key is for sheet 5eed0001" in result.output


@pytest.mark.parametrize(
    "columns, rows, expected",
    [
        (("sheet", "item", "item_id"), [(SHEET, 1, "aa01")], "lacks the column(s) truth"),
        (("sheet", "item", "item_id", "truth"), [(SHEET, 1, "aa01", "real"), (SHEET, 2, "bb02", "fake")], "truth 'fake'"),
        (("sheet", "item", "item_id", "truth"), [(SHEET, 1, "aa01", "real")], "does not mix real images"),
    ],
)
def test_bad_key_exit_2(tmp_path, columns, rows, expected):
    key = write_csv(tmp_path / "KEY.csv", columns, rows)
    ann = answers_file(tmp_path / "ann.csv", perfect_answers())
    result = run_score(ann, "--key", key)
    assert result.exit_code == 2 and expected in result.output


def test_missing_files_exit_2(tmp_path, key_path):
    assert run_score(tmp_path / "nope.csv", "--key", key_path).exit_code == 2
    ann = answers_file(tmp_path / "ann.csv", perfect_answers())
    assert run_score(ann, "--key", tmp_path / "nokey.csv").exit_code == 2
