"""Every registered data source kind keeps the interface: opened from its declared tiny spec (TINY_SPEC), it
reads uint8 eyes in any index order with labels of the right shape, and its seeded sample repeats. A new
kind is covered by registering it; one that reads files writes them in `write_tiny`."""

import numpy as np
import pytest
from data_layouts import (
    eye_images,
    unit_vectors,
    write_day_mat,
    write_kaggle_h5,
    write_unityeyes_render,
)

from gazebench.data import SOURCES, open_source

# The built-in readers of datasets as they ship: their tiny files come from the layout writers of these tests.
SHIPPED_LAYOUTS = {
    "mpiigaze": lambda folder: write_day_mat(folder / "Data" / "Normalized" / "p00" / "day01.mat", eye_images(3, 0),
                                             unit_vectors(3, 0), eye_images(3, 1), unit_vectors(3, 1)),
    "kaggle": lambda folder: write_kaggle_h5(folder / "gaze.h5", list(eye_images(4, 2)), -unit_vectors(4, 2)),
    "unityeyes": lambda folder: [write_unityeyes_render(folder, str(i), iris_xy=(66.0 + 4 * i, 62.0)) for i in range(3)],
}


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_every_registered_source_keeps_the_interface(kind, tmp_path):
    cls = SOURCES[kind]
    assert cls.TINY_SPEC, f"source '{kind}' declares no TINY_SPEC for this test"
    SHIPPED_LAYOUTS.get(kind, cls.write_tiny)(tmp_path)
    spec = cls.TINY_SPEC.format(folder=tmp_path)
    source = open_source(spec)
    assert isinstance(source, cls) and source.name == spec and len(source) >= 2
    height, width = source.image_shape
    last = len(source) - 1
    data = source.read([last, 0, last])  # any order, repeats allowed
    assert data.images.dtype == np.uint8 and data.images.shape == (3, height, width)
    np.testing.assert_array_equal(data.images[0], data.images[2])
    assert (data.gaze is not None) == source.has_labels
    if data.gaze is not None:
        assert data.gaze.shape == (3, 2) and data.gaze.dtype == np.float32
    assert len(source.people([0, last])) == 2
    (first, a), (second, b) = source.sample(2, seed=5), source.sample(2, seed=5)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(a.images, b.images)
