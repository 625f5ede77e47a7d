import pytest

from polymodal.data import dataset_names, load_dataset
from polymodal.errors import ConfigError, DataFileError


def test_names_and_errors(monkeypatch, tmp_path):
    synthetic = ["bits-and", "bits-or", "bits-xor", "latent-redundancy", "latent-unique1", "latent-unique2",
                 "latent-synergy", "hetero-groups"]
    assert dataset_names() == ["digits", "mfeat", "avmnist", "avmnist-seq", *synthetic]
    with pytest.raises(ConfigError, match="dataset .cifar. is unknown; choose from digits, mfeat, avmnist, avmnist-seq, bits-and.*or give the path of an .npz"):
        load_dataset("cifar")
    monkeypatch.delenv("POLYMODAL_DATA_DIR", raising=False)
    with pytest.raises(DataFileError, match="--data-dir"):
        load_dataset("mfeat")
    with pytest.raises(DataFileError, match="does not exist"):
        load_dataset("mfeat", tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="bad option"):
        load_dataset("digits", colour="red")


def test_data_dir_from_environment(monkeypatch, data_dir):
    monkeypatch.setenv("POLYMODAL_DATA_DIR", str(data_dir))
    assert len(load_dataset("mfeat").modalities) == 6
