"""A user's own data: .npz files, TOML manifests and arrays give the same data sets as the built-ins."""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
import torch

from polymodal.data import MultimodalDataset, Padded, load_dataset, load_mfeat
from polymodal.data.arrays import from_arrays
from polymodal.data.mfeat import MFEAT_VIEWS
from polymodal.errors import ConfigError, DataFileError, ShapeError
from polymodal.models.build import ModelConfig
from polymodal.training.pipeline import TrainConfig, fit


def mfeat_manifest(folder: Path, data_dir: Path) -> Path:
    """The manifest a user would write for the mfeat CSV files: the label is the last column of each."""
    lines = ['name = "mfeat-from-csv"', "[label]", f'csv = "{(data_dir / "mfeat" / "mfeat-fac.csv").as_posix()}"',
             "column = -1"]
    for view in MFEAT_VIEWS:
        lines += [f"[modalities.{view}]", f'csv = "{(data_dir / "mfeat" / f"mfeat-{view}.csv").as_posix()}"',
                  "drop = [-1]", "standardise = true"]
    path = folder / "mfeat.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def assert_same_data(a: MultimodalDataset, b: MultimodalDataset) -> None:
    assert list(a.modalities) == list(b.modalities) and a.num_classes == b.num_classes
    for split in a.splits:
        sa, sb = a.splits[split], b.splits[split]
        assert torch.equal(sa.labels, sb.labels)
        for m in a.modalities:
            xa, xb = sa.modality(m), sb.modality(m)
            if isinstance(xa, Padded):
                assert torch.equal(xa.lengths, xb.lengths)
                xa, xb = xa.values, xb.values
            assert torch.equal(xa, xb), (split, m)


def quick_accuracy(ds: MultimodalDataset, out: Path) -> float:
    result = fit(ds, ModelConfig.for_dataset(ds, "early"), TrainConfig(epochs=2, seed=3), out, progress_bar=False)
    return result["test_accuracy"]


def test_mfeat_manifest_equals_the_builtin(tmp_path, data_dir):
    # the paths may be absolute (the manifest is written here, the data lives in shared/)
    ds = load_dataset(str(mfeat_manifest(tmp_path, data_dir)), seed=0)
    builtin = load_mfeat(data_dir, seed=0)
    assert_same_data(builtin, ds)
    assert ds.options["class_names"] == [str(c) for c in range(10)]
    assert quick_accuracy(ds, tmp_path / "a") == quick_accuracy(builtin, tmp_path / "b")


def test_npz_round_trip_gives_the_same_data_and_results(tmp_path, digits):
    path = digits.to_npz(tmp_path / "digits.npz")
    again = load_dataset(str(path))
    assert_same_data(digits, again)
    assert quick_accuracy(digits, tmp_path / "a") == quick_accuracy(again, tmp_path / "b")


def test_npz_with_sequences_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    n = 60
    seq = rng.normal(size=(n, 9, 3)).astype(np.float32)
    lengths = rng.integers(1, 10, size=n)
    for i, L in enumerate(lengths):
        seq[i, L:] = 0
    np.savez(tmp_path / "s.npz", label=np.repeat(["cat", "dog", "emu"], 20), seq=seq, seq_lengths=lengths,
             vec=rng.normal(size=(n, 4)))
    ds = load_dataset(str(tmp_path / "s.npz"))
    assert ds.modalities["seq"].kind == "sequence" and ds.modalities["vec"].kind == "vector"
    assert ds.options["class_names"] == ["cat", "dog", "emu"]
    again = load_dataset(str(ds.to_npz(tmp_path / "again.npz")))
    assert_same_data(ds, again)
    # 70/15/15, stratified: 14/3/3 per class
    assert [len(ds.splits[k]) for k in ("train", "val", "test")] == [42, 9, 9]


def test_inferred_kinds_and_string_labels():
    rng = np.random.default_rng(0)
    ds = from_arrays({"v": rng.normal(size=(30, 2)), "img": rng.random((30, 1, 4, 4)), "s": rng.normal(size=(30, 5, 2)),
                      "t": np.array(["a b", "c"] * 15)}, np.array(["z", "y", "x"] * 10), seed=1)
    assert {m: s.kind for m, s in ds.modalities.items()} == {"v": "vector", "img": "image", "s": "sequence", "t": "text"}
    # classes in sorted order: x -> 0, y -> 1, z -> 2
    assert ds.options["class_names"] == ["x", "y", "z"]
    rows = ds.splits["train"].meta["source_rows"]
    expected = np.array([2, 1, 0] * 10)[rows]
    assert np.array_equal(ds.splits["train"].labels.numpy(), expected)


def test_explicit_split_is_kept():
    split = np.array(["train"] * 6 + ["val"] * 2 + ["test"] * 2)
    ds = from_arrays({"v": np.arange(20.0).reshape(10, 2)}, np.arange(10) % 2, split=split)
    assert ds.splits["val"].meta["source_rows"] == [6, 7]
    assert torch.equal(ds.splits["test"].modality("v"), torch.tensor([[16.0, 17.0], [18.0, 19.0]]))


def test_sequence_standardisation_uses_true_steps_only():
    values = np.zeros((6, 3, 1))
    lengths = np.array([1, 2, 3, 1, 2, 3])
    for i, L in enumerate(lengths):
        values[i, :L, 0] = np.arange(1, L + 1)
    split = np.array(["train", "train", "train", "val", "test", "test"])
    ds = from_arrays({"s": values}, np.array([0, 1, 0, 1, 0, 1]), split=split, lengths={"s": lengths}, standardise=True)
    steps = np.array([1, 1, 2, 1, 2, 3], dtype=float)  # the true steps of the training rows
    got = ds.splits["train"].modality("s")
    want = (np.array([1.0, 2.0, 3.0]) - steps.mean()) / steps.std()
    np.testing.assert_allclose(got.values[2, :, 0].numpy(), want, rtol=1e-6)
    assert float(got.values[0, 1:].abs().sum()) == 0.0  # the padding stays zero


# --- bad input: one line naming the file or argument and the fix -------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def write_wav(path: Path, samples: np.ndarray, rate: int = 8000) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes((samples * 32000).astype(np.int16).tobytes())


@pytest.fixture
def table(tmp_path) -> Path:
    rows = ["a,b,y"] + [f"{i},{i * 2},{i % 2}" for i in range(12)]
    return write(tmp_path / "t.csv", "\n".join(rows) + "\n")


def manifest(tmp_path: Path, body: str) -> str:
    return str(write(tmp_path / "m.toml", body))


def test_missing_file(tmp_path):
    with pytest.raises(DataFileError, match="does not exist"):
        load_dataset(str(tmp_path / "nothing.npz"))
    np.save(tmp_path / "x.npy", np.zeros((4, 2)))
    with pytest.raises(DataFileError, match="nope.csv does not exist"):
        load_dataset(manifest(tmp_path, '[label]\ncsv = "nope.csv"\ncolumn = "y"\n[modalities.x]\nnpy = "x.npy"\n'))


def test_missing_column(tmp_path, table):
    with pytest.raises(DataFileError, match="has no column 'zz'"):
        load_dataset(manifest(tmp_path, '[label]\ncsv = "t.csv"\ncolumn = "zz"\n[modalities.x]\ncsv = "t.csv"\ncolumns = ["a"]\n'))


def test_non_numeric_cell_names_row_and_column(tmp_path):
    write(tmp_path / "t.csv", "a,y\n1,0\nfoo,1\n3,0\n")
    with pytest.raises(DataFileError, match=r"row 3, column 'a': 'foo' is not a number"):
        load_dataset(manifest(tmp_path, '[label]\ncsv = "t.csv"\ncolumn = "y"\n[modalities.x]\ncsv = "t.csv"\ncolumns = ["a"]\n'))


def test_row_counts_differ_names_both():
    with pytest.raises(ShapeError, match="modality 'b' has 9 rows but label has 10"):
        from_arrays({"a": np.zeros((10, 2)), "b": np.zeros((9, 2))}, np.arange(10) % 2)


def test_no_label(tmp_path):
    np.savez(tmp_path / "x.npz", x=np.zeros((5, 2)))
    with pytest.raises(DataFileError, match="has no 'label' array"):
        load_dataset(str(tmp_path / "x.npz"))


def test_nan_names_modality_and_row():
    x = np.zeros((12, 2))
    x[7, 1] = np.nan
    with pytest.raises(ShapeError, match="modality 'x' holds NaN or inf, first in row 7"):
        from_arrays({"x": x}, np.arange(12) % 2)


def test_unknown_kind():
    with pytest.raises(ConfigError, match="kind 'video' is unknown; use one of vector, image, spectrogram, sequence, text"):
        from_arrays({"x": np.zeros((12, 2))}, np.arange(12) % 2, kinds={"x": "video"})


def test_bad_split_value_and_empty_split():
    labels = np.arange(6) % 2
    with pytest.raises(ShapeError, match=r"split\[2\] is 'dev'"):
        from_arrays({"x": np.zeros((6, 1))}, labels, split=["train", "train", "dev", "val", "test", "test"])
    with pytest.raises(ShapeError, match="split 'val' is empty"):
        from_arrays({"x": np.zeros((6, 1))}, labels, split=["train"] * 4 + ["test"] * 2)


def test_class_too_small_to_stratify():
    with pytest.raises(ShapeError, match="class 1 has only 2 sample"):
        from_arrays({"x": np.zeros((12, 1))}, np.array([0] * 10 + [1] * 2))


def test_images_of_different_sizes_and_unreadable_image(tmp_path):
    from PIL import Image

    folder = tmp_path / "img"
    folder.mkdir()
    Image.new("L", (4, 4)).save(folder / "a.png")
    Image.new("L", (5, 4)).save(folder / "b.png")
    body = '[label]\nfile = "y.txt"\n[modalities.img]\nimages = "img"\n'
    write(tmp_path / "y.txt", "0\n1\n")
    with pytest.raises(DataFileError, match="b.png is 5x4 but a.png is 4x4; give size"):
        load_dataset(manifest(tmp_path, body))
    write(folder / "b.png", "not an image")
    with pytest.raises(DataFileError, match="b.png is unreadable"):
        load_dataset(manifest(tmp_path, body))


def test_unreadable_wav(tmp_path):
    folder = tmp_path / "wav"
    folder.mkdir()
    write_wav(folder / "a.wav", np.sin(np.arange(800) / 5))
    write(folder / "b.wav", "RIFF garbage")
    write(tmp_path / "y.txt", "0\n1\n")
    with pytest.raises(DataFileError, match="b.wav is not a readable WAV"):
        load_dataset(manifest(tmp_path, '[label]\nfile = "y.txt"\n[modalities.a]\naudio = "wav"\n'))


def test_lengths_longer_than_padding(tmp_path):
    np.savez(tmp_path / "s.npz", label=np.arange(12) % 2, s=np.zeros((12, 4, 2)), s_lengths=np.r_[np.ones(11), 5])
    with pytest.raises(ShapeError, match=r"s_lengths\[11\] = 5 is longer than the padded length 4"):
        load_dataset(str(tmp_path / "s.npz"))


def test_cli_prints_one_line_and_exits_2(tmp_path):
    np.savez(tmp_path / "x.npz", x=np.zeros((5, 2)))
    proc = subprocess.run([sys.executable, "-m", "polymodal", "data", "info", str(tmp_path / "x.npz")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "has no 'label' array" in lines[0]


# --- folders of files: images, WAV, text --------------------------------------------------------------------------


def test_manifest_folders_of_images_audio_and_text(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    (tmp_path / "img").mkdir(), (tmp_path / "wav").mkdir()
    n = 12
    for i in range(n):
        Image.fromarray((rng.random((6, 8)) * 255).astype(np.uint8)).save(tmp_path / "img" / f"{i:02d}.png")
        write_wav(tmp_path / "wav" / f"{i:02d}.wav", 0.3 * np.sin(np.arange(400 + 160 * i) / (3 + i % 2)))
    write(tmp_path / "captions.txt", "\n".join(f"digit {i % 2} spoken" for i in range(n)) + "\n")
    write(tmp_path / "y.txt", "\n".join(str(i % 2) for i in range(n)) + "\n")
    body = ('[label]\nfile = "y.txt"\n[modalities.photo]\nimages = "img"\nsize = [4, 4]\n'
            '[modalities.voice]\naudio = "wav"\nfeatures = "mfcc"\n[modalities.caption]\ntext = "captions.txt"\n')
    ds = load_dataset(manifest(tmp_path, body))
    assert ds.modalities["photo"].shape == (1, 4, 4) and ds.modalities["voice"].kind == "sequence"
    assert ds.modalities["voice"].shape[1] == 13 and ds.modalities["caption"].kind == "text"
    lengths = torch.cat([s.modality("voice").lengths for s in ds.splits.values()])
    rows = sum((s.meta["source_rows"] for s in ds.splits.values()), [])
    # 400 + 160 i samples, frames of 200 every 80: 1 + (len - 200) // 80 = 3 + 2 i
    assert lengths.tolist() == [3 + 2 * i for i in rows]
    result = fit(ds, ModelConfig.for_dataset(ds, "transformer"), TrainConfig(epochs=1, batch_size=4), tmp_path / "run",
                 progress_bar=False)
    assert 0.0 <= result["test_accuracy"] <= 1.0


def test_datamodule_feeds_a_plain_lightning_trainer(tmp_path, digits):
    import lightning.pytorch as pl

    from polymodal.data import MultimodalDataModule
    from polymodal.training.module import ClassificationModule

    dm = MultimodalDataModule(str(digits.to_npz(tmp_path / "d.npz")), batch_size=128)
    dm.setup()
    batch = next(iter(dm.train_dataloader()))
    assert batch["inputs"]["top"].shape == (128, 32) and batch["label"].shape == (128,)
    module = ClassificationModule(ModelConfig.for_dataset(dm.dataset, "early").to_dict())
    trainer = pl.Trainer(max_epochs=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         default_root_dir=tmp_path)
    trainer.fit(module, datamodule=dm)
    assert trainer.current_epoch == 1


def test_parquet_columns_equal_the_csv_ones(tmp_path, table):
    pa = pytest.importorskip("pyarrow", reason="pyarrow is in the test extra")
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=30), rng.normal(size=30)
    y = np.arange(30) % 3
    pq.write_table(pa.table({"px_a": a, "px_b": b, "label": y}), tmp_path / "t.parquet")
    write(tmp_path / "t2.csv", "px_a,px_b,label\n" + "".join(f"{float(u)!r},{float(v)!r},{w}\n" for u, v, w in zip(a, b, y)))
    body = '[label]\n{0} = "{1}"\ncolumn = "label"\n[modalities.x]\n{0} = "{1}"\nprefix = "px_"\n'
    from_parquet = load_dataset(manifest(tmp_path, body.format("parquet", "t.parquet")))
    from_csv = load_dataset(manifest(tmp_path, body.format("csv", "t2.csv")))
    assert_same_data(from_parquet, from_csv)
    assert from_parquet.modalities["x"].shape == (2,)
