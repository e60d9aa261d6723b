"""The Kaggle `4quant/eye-gaze` files (`kaggle:gaze.h5`, `kaggle:real_gaze.h5`), read lazily.

Both hold a group `image` with one 2-D dataset per eye; `gaze.h5` (UnityEyes renders) adds a
dataset `look_vec` with one UnityEyes look vector (y up) per image, paired with the images in the
group's iteration order, as the Kaggle notebooks pair them. `real_gaze.h5` has no labels.
"""

from __future__ import annotations

import h5py
import numpy as np

from gazebench.core.errors import UserInputError
from gazebench.data.base import SOURCES, EyeData, EyeSource, SourceSpec
from gazebench.data.options import check_options, require_path
from gazebench.data.unityeyes import look_vec_to_pitchyaw


@SOURCES.register("kaggle")
class KaggleGazeSource(EyeSource):
    """`kaggle:PATH` to gaze.h5 (images + look_vec) or real_gaze.h5 (images only)."""

    TINY_SPEC = "kaggle:{folder}/gaze.h5"  # the file comes from tests/data_layouts.py (the shipped layout)

    def __init__(self, spec: SourceSpec):
        super().__init__(spec)
        check_options(spec, ())
        path = require_path(spec, "a Kaggle eye-gaze .h5 file (gaze.h5 or real_gaze.h5)")
        try:
            self._file = h5py.File(path, "r")
        except OSError as exc:
            raise UserInputError(f"{spec.text}: cannot read {path} as HDF5 ({exc}).") from None
        group = self._file.get("image")
        if not isinstance(group, h5py.Group):
            raise UserInputError(f"{spec.text}: {path} has no group 'image'; expected one 2-D dataset per eye in it.")
        self._datasets = list(group.values())
        if not self._datasets:
            raise UserInputError(f"{spec.text}: {path} group 'image' is empty; expected one 2-D dataset per eye.")
        first = self._datasets[0]
        if not isinstance(first, h5py.Dataset) or first.ndim != 2:
            raise UserInputError(f"{spec.text}: {first.name} is not a 2-D image dataset; expected (H, W) grey eyes.")
        self._shape = tuple(first.shape)
        self._gaze = None
        if "look_vec" in self._file:
            look_vec = np.asarray(self._file["look_vec"][()], dtype=np.float64)
            if look_vec.ndim != 2 or look_vec.shape[0] != len(self._datasets) or look_vec.shape[1] < 3:
                raise UserInputError(
                    f"{spec.text}: look_vec has shape {look_vec.shape}; expected ({len(self._datasets)}, 3), one per image."
                )
            if not np.isfinite(look_vec[:, :3]).all() or (np.linalg.norm(look_vec[:, :3], axis=1) < 1e-6).any():
                raise UserInputError(f"{spec.text}: look_vec holds NaN or zero vectors; expected finite gaze directions.")
            self._gaze = look_vec_to_pitchyaw(look_vec).astype(np.float32)

    def __len__(self):
        return len(self._datasets)

    @property
    def image_shape(self):
        return self._shape

    @property
    def has_labels(self):
        return self._gaze is not None

    def _image(self, index: int) -> np.ndarray:
        dataset = self._datasets[index]
        if not isinstance(dataset, h5py.Dataset) or tuple(dataset.shape) != self._shape:
            raise UserInputError(
                f"{self.spec.text}: {dataset.name} has shape {getattr(dataset, 'shape', None)}; "
                f"expected every image to be {self._shape[0]}x{self._shape[1]} like the first."
            )
        image = dataset[()]
        if image.dtype == np.uint8:
            return image
        if not np.isfinite(image).all() or image.min() < 0 or image.max() > 255:
            raise UserInputError(f"{self.spec.text}: {dataset.name} holds values outside 0..255; expected grey levels.")
        return np.round(image).astype(np.uint8)

    def _read(self, indices):
        images = np.stack([self._image(i) for i in indices]) if len(indices) else np.zeros((0, *self._shape), np.uint8)
        return EyeData(images, None if self._gaze is None else self._gaze[indices])
