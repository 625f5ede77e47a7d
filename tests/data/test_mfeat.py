import numpy as np
import pytest

from polymodal.data import load_mfeat
from polymodal.data.mfeat import MFEAT_VIEWS
from polymodal.errors import DataFileError


@pytest.fixture(scope="module")
def mfeat(data_dir):
    return load_mfeat(data_dir)


def test_six_views_with_their_sizes(mfeat, data_dir):
    assert {m: s.shape[0] for m, s in mfeat.modalities.items()} == {"fac": 216, "fou": 76, "kar": 64, "mor": 6, "pix": 240, "zer": 47}
    assert {k: len(s) for k, s in mfeat.splits.items()} == {"train": 1400, "val": 300, "test": 300}
    for split, n in (("train", 140), ("val", 30), ("test", 30)):
        assert np.bincount(mfeat.splits[split].labels.numpy()).tolist() == [n] * 10
    # row i of the file is sample source_rows[i]; labels in the file are blocks of 200
    rows = np.array(mfeat.splits["test"].meta["source_rows"])
    assert np.array_equal(mfeat.splits["test"].labels.numpy(), rows // 200)
    raw = np.loadtxt(data_dir / "mfeat" / "mfeat-mor.csv", delimiter=",", skiprows=1)[:, :-1]
    got = mfeat.splits["test"].inputs["mor"].numpy()
    corr = [np.corrcoef(got[:, j], raw[rows, j])[0, 1] for j in range(6) if raw[:, j].std() > 0]
    assert np.allclose(corr, 1.0, atol=1e-5)
    train = mfeat.splits["train"].inputs["pix"].numpy()
    assert np.allclose(train.mean(0), 0, atol=1e-4)


def test_missing_and_truncated_files(data_dir, tmp_path):
    folder = tmp_path / "mfeat"
    folder.mkdir()
    for view in MFEAT_VIEWS:
        (folder / f"mfeat-{view}.csv").write_bytes((data_dir / "mfeat" / f"mfeat-{view}.csv").read_bytes())
    lines = (folder / "mfeat-kar.csv").read_text().splitlines()
    (folder / "mfeat-kar.csv").write_text("\n".join(lines[:500]) + "\n")
    with pytest.raises(DataFileError, match="mfeat-kar.csv.*truncated"):
        load_mfeat(tmp_path)
    (folder / "mfeat-fac.csv").unlink()
    with pytest.raises(DataFileError, match="missing data file .*mfeat-fac.csv.*UCI"):
        load_mfeat(tmp_path)
