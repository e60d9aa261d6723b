"""Simulator checks against real p00 and between styles; writes results/simulator/checks.json.

Run from the repository root (needs ../shared/data/mpiigaze_p00/dev.npz):
    python results/simulator/measure.py [--tiny --out DIR]
Geometry: where the darkest 10% of pixels sit, regressed on the gaze label. Layout: mean row and column
intensity profiles (L1 distance to real, grey levels). Gaze content and style gap: PCA + ridge trained on
5,000 renders, and the harness's cpu-preset CNN trained on 10,000 (two seeds), tested on held-out renders of
both styles and on all 1,500 real p00 dev eyes. The learnt-CNN diagnostic: the cpu widths trained on 30,000
renders for 6 epochs, until they learn the simulator, then read on p00 (error, mean bias, gain, correlation
per angle); once on plain renders and once on FDA-refined ones (real amplitudes from the 144 mixed eyes).
`--only maps [--sim OPTIONS;OPTIONS...]` draws the iris-centred dark maps (where the darkest quarter of pixels lies
around the iris, averaged; the statistic of `bench sim fit --shape`) of p00 dev, the 144 mixed eyes, the default renders
and each set of sim options, to iris_maps.png in --out, and prints each map's mean distance to the two real ones.
`--only diagnostic [--seeds 0] [--style-override JSON] [--sim OPTIONS] [--epochs N] [--channels W,W,W,W,W]` runs the
plain diagnostic alone and prints it (also on central renders, where people look: params.central_box); the override
replaces default-style ranges, as in the README's single-seed experiments, and --sim adds sim options
(randomise=2, fit=FIT.json) to the renders the CNN learns and is checked on.
The code is gazebench.data.simulator.measure (image statistics) and gazebench.metrics.diagnostics (models).
"""

from __future__ import annotations

import argparse
import functools
import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from gazebench.core.images import to_model_tensor, to_uint8
from gazebench.data import EyeData, open_source
from gazebench.data.simulator.calibrate import style_overrides
from gazebench.data.simulator.measure import dark_centroid_slopes, iris_centred_dark_map, profile_distance
from gazebench.data.simulator.params import STYLES, central_box
from gazebench.harness import records
from gazebench.metrics.diagnostics import cnn_errors, learnt_cnn_runs, pca_ridge_errors

REAL = "npz:../shared/data/mpiigaze_p00/dev.npz"
P00_BOX = "pitch=-16,2&yaw=-17,16"  # p00's label range, so geometry slopes compare like with like
# The population prior's core (p01-p14 mean +- 2 sd per angle; no p00 label): where a CNN's gain on renders is the
# most its gain on real eyes of that range can be.
CENTRAL_BOX = "&".join(f"{angle}={low:g},{high:g}" for angle, (low, high) in central_box().items())
# FDA's real amplitudes come from the 144 unlabelled eyes of mixed people, so nothing of p00 reaches training.
FDA_REAL = "../shared/data/mpiigaze_simgan_png144/images_35x55_uint8.npz"
# Image counts. The learnt diagnostic: the cpu widths trained long enough to learn the simulator (30k renders,
# 6 epochs; the quick preset's 10k x 2 epochs stays near the mean-gaze floor and hides the geometry gap).
FULL = {"layout": 3000, "pca_fit": 5000, "pca_test": 2000, "pca_own_test": 1000, "components": 100,
        "cnn_train": 10000, "cnn_test": 2000, "cnn_epochs": None, "learnt_train": 30000, "learnt_held_out": 2000,
        "learnt_epochs": 6, "real": None, "seeds": (0, 1)}
TINY = {"layout": 200, "pca_fit": 300, "pca_test": 100, "pca_own_test": 100, "components": 20,
        "cnn_train": 300, "cnn_test": 100, "cnn_epochs": 1, "learnt_train": 300, "learnt_held_out": 100,
        "learnt_epochs": 1, "real": 200, "seeds": (0,)}


@functools.cache
def _load(spec: str, n: int | None = None) -> EyeData:
    """Each spec is read once, however many checks use it (sources are deterministic); n: the first n images."""
    return open_source(spec).load(n)


def learnt_cnn(n: dict, seeds, real: str, fda: bool = False, sim_options: str = "", epochs: int | None = None,
               channels: tuple[int, ...] | None = None) -> dict:
    extra = f"&{sim_options}" if sim_options else ""
    train, held_out = f"sim?n={n['learnt_train']}&seed=3{extra}", f"sim?n={n['learnt_held_out']}&seed=4{extra}"
    central = f"sim?n={n['learnt_held_out']}&seed=5&{CENTRAL_BOX}{extra}"
    epochs = epochs or n["learnt_epochs"]
    runs = learnt_cnn_runs(_load(train), _load(held_out), _load(real, n["real"]), seeds=seeds, epochs=epochs,
                           fda_real=np.load(FDA_REAL)["images"] if fda else None, central=_load(central),
                           **({"channels": channels} if channels else {}))
    return {"trained on": train, "refiner": f"fda (real: {FDA_REAL})" if fda else "identity",
            "epochs": epochs, "channels": list(channels) if channels else "cpu preset", "held out": held_out,
            "central": central, "real": real, "runs": runs}


def checks(n: dict, real_spec: str) -> dict:
    real = _load(real_spec, n["real"])
    out: dict[str, dict] = {"geometry": {"real p00 dev": dark_centroid_slopes(real.images, real.gaze)}, "layout": {}}
    for name, spec in [("sim default", f"sim?n={n['layout']}&{P00_BOX}"),
                       ("sim target", f"sim?n={n['layout']}&style=target&{P00_BOX}")]:
        data = _load(spec)
        out["geometry"][name] = {"spec": spec, **dark_centroid_slopes(data.images, data.gaze)}
        out["layout"][name] = {"spec": spec, **profile_distance(data.images, real.images)}
    fit, test, own = n["pca_fit"], n["pca_test"], n["pca_fit"] + n["pca_own_test"]
    pca = functools.partial(pca_ridge_errors, n_fit=fit, components=n["components"])
    out["pca_ridge_deg"] = {
        **pca(_load(f"sim?n={fit}&seed=1"), {
            f"default -> default (sim?n={fit}&seed=1 -> sim?n={test}&seed=2)": _load(f"sim?n={test}&seed=2"),
            "default -> target stand-in": _load(f"sim?n={test}&seed=2&style=target")}),
        **pca(_load(f"sim?n={fit}&seed=1&prior=uniform"),
              {"default, flat prior (prior=uniform)": _load(f"sim?n={test}&seed=2&prior=uniform")}),
        **pca(_load(f"sim?n={own}&seed=7&people=1"), {f"one person (sim?n={own}&seed=7&people=1, {fit}/{own - fit})": None}),
        **pca(_load(f"sim?n={own}&seed=7&people=10"), {f"ten people (sim?n={own}&seed=7&people=10, {fit}/{own - fit})": None}),
    }
    train, test_spec = f"sim?n={n['cnn_train']}&seed=1", f"sim?n={n['cnn_test']}&seed=2"
    epochs = {"epochs": n["cnn_epochs"]} if n["cnn_epochs"] else {}
    out["cnn_deg_per_seed"] = {"trained on": train, **cnn_errors(_load(train), {
        f"sim default ({test_spec})": _load(test_spec),
        f"sim target stand-in ({test_spec}&style=target)": _load(f"{test_spec}&style=target"),
        f"real p00 dev ({len(real.gaze)})": real}, seeds=n["seeds"], **epochs)}
    out["learnt_cnn"] = learnt_cnn(n, n["seeds"], real_spec)
    out["learnt_cnn_fda"] = learnt_cnn(n, n["seeds"], real_spec, fda=True)
    out["git"] = records.git_state()  # the commit that reproduces these numbers
    return out


def iris_maps(n: dict, real_spec: str, sim_options: list[str], out: Path) -> dict:
    """The iris-centred dark maps of the real sets and of renders, drawn side by side; distances to the real ones."""
    count = n["layout"]
    sets = {"p00 dev (real)": _load(real_spec, n["real"]).images, "144 mixed eyes (real)": np.load(FDA_REAL)["images"]}
    for options in ["", *sim_options]:
        sets[f"sim?{options}" if options else "sim (default)"] = _load(f"sim?n={count}&seed=9{'&' + options if options else ''}").images
    maps = {name: iris_centred_dark_map(to_uint8(to_model_tensor(images))) for name, images in sets.items()}  # all at 35x55
    real = list(maps.values())[:2]
    distances = {name: {"to_p00": round(float(np.nanmean(np.abs(m - real[0]))), 4),
                        "to_144": round(float(np.nanmean(np.abs(m - real[1]))), 4)} for name, m in maps.items()}
    figure, axes = plt.subplots(1, len(maps), figsize=(3.2 * len(maps), 2.4))
    for axis, (name, m) in zip(np.atleast_1d(axes), maps.items()):
        axis.imshow(m, cmap="gray_r", vmin=0, vmax=1)
        short = re.sub(r"[\w.]+/", "", name)  # file names without their folders
        axis.set_title(f"{short}\nL1 to p00 {distances[name]['to_p00']:.3f}, to 144 {distances[name]['to_144']:.3f}", fontsize=7)
        axis.axis("off")
    figure.suptitle("How often each pixel around the iris is among the darkest quarter (iris centred, left-right symmetric)", fontsize=8)
    figure.tight_layout()
    figure.savefig(out / "iris_maps.png", dpi=120)
    plt.close(figure)
    return distances


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["diagnostic", "maps"], help="run one part and print it (checks.json is left alone)")
    parser.add_argument("--seeds", default="0,1", help="CNN seeds of the diagnostic, e.g. 0 or 0,1")
    parser.add_argument("--style-override", default="{}",
                        help='with --only diagnostic: default-style ranges to replace, e.g. \'{"scale": [0.75, 0.95]}\'')
    parser.add_argument("--sim", default="", help='with --only diagnostic: options for the renders, e.g. "randomise=2" or "fit=FIT.json"; '
                        'with --only maps: several, separated by ";"')
    parser.add_argument("--epochs", type=int, help="with --only diagnostic: epochs of the CNN (default 6)")
    parser.add_argument("--channels", help="with --only diagnostic: the CNN's five conv widths, e.g. 16,16,32,48,96 (default: the cpu preset's)")
    parser.add_argument("--tiny", action="store_true", help="a few hundred images, one seed, one epoch: a smoke run")
    parser.add_argument("--real", default=REAL, help="the labelled real set")
    parser.add_argument("--out", default=str(Path(__file__).parent), help="folder that receives checks.json")
    args = parser.parse_args()
    n = TINY if args.tiny else FULL
    if args.only == "maps":
        distances = iris_maps(n, args.real, [o for o in args.sim.split(";") if o], Path(args.out))
        print(json.dumps({"iris_map_l1": distances, "git": records.git_state()}, indent=2))
        return
    if args.only == "diagnostic":
        override = json.loads(args.style_override)
        for name in override:
            if name not in STYLES["default"]:
                parser.error(f"--style-override: {name} is not a default-style parameter")
        with style_overrides(override):
            result = learnt_cnn(n, tuple(int(s) for s in args.seeds.split(",")), args.real, sim_options=args.sim,
                                epochs=args.epochs, channels=tuple(int(c) for c in args.channels.split(",")) if args.channels else None)
        print(json.dumps({"style_override": override, **result, "git": records.git_state()}, indent=2))
        return
    result = checks(n, args.real)
    Path(args.out, "checks.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
