"""batch_loader gives the batches of PyTorch's per-sample loader, in the same order."""

import pytest
import torch
from torch.utils.data import DataLoader

from polymodal.data.dataset import MultimodalSplit
from polymodal.data.loader import batch_loader, loader_like


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


def test_loader_like_draws_from_its_own_generators():
    """Iterating a copy of the training loader leaves the loader's shuffling and augmentation where they were."""
    split = _split()
    noise = lambda split, batch, g: {m: x + torch.randn(x.shape, generator=g) for m, x in batch["inputs"].items()}  # noqa: E731
    loader = batch_loader(split, 8, shuffle=True, generator=torch.Generator().manual_seed(1), transform=noise, transform_seed=2)
    twin = batch_loader(split, 8, shuffle=True, generator=torch.Generator().manual_seed(1), transform=noise, transform_seed=2)
    like = loader_like(loader, shuffle=True, generator=torch.Generator().manual_seed(5), transform_seed=6)
    assert sorted(int(i) for b in like for i in b["index"]) == list(range(len(split)))
    for a, b in zip(loader, twin):
        _assert_same(a, b)
    plain = next(iter(loader_like(loader, shuffle=False, augment=False)))
    _assert_same(plain, next(iter(batch_loader(split, 8))))
