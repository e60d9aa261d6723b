"""The visual Turing test: rating sheets that hide the truth, and honest scoring of the answers."""

from gazebench.turing.make import make_sheet
from gazebench.turing.score import binomial_against_chance, score_answers, to_json, to_markdown

__all__ = ["make_sheet", "score_answers", "binomial_against_chance", "to_json", "to_markdown"]
