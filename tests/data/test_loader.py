"""batch_loader gives the batches of PyTorch's per-sample loader, in the same order."""

import pytest
import torch
from torch.utils.data import DataLoader

from polymodal.data.dataset import MultimodalSplit
from polymodal.data.loader import batch_loader


def _split():
    g = torch.Generator().manual_seed(0)
    n = 37
    return MultimodalSplit(
        {"image": torch.randn(n, 1, 4, 4, generator=g), "audio": torch.randn(5, 3, generator=g)},  # audio: a bank
        torch.randint(0, 3, (n,), generator=g),
        rows={"audio": torch.randint(0, 5, (n,), generator=g)},
    )


def _assert_same(ours, reference):
    assert ours.keys() == reference.keys() and ours["inputs"].keys() == reference["inputs"].keys()
    for name in reference["inputs"]:
        assert torch.equal(ours["inputs"][name], reference["inputs"][name])
    assert torch.equal(ours["label"], reference["label"]) and torch.equal(ours["index"], reference["index"])
    assert ours["index"].dtype == reference["index"].dtype == torch.long


@pytest.mark.parametrize("shuffle", [False, True])
def test_same_batches_as_default_collate(shuffle):
    split = _split()
    ours = list(batch_loader(split, 8, shuffle=shuffle, generator=torch.Generator().manual_seed(3)))
    reference = list(DataLoader(split, batch_size=8, shuffle=shuffle, generator=torch.Generator().manual_seed(3)))
    assert len(ours) == len(reference) == 5
    for a, b in zip(ours, reference):
        _assert_same(a, b)


def test_batch_equals_stacked_samples():
    split = _split()
    batch = split.batch([4, 0, 36, 4])
    for k, i in enumerate([4, 0, 36, 4]):
        sample = split[i]
        for name in sample["inputs"]:
            assert torch.equal(batch["inputs"][name][k], sample["inputs"][name])
        assert batch["label"][k] == sample["label"] and batch["index"][k] == i


def test_other_data_sets_get_the_plain_loader():
    data = torch.utils.data.TensorDataset(torch.arange(10.0))
    assert [b[0].tolist() for b in batch_loader(data, 4)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
