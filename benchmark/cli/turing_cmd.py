"""`bench turing`: build visual Turing test sheets and score raters' answers."""

import click

from gazebench.turing import make_sheet, score_answers, to_json, to_markdown
from gazebench.turing.make import AGAINST_CHOICES


@click.group(name="turing")
def command():
    """Visual Turing test: can people tell real eyes from refined (or synthetic) ones?"""


@command.command(name="make")
@click.option("--real", "real", required=True, help="Spec of the real eye images, e.g. npz:dev.npz.")
@click.option("--synthetic", "synthetic", required=True, help="Spec of the synthetic eye images, e.g. sim.")
@click.option("--refiner", "refiner_name", default=None, help="Refiner name or package.module:ClassName; one that needs real images is first fitted quickly (cpu preset).")
@click.option("--refiner-checkpoint", default=None, type=click.Path(), help="Checkpoint folder written by `bench refine`.")
@click.option("--trust-checkpoint-code", is_flag=True,
              help="Let --refiner-checkpoint import the class it records even when no built-in or installed plugin has it.")
@click.option("--against", type=click.Choice(AGAINST_CHOICES), default="refined", show_default=True,
              help="What the non-real half of the sheet shows.")
@click.option("--n", "n", type=int, default=100, show_default=True, help="Items on the sheet, half of them real.")
@click.option("--out", "out_dir", required=True, type=click.Path(), help="Sheet folder to give raters.")
@click.option("--key", "key_path", required=True, type=click.Path(), help="Where to write KEY.csv (outside --out).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda (for refining).")
@click.option("--overwrite", is_flag=True, help="Replace an existing sheet folder.")
def make_command(**options):
    """Write a rating sheet folder (index.html, printable contact sheets, answer form) and its key."""
    key = make_sheet(**options)
    click.echo(f"wrote {len(key)} items to {options['out_dir']} (open index.html) and the key to {options['key_path']}")


@command.command(name="score")
@click.argument("answers", nargs=-1, required=True, type=click.Path())
@click.option("--key", "key_path", required=True, type=click.Path(), help="KEY.csv written by `bench turing make`.")
@click.option("--format", "output_format", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True)
@click.option("--alpha", type=float, default=0.05, show_default=True, help="Significance level of the binomial test.")
def score_command(answers, key_path, output_format, alpha):
    """Per-rater and pooled accuracy, confusion matrix, and a two-sided binomial test against 50%."""
    score = score_answers(list(answers), key_path, alpha=alpha)
    click.echo(to_json(score) if output_format == "json" else to_markdown(score), nl=False)
