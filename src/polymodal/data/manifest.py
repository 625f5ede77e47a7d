"""A data set described by a TOML manifest: where each modality, the label and the split come from.

Paths are relative to the manifest. Each ``[modalities.NAME]`` table has one source:

- ``csv = "file.csv"`` (a header row) or ``parquet = "file.parquet"`` (the ``parquet`` extra),
  with ``columns = [...]`` (names, or positions counted from 0, negative from the end),
  ``prefix = "px_"`` or ``drop = [...]`` (every other column);
- ``npy = "x.npy"``, with ``lengths = "x_lengths.npy"`` for a padded sequence;
- ``images = "folder"``: PNG/JPEG files read with Pillow, in file-name order (or the order of
  ``files = "list.txt"``, one name per line), ``mode = "L"`` (grey, default) or ``"RGB"``,
  ``size = [H, W]`` to resize; every image must then have one size;
- ``audio = "folder"``: WAV files, each a sequence of ``features = "log-mel"`` (default) or
  ``"mfcc"`` frames (:mod:`polymodal.data.audio`);
- ``text = "file.txt"`` (one text per line) or a folder of ``.txt`` files (one text per file).

and optionally ``kind`` (override the inferred kind), ``standardise = true`` and ``description``.
``[label]`` and ``[split]`` take ``csv``/``parquet`` with ``column``, ``npy``, or ``file`` (one
value per line). Top level: ``name``, ``seed`` (of a stratified split), ``text_encoder``, and
``npz = "data.npz"`` to start from an ``.npz`` in the convention of :mod:`polymodal.data.npz`
(its kinds may then be overridden per modality).

Example (UCI Multiple Features from its CSV files)::

    name = "mfeat-from-csv"
    [label]
    csv = "mfeat-fac.csv"
    column = -1
    [modalities.fac]
    csv = "mfeat-fac.csv"
    drop = [-1]
    standardise = true
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from polymodal.data.arrays import from_arrays
from polymodal.data.dataset import MultimodalDataset
from polymodal.errors import ConfigError, DataFileError, PolymodalError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SOURCES = ("csv", "parquet", "npy", "images", "audio", "text")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
MODALITY_KEYS = {*SOURCES, "columns", "prefix", "drop", "lengths", "files", "mode", "size", "features", "kind",
                 "standardise", "description"}


class Table:
    """A CSV or Parquet file's header and its cells as strings (CSV) or arrays (Parquet), read once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise DataFileError(f"data file {path} does not exist; fix the path in the manifest (relative to it)")
        if path.suffix == ".parquet":
            try:
                import pyarrow.parquet as pq
            except ImportError:
                raise ConfigError(f"{path}: Parquet files need pyarrow: pip install 'polymodal[parquet]'") from None
            table = pq.read_table(path)
            self.header = list(table.column_names)
            self.columns = [np.asarray(table.column(i).to_pylist()) for i in range(table.num_columns)]
        else:
            with open(path, newline="", encoding="utf-8") as f:
                rows = list(csv.reader(f))
            if not rows:
                raise DataFileError(f"data file {path} is empty; a CSV needs a header row and one row per sample")
            self.header, body = rows[0], rows[1:]
            bad = next((i for i, r in enumerate(body) if len(r) != len(self.header)), None)
            if bad is not None:
                raise DataFileError(f"{path}, row {bad + 2}: {len(body[bad])} cells, the header has {len(self.header)}")
            self.columns = [np.array([r[j] for r in body], dtype=object) for j in range(len(self.header))]

    def position(self, key: Any) -> int:
        """The column index of a name or a (negative) position."""
        if isinstance(key, int) and not isinstance(key, bool):
            if not -len(self.header) <= key < len(self.header):
                raise DataFileError(f"{self.path}: column position {key} is out of range; it has {len(self.header)} columns")
            return key % len(self.header)
        if key not in self.header:
            raise DataFileError(f"{self.path} has no column {key!r}; its columns are {', '.join(self.header[:8])}"
                                + (", ..." if len(self.header) > 8 else ""))
        return self.header.index(key)

    def select(self, spec: Mapping[str, Any], what: str) -> list[int]:
        """Column indices from ``columns``, ``prefix`` or ``drop`` (exactly one)."""
        given = [k for k in ("columns", "prefix", "drop") if k in spec]
        if len(given) != 1:
            raise ConfigError(f"{what}: give exactly one of columns, prefix or drop for {self.path.name}")
        if "columns" in spec:
            return [self.position(c) for c in spec["columns"]]
        if "prefix" in spec:
            cols = [i for i, h in enumerate(self.header) if h.startswith(spec["prefix"])]
            if not cols:
                raise DataFileError(f"{self.path} has no column starting with {spec['prefix']!r}")
            return cols
        dropped = {self.position(c) for c in spec["drop"]}
        return [i for i in range(len(self.header)) if i not in dropped]

    def numeric(self, cols: list[int]) -> np.ndarray:
        """``(N, len(cols))`` float64; a non-numeric cell is named by row and column."""
        out = np.empty((len(self.columns[0]) if self.columns else 0, len(cols)), dtype=np.float64)
        for k, j in enumerate(cols):
            try:
                out[:, k] = self.columns[j].astype(np.float64)
            except (ValueError, TypeError):
                for i, cell in enumerate(self.columns[j]):
                    try:
                        float(cell)
                    except (ValueError, TypeError):
                        raise DataFileError(f"{self.path}, row {i + 2}, column {self.header[j]!r}: {cell!r} is not a "
                                            "number; fix the cell or leave the column out") from None
        return out

    def column(self, key: Any) -> np.ndarray:
        """One column; numbers if every cell is one, else strings."""
        values = self.columns[self.position(key)]
        try:
            return values.astype(np.float64)
        except (ValueError, TypeError):
            return values.astype(str)


class ManifestReader:
    """Reads the sources of one manifest (each file once)."""

    def __init__(self, path: Path) -> None:
        self.path, self.root = path, path.parent
        self._tables: dict[Path, Table] = {}

    def file(self, relative: str, what: str) -> Path:
        if not isinstance(relative, str):
            raise ConfigError(f"{self.path}: {what} must be a path (a string), got {relative!r}")
        p = self.root / relative
        if not p.exists():
            raise DataFileError(f"{what}: {p} does not exist; paths in {self.path.name} are relative to it")
        return p

    def table(self, relative: str, what: str) -> Table:
        p = self.file(relative, what)
        if p not in self._tables:
            self._tables[p] = Table(p)
        return self._tables[p]

    def column_source(self, spec: Mapping[str, Any], what: str) -> np.ndarray:
        """``[label]`` or ``[split]``: a table column, an ``.npy``, or a file of one value per line."""
        for key in ("csv", "parquet"):
            if key in spec:
                if "column" not in spec:
                    raise ConfigError(f"{self.path}: [{what}] needs column = NAME or position with {key}")
                return self.table(spec[key], f"[{what}] {key}").column(spec["column"])
        if "npy" in spec:
            return _load_npy(self.file(spec["npy"], f"[{what}] npy"))
        if "file" in spec:
            lines = self.file(spec["file"], f"[{what}] file").read_text(encoding="utf-8").splitlines()
            values = np.array([line.strip() for line in lines if line.strip()])
            try:
                return values.astype(np.int64)
            except ValueError:
                return values
        raise ConfigError(f"{self.path}: [{what}] needs csv/parquet with column, npy, or file")

    def modality(self, name: str, spec: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray | None]:
        """``(array, lengths or None)`` of ``[modalities.NAME]``."""
        what = f"[modalities.{name}]"
        unknown = sorted(set(spec) - MODALITY_KEYS)
        if unknown:
            raise ConfigError(f"{self.path}: {what} has unknown key {unknown[0]!r}; keys are {', '.join(sorted(MODALITY_KEYS))}")
        sources = [k for k in SOURCES if k in spec]
        if len(sources) != 1:
            raise ConfigError(f"{self.path}: {what} needs exactly one source of {', '.join(SOURCES)}, got {sources or 'none'}")
        source = sources[0]
        if source in ("csv", "parquet"):
            table = self.table(spec[source], f"{what} {source}")
            return table.numeric(table.select(spec, what)), None
        if source == "npy":
            lengths = _load_npy(self.file(spec["lengths"], f"{what} lengths")) if "lengths" in spec else None
            return _load_npy(self.file(spec["npy"], f"{what} npy")), lengths
        if source == "images":
            return read_images(self.file(spec["images"], f"{what} images"), spec, self.root), None
        if source == "audio":
            from polymodal.data.padded import Padded

            seqs = read_audio_folder(self.file(spec["audio"], f"{what} audio"), spec.get("features", "log-mel"))
            import torch

            padded = Padded.from_list([torch.from_numpy(s) for s in seqs])
            return padded.values.numpy(), padded.lengths.numpy()
        return read_texts(self.file(spec["text"], f"{what} text")), None


def _load_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise DataFileError(f"data file {path} is not a readable .npy ({error}); write it with numpy.save") from None


def _listed(folder: Path, spec: Mapping[str, Any], root: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if "files" in spec:
        listing = root / spec["files"]
        if not listing.is_file():
            raise DataFileError(f"files: {listing} does not exist")
        names = [line.strip() for line in listing.read_text(encoding="utf-8").splitlines() if line.strip()]
        paths = [folder / n for n in names]
        missing = [p for p in paths if not p.is_file()]
        if missing:
            raise DataFileError(f"{missing[0]} (listed in {listing.name}) does not exist")
        return paths
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in suffixes)
    if not paths:
        raise DataFileError(f"folder {folder} holds no {'/'.join(suffixes)} file")
    return paths


def read_images(folder: Path, spec: Mapping[str, Any], root: Path) -> np.ndarray:
    """``(N, C, H, W)`` float32 in [0, 1] from a folder of images (``mode``, ``size`` as above).

    Raises:
        DataFileError: an unreadable image (named), or images of different sizes without ``size``.
    """
    from PIL import Image, UnidentifiedImageError

    mode = spec.get("mode", "L")
    if mode not in ("L", "RGB"):
        raise ConfigError(f"mode: {mode!r} is unknown; use L (grey) or RGB")
    size = spec.get("size")
    out, first = [], None
    for p in _listed(folder, spec, root, IMAGE_SUFFIXES):
        try:
            with Image.open(p) as im:
                im = im.convert(mode)
                if size is not None:
                    im = im.resize((int(size[1]), int(size[0])), Image.BILINEAR)
                x = np.asarray(im, dtype=np.float32) / 255.0
        except (UnidentifiedImageError, OSError) as error:
            raise DataFileError(f"image {p} is unreadable ({error}); replace or remove it") from None
        if first is None:
            first = (p, x.shape)
        elif x.shape != first[1]:
            raise DataFileError(f"image {p} is {x.shape[1]}x{x.shape[0]} but {first[0].name} is {first[1][1]}x{first[1][0]}; "
                                "give size = [H, W] in the manifest to resize them all")
        out.append(x[None] if x.ndim == 2 else x.transpose(2, 0, 1))
    return np.stack(out)


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """``(samples float32 in [-1, 1], rate)`` of a mono or stereo (averaged) WAV file."""
    from scipy.io import wavfile

    try:
        rate, x = wavfile.read(path)
    except (ValueError, OSError, EOFError) as error:
        raise DataFileError(f"audio file {path} is not a readable WAV file ({error}); replace or remove it") from None
    if x.size == 0:
        raise DataFileError(f"audio file {path} holds no samples; replace or remove it")
    if np.issubdtype(x.dtype, np.integer):
        x = x.astype(np.float32) / float(np.iinfo(x.dtype).max + 1)
    x = x.astype(np.float32)
    return (x.mean(axis=1) if x.ndim == 2 else x), int(rate)


def read_audio_folder(folder: Path, features: str) -> list[np.ndarray]:
    """One ``(T_i, d)`` frame sequence per WAV file of ``folder``, in file-name order."""
    from polymodal.data.audio import SEQUENCE_FRONT_ENDS

    if features not in SEQUENCE_FRONT_ENDS:
        raise ConfigError(f"features: {features!r} is unknown; choose from {', '.join(SEQUENCE_FRONT_ENDS)}")
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".wav")
    if not paths:
        raise DataFileError(f"folder {folder} holds no .wav file")
    return [SEQUENCE_FRONT_ENDS[features](*read_wav(p)) for p in paths]


def read_texts(path: Path) -> np.ndarray:
    """``(N,)`` strings: the lines of a file, or one per ``.txt`` file of a folder (file-name order)."""
    if path.is_dir():
        files = sorted(path.glob("*.txt"))
        if not files:
            raise DataFileError(f"folder {path} holds no .txt file")
        return np.array([f.read_text(encoding="utf-8").strip() for f in files])
    return np.array([line.rstrip("\n") for line in path.read_text(encoding="utf-8").splitlines()])


def load_manifest(path: str | Path, seed: int | None = None, **options: Any) -> MultimodalDataset:
    """The data set a TOML manifest describes (see the module docstring).

    Args:
        path: the ``.toml`` file.
        seed: seed of the stratified split (default: the manifest's ``seed``, else 0).

    Raises:
        DataFileError, ConfigError, ShapeError: one line naming the manifest, the file and the fix.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"manifest {path} does not exist; pass --dataset with the path of a .toml or .npz file")
    try:
        manifest = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"manifest {path} is not valid TOML ({error})") from None
    try:
        return _from_manifest(path, manifest, seed, options)
    except PolymodalError as error:
        message = str(error)
        raise type(error)(message if str(path) in message else f"{path}: {message}") from None


def _from_manifest(path: Path, manifest: dict, seed: int | None, options: dict) -> MultimodalDataset:
    reader = ManifestReader(path)
    specs = manifest.get("modalities", {})
    seed = int(manifest.get("seed", 0)) if seed is None else seed
    modalities: dict[str, Any] = {}
    lengths: dict[str, Any] = {}
    label = split = None
    if "npz" in manifest:
        from polymodal.data.npz import read_npz, split_npz_arrays

        modalities, label, split, lengths = split_npz_arrays(read_npz(reader.file(manifest["npz"], "npz")), manifest["npz"])
    for name, spec in specs.items():
        if any(k in spec for k in SOURCES):
            modalities[name], lens = reader.modality(name, spec)
            if lens is not None:
                lengths[name] = lens
        elif name not in modalities:
            raise ConfigError(f"[modalities.{name}] needs a source ({', '.join(SOURCES)})")
    if "label" in manifest:
        label = reader.column_source(manifest["label"], "label")
    if label is None:
        raise ConfigError("the manifest needs a [label] table (csv/parquet with column, npy, or file)")
    if "split" in manifest:
        split = reader.column_source(manifest["split"], "split")
    if not modalities:
        raise ConfigError("the manifest names no modality; add [modalities.NAME] tables")
    kinds = {n: s["kind"] for n, s in specs.items() if "kind" in s}
    wanted = [n for n, s in specs.items() if s.get("standardise")]
    text_encoder = manifest.get("text_encoder", options.pop("text_encoder", "tokens"))
    return from_arrays(modalities, label, name=manifest.get("name", path.stem), split=split, lengths=lengths,
                       kinds=kinds, standardise=wanted, seed=seed, text_encoder=text_encoder,
                       descriptions={n: s.get("description", "") for n, s in specs.items()},
                       description=manifest.get("description", f"described by {path.name}"),
                       options={"path": str(path), "seed": seed})
