"""MPIIGaze as users download it (`mpiigaze:ROOT`) or as hysts' preprocessed `MPIIGaze.h5`.

Every image comes out as a left eye: right eyes are mirrored (image flipped, yaw negated), as
MPIIGaze.h5 does. Both forms are indexed up front (counts and file names only) and read on demand,
one day file at a time, so the full dataset (over 400k eyes) never has to sit in memory.

Options: `people=p00,p01` keeps those participants; `subset=eval` (root folder only) keeps the
official Evaluation Subset listed in `Evaluation Subset/sample list for eye image/pXX.txt`.
"""

from __future__ import annotations

import re
from pathlib import Path

import h5py
import numpy as np
import scipy.io

from gazebench.core.errors import UserInputError
from gazebench.core.geometry import mirror_images, mirror_pitchyaw, vector_to_pitchyaw
from gazebench.data.base import SOURCES, EyeData, EyeSource, SourceSpec, check_gaze
from gazebench.data.options import check_options, require_path

EYE_SIZE = (36, 60)  # (H, W) of MPIIGaze's normalized eye images
EYES = ("left", "right")
PERSON_NAME = re.compile(r"p\d\d")
EVAL_LIST_DIR = Path("Evaluation Subset") / "sample list for eye image"
SUBSETS = ("all", "eval")


@SOURCES.register("mpiigaze")
class MpiiGazeSource(EyeSource):
    """`mpiigaze:ROOT[?people=..&subset=eval]` or `mpiigaze:MPIIGaze.h5[?people=..]`."""

    TINY_SPEC = "mpiigaze:{folder}"  # Data/Normalized/pXX/dayYY.mat from tests/data_layouts.py (the shipped layout)

    def __init__(self, spec: SourceSpec):
        super().__init__(spec)
        check_options(spec, ("people", "subset"))
        path = require_path(spec, "the MPIIGaze root folder (holding Data/Normalized) or an MPIIGaze.h5 file")
        if path.is_dir():
            self._store = _MatFolder(path, spec)
        elif path.suffix.lower() in (".h5", ".hdf5"):
            self._store = _HystsH5(path, spec)
        else:
            raise UserInputError(
                f"{spec.text}: {path} is neither a folder nor an .h5 file; "
                "expected the MPIIGaze root folder or a preprocessed MPIIGaze.h5."
            )
        if len(self._store) == 0:
            raise UserInputError(f"{spec.text}: no eye images found in {path}.")

    def __len__(self):
        return len(self._store)

    @property
    def image_shape(self):
        return self._store.image_shape

    @property
    def has_labels(self):
        return True

    def _read(self, indices):
        return self._store.read(indices)

    def people(self, indices) -> np.ndarray:
        return self._store.people(np.asarray(indices, dtype=np.int64).reshape(-1))

    def recordings(self, indices) -> np.ndarray | None:
        return self._store.recordings(np.asarray(indices, dtype=np.int64).reshape(-1))


def _select_people(available: list[str], spec: SourceSpec, where: Path) -> list[str]:
    if not available:
        raise UserInputError(f"{spec.text}: {where} holds no participant folders or groups named p00..p14.")
    wanted = spec.options.get("people")
    if wanted is None:
        return available
    people = [p.strip() for p in wanted.split(",") if p.strip()]
    missing = [p for p in people if p not in available]
    if missing or not people:
        raise UserInputError(
            f"{spec.text}: people={wanted} names {', '.join(missing) or 'nobody'}, "
            f"expected some of {', '.join(available)}."
        )
    return people


def _as_rows(array, ndim: int) -> np.ndarray:
    """Undo loadmat's squeeze_me for a day with one sample: add back the leading N axis."""
    array = np.asarray(array)
    return array[np.newaxis] if array.ndim == ndim - 1 else array


class _MatFolder:
    """The `Data/Normalized/pXX/dayYY.mat` files, indexed by (file, eye, row) per sample."""

    image_shape = EYE_SIZE

    def __init__(self, root: Path, spec: SourceSpec):
        self._spec = spec
        normalized = root / "Data" / "Normalized"
        if not normalized.is_dir():
            raise UserInputError(
                f"{spec.text}: {root} has no Data/Normalized folder; expected the MPIIGaze root folder "
                "(or a preprocessed MPIIGaze.h5 file)."
            )
        subset = spec.options.get("subset", "all")
        if subset not in SUBSETS:
            raise UserInputError(f"{spec.text}: subset '{subset}' is unknown; expected one of {', '.join(SUBSETS)}.")
        available = sorted(p.name for p in normalized.iterdir() if p.is_dir() and PERSON_NAME.fullmatch(p.name))
        people = _select_people(available, spec, normalized)

        self._files: list[Path] = []
        self._counts: list[int] = []
        file_of, eye_of, row_of = [], [], []
        for person in people:
            day_files = sorted((normalized / person).glob("day*.mat"))
            names_by_day = {}
            for day_file in day_files:
                names = self._filenames(day_file)
                names_by_day[day_file.stem] = (len(self._files), {name: row for row, name in enumerate(names)})
                self._files.append(day_file)
                self._counts.append(len(names))
            if subset == "all":
                for file_id, rows in names_by_day.values():
                    for eye in range(len(EYES)):
                        file_of.append(np.full(len(rows), file_id))
                        eye_of.append(np.full(len(rows), eye))
                        row_of.append(np.arange(len(rows)))
            else:
                ids, eyes, rows = self._eval_samples(root, person, names_by_day)
                file_of.append(ids)
                eye_of.append(eyes)
                row_of.append(rows)
        self._file_of = np.concatenate(file_of).astype(np.int32) if file_of else np.zeros(0, np.int32)
        self._eye_of = np.concatenate(eye_of).astype(np.int8) if eye_of else np.zeros(0, np.int8)
        self._row_of = np.concatenate(row_of).astype(np.int32) if row_of else np.zeros(0, np.int32)
        self._cached_id: int | None = None
        self._cached: list[tuple[np.ndarray, np.ndarray]] = []

    def __len__(self):
        return len(self._file_of)

    def _filenames(self, day_file: Path) -> list[str]:
        """The day's image names (one per sample), read without loading its images."""
        try:
            variables = {name for name, _, _ in scipy.io.whosmat(day_file)}
            if {"data", "filenames"} <= variables:
                names = scipy.io.loadmat(day_file, variable_names=["filenames"], squeeze_me=True)["filenames"]
                return [str(name).strip() for name in np.atleast_1d(names)]
        except Exception as exc:  # scipy raises several types for files that are not MATLAB v5
            raise UserInputError(f"{self._spec.text}: cannot read {day_file} as a MATLAB .mat file ({exc}).") from None
        raise UserInputError(
            f"{self._spec.text}: {day_file} holds {sorted(variables)}; expected the variables 'data' and 'filenames'."
        )

    def _eval_samples(self, root: Path, person: str, names_by_day: dict) -> tuple[np.ndarray, ...]:
        list_file = root / EVAL_LIST_DIR / f"{person}.txt"
        if not list_file.is_file():
            raise UserInputError(f"{self._spec.text}: subset=eval needs {list_file}, which does not exist.")
        ids, eyes, rows = [], [], []
        for line_no, line in enumerate(list_file.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            parts = line.split()
            day, _, name = parts[0].partition("/")
            if len(parts) != 2 or parts[1] not in EYES or day not in names_by_day or name not in names_by_day[day][1]:
                raise UserInputError(
                    f"{self._spec.text}: {list_file} line {line_no} '{line.strip()}' does not name a sample "
                    "of Data/Normalized; expected 'dayYY/NNNN.jpg left|right'."
                )
            file_id, row_by_name = names_by_day[day]
            ids.append(file_id)
            eyes.append(EYES.index(parts[1]))
            rows.append(row_by_name[name])
        return np.array(ids, np.int64), np.array(eyes, np.int64), np.array(rows, np.int64)

    def _day(self, file_id: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """(images, pitch/yaw) per eye of one day file, right eye mirrored; the last file stays cached."""
        if file_id != self._cached_id:
            data = scipy.io.loadmat(self._files[file_id], struct_as_record=False, squeeze_me=True)["data"]
            self._cached = [self._eye_arrays(data, file_id, eye) for eye in EYES]
            self._cached_id = file_id
        return self._cached

    def _eye_arrays(self, data, file_id: int, eye: str) -> tuple[np.ndarray, np.ndarray]:
        day_file, count = self._files[file_id], self._counts[file_id]
        where = f"{self._spec.text} ({day_file})"
        record = getattr(data, eye, None)
        images = getattr(record, "image", None)
        vectors = getattr(record, "gaze", None)
        if images is None or vectors is None:
            raise UserInputError(f"{where}: expected data.{eye}.image and data.{eye}.gaze as MPIIGaze's Normalized files hold.")
        images, vectors = _as_rows(images, 3), _as_rows(vectors, 2).astype(np.float64)
        if images.dtype != np.uint8 or images.shape != (count, *EYE_SIZE):
            raise UserInputError(
                f"{where}: data.{eye}.image is {images.dtype} {images.shape}; expected uint8 ({count}, 36, 60)."
            )
        if vectors.shape != (count, 3):
            raise UserInputError(f"{where}: data.{eye}.gaze has shape {vectors.shape}; expected ({count}, 3) vectors.")
        norms = np.linalg.norm(vectors, axis=1)
        if not np.all(np.abs(norms - 1.0) < 0.1):  # NaN fails this too
            raise UserInputError(f"{where}: data.{eye}.gaze holds non-unit or NaN vectors; expected unit 3-D vectors.")
        pitchyaw = vector_to_pitchyaw(vectors).astype(np.float32)
        if eye == "right":
            images, pitchyaw = mirror_images(images), mirror_pitchyaw(pitchyaw)
        check_gaze(pitchyaw, where)
        return images, pitchyaw

    def people(self, indices: np.ndarray) -> np.ndarray:
        return np.array([self._files[i].parent.name for i in self._file_of[indices]], dtype=object)

    def recordings(self, indices: np.ndarray) -> np.ndarray:
        """person/dayYY: one .mat file is one recording day."""
        return np.array([f"{self._files[i].parent.name}/{self._files[i].stem}" for i in self._file_of[indices]], dtype=object)

    def read(self, indices: np.ndarray) -> EyeData:
        images = np.empty((len(indices), *EYE_SIZE), np.uint8)
        gaze = np.empty((len(indices), 2), np.float32)
        file_ids = self._file_of[indices]
        order = np.argsort(file_ids, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(file_ids[order]) != 0])
        for group in np.split(order, starts[1:]):
            day = self._day(int(file_ids[group[0]]))
            for eye, (eye_images, eye_gaze) in enumerate(day):
                mine = group[self._eye_of[indices[group]] == eye]
                rows = self._row_of[indices[mine]]
                images[mine], gaze[mine] = eye_images[rows], eye_gaze[rows]
        return EyeData(images, gaze)


class _HystsH5:
    """hysts' MPIIGaze.h5: groups pXX with `image` (N, 36, 60) uint8 and `gaze` (N, 2) pitch/yaw, read lazily."""

    def __init__(self, path: Path, spec: SourceSpec):
        if spec.options.get("subset") not in (None, "eval"):
            raise UserInputError(
                f"{spec.text}: an MPIIGaze.h5 holds the Evaluation Subset only; expected no subset option or subset=eval."
            )
        try:
            self._file = h5py.File(path, "r")
        except OSError as exc:
            raise UserInputError(f"{spec.text}: cannot read {path} as HDF5 ({exc}).") from None
        available = sorted(k for k in self._file if PERSON_NAME.fullmatch(k) and isinstance(self._file[k], h5py.Group))
        self._people = _select_people(available, spec, path)
        self._groups = [self._checked_group(person, spec) for person in self._people]
        self._offsets = np.cumsum([0] + [images.shape[0] for images, _ in self._groups])

    def _checked_group(self, person: str, spec: SourceSpec) -> tuple[h5py.Dataset, h5py.Dataset]:
        images, gaze = self._file[person].get("image"), self._file[person].get("gaze")
        where = f"{spec.text} ({person})"
        if not isinstance(images, h5py.Dataset) or not isinstance(gaze, h5py.Dataset):
            raise UserInputError(f"{where}: the group lacks 'image' or 'gaze'; expected both datasets.")
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != EYE_SIZE:
            raise UserInputError(
                f"{where}: image is {images.dtype} {images.shape}; expected one size, uint8 (N, 36, 60), for everyone."
            )
        if gaze.shape != (images.shape[0], 2):
            raise UserInputError(f"{where}: gaze has shape {gaze.shape}; expected ({images.shape[0]}, 2) pitch/yaw.")
        return images, gaze

    def __len__(self):
        return int(self._offsets[-1])

    image_shape = EYE_SIZE

    def people(self, indices: np.ndarray) -> np.ndarray:
        return np.array(self._people, dtype=object)[np.searchsorted(self._offsets, indices, side="right") - 1]

    def recordings(self, indices: np.ndarray) -> None:
        return None  # hysts' file keeps no day

    def read(self, indices: np.ndarray) -> EyeData:
        images = [np.zeros((0, *self.image_shape), np.uint8)]
        gaze = [np.zeros((0, 2), np.float32)]
        # indices arrive sorted, so each group's rows are one increasing run (what h5py needs).
        owner = np.searchsorted(self._offsets, indices, side="right") - 1
        for group_id in np.unique(owner):
            rows = indices[owner == group_id] - self._offsets[group_id]
            group_images, group_gaze = self._groups[group_id]
            images.append(group_images[rows])
            gaze.append(np.asarray(group_gaze[rows], np.float32))
        return EyeData(np.concatenate(images), np.concatenate(gaze))
