import torch

from polymodal.catalog import build_model
from polymodal.models import ModelConfig
from polymodal.models.dynamic import DynamicMultimodalModel, encoder_flops
from polymodal.models.encoders import LeNetEncoder, MLPEncoder

MODS = [{"name": "image", "kind": "image", "shape": [1, 28, 28]}, {"name": "vec", "kind": "vector", "shape": [6]}]


def test_flops_of_an_encoder():
    mlp = MLPEncoder(6, 4, hidden_dim=5)
    assert encoder_flops(mlp, (6,)) == 2 * (6 * 5 + 5 * 4)  # a multiply and an add per weight
    lenet = LeNetEncoder((1, 28, 28), 8)  # 5x5 conv to 8 channels at 28x28, 3x3 conv 8 -> 16 at 14x14, linear
    assert encoder_flops(lenet, (1, 28, 28)) == 2 * (28 * 28 * 8 * 25 + 14 * 14 * 16 * 8 * 9 + 16 * 7 * 7 * 8)


def test_the_expensive_encoder_runs_only_for_examples_routed_to_it():
    torch.manual_seed(0)
    model = build_model(ModelConfig(MODS, num_classes=3, fusion="dynamic", embed_dim=8, hidden_dim=5))
    assert isinstance(model, DynamicMultimodalModel)
    assert model.fusion.branches == [["vec"], ["image", "vec"]]  # the MLP is the cheap one
    seen: list[int] = []
    model.encoders["image"].register_forward_hook(lambda mod, args, out: seen.append(args[0].shape[0]))
    x = {"image": torch.randn(10, 1, 28, 28), "vec": torch.randn(10, 6)}
    model.eval()
    with torch.no_grad():
        model.fusion.gate.bias.copy_(torch.tensor([5.0, -5.0]))  # everything to the cheap branch
        model.fusion.gate.weight.zero_()
        cheap = model(x)
        assert seen == [] and model.fusion.routing_report()["fraction"] == {"vec": 1.0, "image+vec": 0.0}
        model.fusion.gate.weight.normal_()
        model.fusion.gate.bias.zero_()
        logits = model(x)
    routed = model.fusion.gate(model.encoders["vec"](x["vec"])).argmax(-1)
    assert seen == [int((routed == 1).sum())]
    with torch.no_grad():  # each example's logits are those of its branch, inputs in the branch's order
        e = model.encode(x)
        per_branch = [model.head(f.fuse({m: e[m] for m in b}))
                      for f, b in zip(model.fusion.branch_fusions, model.fusion.branches)]
    expected = torch.stack([per_branch[int(k)][i] for i, k in enumerate(routed)])
    torch.testing.assert_close(logits, expected)
    assert 0 < int((routed == 1).sum()) < 10, "the test needs both branches used"
    model.train()
    assert model(x).shape == cheap.shape == logits.shape == (10, 3)  # training runs every branch
    assert seen[-1] == 10 and model.auxiliary_loss() is not None


def test_a_model_saved_in_the_experts_epochs_blends_its_branches_when_loaded_and_an_older_one_routes():
    torch.manual_seed(0)
    config = ModelConfig(MODS, num_classes=3, fusion="dynamic", embed_dim=8, hidden_dim=5,
                         fusion_options={"expert_epochs": 2})
    model = build_model(config)
    model.start_epoch(1)  # the experts' second epoch
    x = {"image": torch.randn(10, 1, 28, 28), "vec": torch.randn(10, 6)}
    saved = {k: v.clone() for k, v in model.state_dict().items()}
    loaded = build_model(config)  # a fresh model knows no epoch: it would route
    assert not loaded.fusion.experts_only
    loaded.load_state_dict(saved)
    loaded.eval()
    with torch.no_grad():
        e = loaded.encode(x)
        per_branch = [f.fuse({m: e[m] for m in b}) for f, b in zip(loaded.fusion.branch_fusions, loaded.fusion.branches)]
        torch.testing.assert_close(loaded(x), loaded.head(sum(per_branch) / 2))  # the plain mean of the branches
    assert loaded.fusion.experts_only and loaded.fusion.routing_report()["experts_only"]
    older = {k: v for k, v in saved.items() if not k.endswith("holding_gate")}  # saved before the stage existed
    routed = build_model(config)
    routed.load_state_dict(older)
    assert not routed.fusion.experts_only
    model.start_epoch(2)  # the gate's first epoch
    assert not model.fusion.experts_only and not bool(model.state_dict()["fusion.holding_gate"])
