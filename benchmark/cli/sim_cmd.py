"""`bench sim`: fit the built-in simulator to unlabelled real eyes, and see which of its cues a CNN reads."""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np

from gazebench.core import fingerprints
from gazebench.core.atomic import write_bytes_atomic
from gazebench.core.errors import UserInputError
from gazebench.core.images import to_model_tensor
from gazebench.core.presets import list_presets
from gazebench.data import open_source
from gazebench.data.sim import SimSource
from gazebench.data.simulator.fitfile import save_fit
from gazebench.data.simulator.params import APPEARANCE_CHOICES, EYEBALL_CHOICES, FREE_GROUPS, STYLES, parse_free_groups
from gazebench.harness import records
from gazebench.harness.config import RunConfig
from gazebench.harness.prepare import held_out_split
from gazebench.harness.simfit import fit_by_reading
from gazebench.metrics.diagnostics import CPU, train_cnn
from gazebench.metrics.sensitivity import parameter_sensitivity, sensitivity_table


@click.group(name="sim", help="The built-in simulator: fit it to unlabelled real eyes (`sim?fit=`), and measure what an estimator reads.")
def command():
    pass


@command.command(name="fit")
@click.option("--real", "real_spec", required=True,
              help="Real eyes, images only (labels are never read): left eyes, or right ones mirrored, as MPIIGaze normalizes them.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The fit file to write, FIT.json.")
@click.option("--style", type=click.Choice(sorted(STYLES)), default="default", show_default=True, help="Style whose geometry to fit.")
@click.option("--hold-out-test", "hold_out_preset", type=click.Choice(list_presets()), default=None,
              help="Fit only to the images a `bench run --preset PRESET --real SPEC` does not test on, so that run may use the fit.")
@click.option("--randomise", type=click.FloatRange(1, 10), default=1.0, show_default=True,
              help="Fit the domain-randomised simulator (free ranges widened this many times); the file keeps the widened ranges.")
@click.option("--randomise-only", default=",".join(FREE_GROUPS), show_default=True,
              help=f"Groups of the free geometry that --randomise widens: {', '.join(FREE_GROUPS)}.")
@click.option("--eyeball", type=click.Choice(EYEBALL_CHOICES), default=EYEBALL_CHOICES[0], show_default=True,
              help="point: the eyeball's position behind the corners is one point, as for one person's eyes (`sim?eyeball=point`); "
                   "the file keeps it so.")
@click.option("--appearance", type=click.Choice(APPEARANCE_CHOICES), default=APPEARANCE_CHOICES[0], show_default=True,
              help="wide: every image's look drawn over the default and target looks' ranges together (`sim?appearance=wide`); the file keeps it so.")
@click.option("--angles", type=click.Choice(["pitch,yaw", "pitch"]), default="pitch,yaw", show_default=True,
              help="Angles whose mean reading to match: pitch alone for sets of left and unmirrored right eyes.")
@click.option("--iterations", type=click.IntRange(min=1), default=3, show_default=True, help="At most this many steps; each trains --cnns CNNs (about 70 s a CNN on 2 idle cores).")
@click.option("--n-train", type=click.IntRange(min=100), default=30000, show_default=True, help="Renders each CNN learns.")
@click.option("--epochs", type=click.IntRange(min=1), default=6, show_default=True, help="Epochs of each CNN: enough to learn the renders.")
@click.option("--seed", type=int, default=0, show_default=True, help="The first CNN's seed (the others: SEED+1, ...).")
@click.option("--cnns", type=click.IntRange(min=1), default=3, show_default=True,
              help="CNNs per step (seeds SEED, SEED+1, ...), their mean readings averaged: one CNN's moves by 1-3 deg with its "
                   "seed, and on p00 a fit of one CNN per step was resolved worse than one of three (results/simulator/README.md).")
@click.option("--shape/--no-shape", default=False, show_default=True,
              help="First set the eye's size in the crop and the lids by the iris-centred dark map of the real eyes "
                   "(on p00 it did not lower the error: results/simulator/README.md).")
def fit(real_spec, out, style, hold_out_preset, randomise, randomise_only, eyeball, appearance, angles, iterations, n_train, epochs, seed, cnns, shape):
    """Move the eyeball's placement until a CNN that learns the renders reads the real eyes at the population's mean
    gaze (with --shape, first set the eye's size and lids by where the dark pixels lie around the iris;
    harness/simfit.py says why); writes FIT.json for `sim?fit=FIT.json`. No label of the real set is read."""
    groups = parse_free_groups(randomise_only, f"--randomise-only {randomise_only}")
    real = open_source(real_spec)
    indices = np.arange(len(real))
    if hold_out_preset:
        cfg = RunConfig(preset=hold_out_preset, real=real_spec).resolved()
        test, _ = held_out_split(len(real), cfg.n_test, cfg.n_real, np.random.default_rng(cfg.split_seed))
        indices = np.setdiff1d(indices, test)
    images = real.read(indices).images
    result = fit_by_reading(images, style=style, randomise=randomise, randomise_only=groups, eyeball=eyeball,
                            appearance=appearance, angles=tuple(angles.split(",")), n_train=n_train,
                            epochs=epochs, iterations=iterations, seed=seed, cnns=cnns, shape=shape)
    provenance = {"held_out_test_of": hold_out_preset, "git": records.git_state()}
    save_fit(Path(out), result, real_spec=real_spec, n_real=len(indices),
             fingerprints=fingerprints.fingerprints(to_model_tensor(images)), provenance=provenance)
    for step in result["history"]:
        click.echo(json.dumps(step))
    click.echo(f"wrote {out}: use it as sim?fit={out}")


@command.command(name="sensitivity")
@click.option("--train", "train_spec", default="sim?n=30000&seed=3", show_default=True,
              help="Renders the CNN learns (a sim spec; its style, fit and randomisation are the ones probed).")
@click.option("--epochs", type=click.IntRange(min=1), default=6, show_default=True, help="Enough to learn the renders.")
@click.option("--seed", type=int, default=0, show_default=True, help="The CNN's seed.")
@click.option("--n", "count", type=click.IntRange(min=50), default=1000, show_default=True, help="Scenes per parameter value.")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Also write the result as JSON here.")
def sensitivity(train_spec, epochs, seed, count, out):
    """Train the cpu-width CNN on the renders, then move one scene parameter at a time at fixed gaze: deg per unit."""
    source = open_source(train_spec)
    if not isinstance(source, SimSource):
        raise UserInputError(f"--train {train_spec}: expected a sim spec (sim?n=...), whose scene parameters can be varied.")
    train = source.load()
    cnn, seconds = train_cnn(to_model_tensor(train.images), train.gaze, seed, epochs=epochs)
    result = parameter_sensitivity(lambda x: cnn.predict(x, device=CPU), n=count, style=source.style, ranges=source.ranges)
    result.update(train=source.name, epochs=epochs, cnn_seed=seed, train_seconds=round(seconds, 1), **records.git_state())
    click.echo(f"renders: {json.dumps(result['on_renders'])}")
    click.echo(sensitivity_table(result))
    if out:
        write_bytes_atomic(out, (json.dumps(result, indent=1) + "\n").encode())
