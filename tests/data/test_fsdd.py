import numpy as np
import pytest

from polymodal.data.fsdd import list_recordings, read_recording
from polymodal.errors import DataFileError


def test_lists_all_recordings(data_dir):
    recs = list_recordings(data_dir / "fsdd" / "recordings")
    assert len(recs) == 3000
    assert len({r.speaker for r in recs}) == 6
    assert {r.take for r in recs} == set(range(50))
    assert np.bincount([r.digit for r in recs]).tolist() == [300] * 10
    assert [r.path.name for r in recs] == sorted(r.path.name for r in recs)


def test_reads_samples_in_unit_range(data_dir):
    x = read_recording(data_dir / "fsdd" / "recordings" / "0_george_0.wav")
    assert x.dtype == np.float32 and x.ndim == 1 and 0 < np.abs(x).max() <= 1


def test_truncated_wav_is_rejected(data_dir, tmp_path):
    raw = (data_dir / "fsdd" / "recordings" / "3_theo_7.wav").read_bytes()
    bad = tmp_path / "3_theo_7.wav"
    bad.write_bytes(raw[:30])
    with pytest.raises(DataFileError, match="3_theo_7.wav"):
        read_recording(bad)


def test_missing_folder(tmp_path):
    with pytest.raises(DataFileError, match="missing data folder"):
        list_recordings(tmp_path / "nope")
    with pytest.raises(DataFileError, match="holds no file"):
        list_recordings(tmp_path)
