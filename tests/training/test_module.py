import torch

from polymodal.training.module import unique_by_index


def test_unique_by_index_against_a_loop():
    g = torch.Generator().manual_seed(0)
    index = torch.randint(0, 20, (60,), generator=g)
    values = torch.randn(60, generator=g)
    got_index, got_values = unique_by_index(index, values)
    first = {}
    for i, v in zip(index.tolist(), values.tolist()):
        first.setdefault(i, v)
    assert got_index.tolist() == sorted(first)
    assert got_values.tolist() == [first[i] for i in sorted(first)]
