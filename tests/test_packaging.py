"""One import name: the installed distribution declares `gazebench` as its only top-level package, and from
outside the checkout the design's folder names (benchmark, refiners, baselines) are not importable from it."""

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_distribution_installs_one_top_level_name():
    top_level = importlib.metadata.distribution("gazebench").read_text("top_level.txt")
    assert top_level is not None and top_level.split() == ["gazebench"]


def test_outside_the_checkout_only_gazebench_comes_from_it(tmp_path):
    probe = (
        "import importlib.util, json\n"
        "import gazebench, gazebench.refiners.simgan_local, gazebench.baselines.knn\n"
        "found = {name: getattr(importlib.util.find_spec(name), 'origin', None)\n"
        "         for name in ('benchmark', 'refiners', 'baselines')}\n"
        "print(json.dumps({'gazebench': gazebench.__file__, 'others': found}))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    seen = json.loads(result.stdout)
    assert Path(seen["gazebench"]).resolve().is_relative_to(REPO) or "site-packages" in seen["gazebench"]
    for name, origin in seen["others"].items():  # another distribution may own these names; never this one
        assert origin is None or not Path(origin).resolve().is_relative_to(REPO), (name, origin)
