import pytest
import torch

from polymodal.errors import ConfigError
from polymodal.fusion import DynamicFusion

DIMS = {"a": 3, "b": 4, "c": 2}
BRANCHES = [["a"], ["a", "b"], ["a", "b", "c"]]


def test_soft_training_blends_branches_and_returns_the_resource_penalty():
    torch.manual_seed(0)
    f = DynamicFusion(DIMS, 5, branches=BRANCHES, penalty=0.3, train_gate="soft").train()
    assert f.shared == ["a"] and f.costs.tolist() == pytest.approx([3 / 9, 7 / 9, 1.0])
    x = {m: torch.randn(6, d) for m, d in DIMS.items()}
    z = f(x)
    g = torch.softmax(f.gate(x["a"]), -1)
    outs = [fb.fuse({m: x[m] for m in b}) for fb, b in zip(f.branch_fusions, BRANCHES)]
    torch.testing.assert_close(z, sum(g[:, k : k + 1] * o for k, o in enumerate(outs)))
    torch.testing.assert_close(f.auxiliary_loss(), 0.3 * (g * f.costs).sum(-1).mean())
    assert f.auxiliary_loss() is None  # consumed once per forward pass


def test_hard_training_uses_one_branch_per_example_with_the_soft_gradient():
    torch.manual_seed(0)
    f = DynamicFusion(DIMS, 5, branches=BRANCHES, penalty=0.3, train_gate="hard").train()
    x = {m: torch.randn(64, d) for m, d in DIMS.items()}
    z = f(x)
    outs = torch.stack([fb.fuse({m: x[m] for m in b}) for fb, b in zip(f.branch_fusions, BRANCHES)])  # (K, B, o)
    hits = (z.unsqueeze(0) - outs).abs().amax(-1) < 1e-6  # (K, B): which branch each example's output is
    assert torch.equal(hits.sum(0), torch.ones(64, dtype=torch.long))
    assert len(hits.nonzero()[:, 0].unique()) > 1  # the sample explores several branches
    (z.sum() + f.auxiliary_loss()).backward()
    assert f.gate.weight.grad.abs().sum() > 0


def test_evaluation_routes_each_example_through_its_argmax_branch_only():
    torch.manual_seed(1)
    f = DynamicFusion(DIMS, 5, branches=BRANCHES).eval()
    x = {m: torch.randn(40, d) for m, d in DIMS.items()}
    choice = f.gate(x["a"]).argmax(-1)
    z = f(x)
    for i in range(40):  # plain loop over examples
        k = int(choice[i])
        expected = f.branch_fusions[k].fuse({m: x[m][i : i + 1] for m in BRANCHES[k]})
        torch.testing.assert_close(z[i : i + 1], expected)
    fetched = []

    def fetch(mods, rows):
        fetched.append((tuple(mods), rows.tolist()))
        return {m: x[m][rows] for m in mods}

    f.reset_routing()
    torch.testing.assert_close(f.fuse_routed({"a": x["a"]}, fetch), z)
    for mods, rows in fetched:  # features beyond the shared ones are fetched only for routed examples
        k = len(mods)
        assert rows == torch.nonzero(choice == k).flatten().tolist()
    report = f.routing_report()
    counts = torch.bincount(choice, minlength=3).double() / 40
    assert report["examples"] == 40
    assert list(report["fraction"].values()) == pytest.approx(counts.tolist())
    assert report["compute_saved"] == pytest.approx(1 - float((counts * f.costs.double()).sum()))


def test_options_and_parameter_count():
    f = DynamicFusion(DIMS, 5, branches=BRANCHES)
    branch_weights = (3 + 1) * 5 + (7 + 1) * 5 + (9 + 1) * 5  # one linear map per branch
    assert sum(p.numel() for p in f.parameters()) == branch_weights + (3 + 1) * 3  # gate on 'a', 3 branches
    assert DynamicFusion(DIMS, 5).branches == [["a"], ["a", "b", "c"]]
    with pytest.raises(ConfigError, match="share no modality"):
        DynamicFusion(DIMS, 5, branches=[["a"], ["b"]])
    with pytest.raises(ConfigError, match=r"branches: \['a', 'x'\] must be distinct modalities"):
        DynamicFusion(DIMS, 5, branches=[["a"], ["a", "x"]])
    with pytest.raises(ConfigError, match="at least two branches"):
        DynamicFusion(DIMS, 5, branches=[["a"]])
    with pytest.raises(ConfigError, match="train_gate must be 'hard' or 'soft'"):
        DynamicFusion(DIMS, 5, train_gate="gumbel")
    with pytest.raises(ConfigError, match="penalty must be >= 0"):
        DynamicFusion(DIMS, 5, penalty=-1)


@pytest.mark.parametrize("epoch,share", [(0, 0.0), (2, 0.5), (4, 1.0), (9, 1.0)])
def test_the_penalty_warms_up_linearly_over_the_first_epochs(epoch, share):
    torch.manual_seed(0)
    f = DynamicFusion(DIMS, 5, branches=BRANCHES, penalty=0.3, penalty_warmup=4).train()
    x = {m: torch.randn(6, d) for m, d in DIMS.items()}
    f.start_epoch(epoch)
    f(x)
    g = torch.softmax(f.gate(x["a"]), -1)
    torch.testing.assert_close(f.auxiliary_loss(), 0.3 * share * (g * f.costs).sum(-1).mean())


def test_without_a_reported_epoch_or_warm_up_the_penalty_is_full():
    assert DynamicFusion(DIMS, 5, penalty=0.3).current_penalty == 0.3  # a user's own loop
    f = DynamicFusion(DIMS, 5, penalty=0.3, penalty_warmup=0)
    f.start_epoch(0)
    assert f.current_penalty == 0.3
    with pytest.raises(ConfigError, match="penalty_warmup must be an int >= 0"):
        DynamicFusion(DIMS, 5, penalty_warmup=-1)


@pytest.mark.parametrize("train_gate", ["soft", "hard"])
def test_in_the_experts_epochs_the_gate_is_uniform_untrained_and_unpenalised(train_gate):
    torch.manual_seed(0)
    f = DynamicFusion(DIMS, 5, branches=BRANCHES, penalty=0.3, expert_epochs=3, train_gate=train_gate).train()
    x = {m: torch.randn(64, d) for m, d in DIMS.items()}
    outs = torch.stack([fb.fuse({m: x[m] for m in b}) for fb, b in zip(f.branch_fusions, BRANCHES)])  # (K, B, o)
    f.start_epoch(2)
    z = f(x)
    if train_gate == "soft":  # the plain mean of the branches, whatever the gate scores
        torch.testing.assert_close(z, outs.mean(0))
    else:  # one branch per example, each branch drawn
        hits = (z.unsqueeze(0) - outs).abs().amax(-1) < 1e-6
        assert torch.equal(hits.sum(0), torch.ones(64, dtype=torch.long)) and bool(hits.any(1).all())
    penalty = f.auxiliary_loss()
    assert float(penalty) == 0.0 and f.current_penalty == 0.0
    (z.square().sum() + penalty).backward()
    assert float(f.gate.weight.grad.abs().sum()) == 0.0  # in the graph, but it learns nothing yet
    assert float(f.branch_fusions[2].projection.weight.grad.abs().sum()) > 0
    f.start_epoch(3)  # the gate's first epoch
    f.zero_grad()
    z = f(x)
    g = torch.softmax(f.gate(x["a"]), -1)
    if train_gate == "soft":
        torch.testing.assert_close(z, torch.einsum("bk,kbo->bo", g, outs))
    z.square().sum().backward()
    assert float(f.gate.weight.grad.abs().sum()) > 0


@pytest.mark.parametrize("epoch,share", [(0, 0.0), (4, 0.0), (5, 0.0), (7, 0.5), (9, 1.0), (20, 1.0)])
def test_the_penalty_warms_up_from_the_end_of_the_experts_epochs(epoch, share):
    f = DynamicFusion(DIMS, 5, branches=BRANCHES, penalty=0.3, penalty_warmup=4, expert_epochs=5)
    f.start_epoch(epoch)
    assert f.current_penalty == pytest.approx(0.3 * share)
    assert f.experts_only == (epoch < 5)
    with pytest.raises(ConfigError, match="expert_epochs must be an int >= 0"):
        DynamicFusion(DIMS, 5, expert_epochs=1.5)
    unreported = DynamicFusion(DIMS, 5, penalty=0.3, expert_epochs=5)  # a user's own loop: no stages
    assert not unreported.experts_only and unreported.current_penalty == 0.3
