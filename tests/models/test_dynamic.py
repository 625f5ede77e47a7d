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
