import pytest
import torch

from polymodal.data.dataset import ModalitySpec, MultimodalDataset, MultimodalSplit
from polymodal.errors import ConfigError, ShapeError


def _split(n=4):
    return MultimodalSplit({"a": torch.zeros(n, 3), "b": torch.arange(2.0).reshape(2, 1)}, torch.arange(n) % 2,
                           rows={"b": torch.tensor([0, 1, 1, 0])[:n]})


def test_samples_are_dicts_of_modalities_with_bank_rows():
    s = _split()
    item = s[2]
    assert set(item) == {"inputs", "label", "index"} and item["index"] == 2
    assert item["inputs"]["b"].item() == 1.0 and item["inputs"]["a"].shape == (3,)
    assert s.modality("b").squeeze(1).tolist() == [0, 1, 1, 0]


def test_size_mismatch_is_reported_with_the_modality():
    with pytest.raises(ShapeError, match="modality 'a' has 3 samples"):
        MultimodalSplit({"a": torch.zeros(3, 2)}, torch.zeros(4))
    with pytest.raises(ShapeError, match="out of range"):
        MultimodalSplit({"a": torch.zeros(2, 2)}, torch.zeros(2), rows={"a": torch.tensor([0, 5])})


def test_declared_shapes_are_checked_and_select_keeps_order():
    specs = {"a": ModalitySpec("a", "vector", (3,)), "b": ModalitySpec("b", "vector", (1,))}
    ds = MultimodalDataset("t", specs, 2, {"train": _split()})
    assert list(ds.select(["b", "a"]).modalities) == ["b", "a"]
    with pytest.raises(ConfigError, match="'c'"):
        ds.select(["c"])
    with pytest.raises(ShapeError, match="declared"):
        MultimodalDataset("t", {"a": ModalitySpec("a", "vector", (5,)), "b": specs["b"]}, 2, {"train": _split()})
    assert ds.info()["splits"]["train"] == {"size": 4, "label_counts": [2, 2]}


def test_modality_spec_validates_kind_and_rank():
    with pytest.raises(ConfigError, match="kind 'video'"):
        ModalitySpec("x", "video", (3,))
    with pytest.raises(ConfigError, match="shape"):
        ModalitySpec("x", "image", (28, 28))


def test_subset_cuts_samples_and_keeps_a_bank_shared():
    bank = torch.arange(12.0).reshape(3, 4)
    split = MultimodalSplit({"x": torch.arange(10.0)[:, None], "bank": bank}, torch.arange(10) % 3,
                            rows={"bank": torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])})
    part = split.subset([7, 2, 3])
    assert part.inputs["bank"] is bank
    for k, i in enumerate([7, 2, 3]):
        assert torch.equal(part[k]["inputs"]["x"], split[i]["inputs"]["x"])
        assert torch.equal(part[k]["inputs"]["bank"], split[i]["inputs"]["bank"]) and part[k]["label"] == split[i]["label"]
