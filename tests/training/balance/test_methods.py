"""Choosing a balancing method: options, the models each fits, and its place in training."""

import csv
import math

import pytest
import torch

from polymodal.catalog import build_model
from polymodal.errors import ConfigError
from polymodal.models.build import ModelConfig
from polymodal.training.balance.agm import AGMBalancer
from polymodal.training.balance.choices import check_balance
from polymodal.training.balance.methods import make_balancer
from polymodal.training.balance.ogm import OGMBalancer
from polymodal.training.balance.shapley import shapley_values

MODALITIES = [{"name": "a", "kind": "vector", "shape": [6]}, {"name": "b", "kind": "vector", "shape": [4]}]


def _model(fusion):
    torch.manual_seed(0)
    return build_model(ModelConfig(MODALITIES, 3, fusion)).eval()  # no dropout: outputs compare exactly


@pytest.mark.parametrize("name,options,message", [
    ("pmr2", {}, "--balance: 'pmr2' is unknown; choose from none, gblend, ogm, agm, pmr, mmpareto, warmstart, umt"),
    ("gblend", {"holdout": 0.7}, "--balance-option holdout=0.7: must be in (0, 0.5] (gblend)"),
    ("mmpareto", {"boost": 0.5}, "--balance-option boost=0.5: must be a number >= 1 (mmpareto)"),
    ("warmstart", {"epochs": 0}, "--balance-option epochs=0: must be a whole number >= 1 (warmstart)"),
    ("agm", {"beta": 1}, "--balance-option: 'beta' is not an option of agm; its options: alpha, clip"),
    ("agm", {"alpha": 0}, "--balance-option alpha=0: must be a positive number (agm)"),
    ("ogm", {"noise": "yes"}, "--balance-option noise='yes': must be true or false (ogm)"),
    ("none", {"alpha": 1}, "--balance-option: 'alpha' is not an option of none; its options: none"),
])
def test_bad_choices_name_the_argument_and_the_valid_ones(name, options, message):
    with pytest.raises(ConfigError) as err:
        check_balance(name, options)
    assert str(err.value) == message


def test_defaults_are_filled_in():
    assert check_balance("agm", {"alpha": 0.5}) == {"alpha": 0.5, "clip": 5.0}


def test_methods_that_do_not_fit_the_model_say_what_does():
    with pytest.raises(ConfigError, match=r"--balance ogm needs a fusion whose prediction splits by modality "
                                          r"\(early, late, additive\); 'tensor' does not. With it, use: gblend, agm, pmr, mmpareto, warmstart, umt"):
        make_balancer("ogm", {}, _model("tensor"), "tensor", 3)
    with pytest.raises(ConfigError, match="'factorized' is a fission model"):
        make_balancer("agm", {}, _model("factorized"), "factorized", 3)
    one = build_model(ModelConfig(MODALITIES[:1], 3, "unimodal"))
    with pytest.raises(ConfigError, match="'unimodal' is a unimodal model"):
        make_balancer("agm", {}, one, "unimodal", 3)
    assert make_balancer("none", {}, _model("tensor"), "tensor", 3) is None
    assert isinstance(make_balancer("agm", {}, _model("tensor"), "tensor", 3), AGMBalancer)
    assert isinstance(make_balancer("ogm", {}, _model("late"), "late", 3), OGMBalancer)


def test_late_fusion_parts_add_up_to_its_prediction():
    model = _model("late")
    x = {"a": torch.randn(5, 6), "b": torch.randn(5, 4)}
    e = model.encode(x)
    parts = model.fusion.logit_parts(e, model.head)
    assert torch.allclose(sum(parts.values()), model(x), atol=1e-6)


def test_parts_under_an_affine_head_are_each_modalitys_term_plus_its_share_of_the_bias():
    model = _model("early")
    head = torch.nn.Linear(model.fusion.output_dim, 3)
    e = {"a": torch.randn(5, 64), "b": torch.randn(5, 64)}
    parts = model.fusion.logit_parts(e, head)
    w_a, w_b = head.weight[:, :64], head.weight[:, 64:]
    assert torch.allclose(parts["a"], e["a"] @ w_a.T + head.bias / 2, atol=1e-5)
    assert torch.allclose(parts["b"], e["b"] @ w_b.T + head.bias / 2, atol=1e-5)
    assert torch.allclose(parts["a"] + parts["b"], head(model.fusion(e)), atol=1e-5)


def test_agm_scales_each_encoders_weight_gradients_by_its_coefficient():
    model = _model("tensor").train()
    balancer = AGMBalancer(["a", "b"], alpha=0.5, clip=None)
    x, y = {"a": torch.randn(8, 6), "b": torch.randn(8, 4)}, torch.randint(0, 3, (8,))
    for _ in range(2):  # the second step has a running mean to differ from
        model.zero_grad()
        e = model.encode(x)
        logits = model.head(model.fuse(e))
        loss = balancer.training_loss(model, x, e, logits, y, torch.nn.functional.cross_entropy(logits, y), epoch=0)
        assert all(m.training for m in model.modules())  # the coalitions ran in eval mode, then it was restored
        loss.backward()
        before = {n: p.grad.clone() for n, p in model.named_parameters()}
        balancer.after_backward(model, epoch=0)
    c = balancer._coefficients
    assert c["a"] != 1.0 and c["b"] != 1.0
    for name, p in model.named_parameters():
        scale = c[name.split(".")[1]] if name.startswith("encoders.") and p.dim() > 1 else 1.0
        assert torch.allclose(p.grad, before[name] * scale), name


def test_agm_responses_are_the_shapley_values_of_the_zeroed_coalitions():
    model = _model("tensor")
    x, y = {"a": torch.randn(8, 6), "b": torch.randn(8, 4)}, torch.randint(0, 3, (8,))
    e = {m: v.detach() for m, v in model.encode(x).items()}
    balancer = AGMBalancer(["a", "b"])
    logits = model.head(model.fuse(e))
    balancer.training_loss(model, x, e, logits, y, torch.nn.functional.cross_entropy(logits, y), epoch=0)
    recorded = balancer.epoch_metrics()

    def v(s):
        return model.head(model.fuse({m: t if m in s else torch.zeros_like(t) for m, t in e.items()}))

    # two modalities: phi_a = (v(a) - v()) / 2 + (v(ab) - v(b)) / 2
    phi_a = 0.5 * (v({"a"}) - v(set())) + 0.5 * (v({"a", "b"}) - v({"b"}))
    assert torch.allclose(shapley_values(v, ["a", "b"])["a"], phi_a, atol=1e-6)
    expected = float(torch.nn.functional.cross_entropy(phi_a, y))
    assert recorded["balance_response_loss_a"] == pytest.approx(expected, rel=1e-5)


def test_balance_none_trains_exactly_as_without_the_option(digits, tmp_path):
    from polymodal.training import TrainConfig, fit

    config = ModelConfig.for_dataset(digits, "early")
    rows = []
    for name, train in (("plain", TrainConfig(epochs=2, accelerator="cpu")),
                        ("none", TrainConfig(epochs=2, accelerator="cpu", balance="none", balance_options={}))):
        result = fit(digits, config, train, tmp_path / name, progress_bar=False)
        with open(tmp_path / name / "logs" / "metrics.csv") as f:
            rows.append((list(csv.DictReader(f)), result["test_accuracy"]))
    assert rows[0] == rows[1]


def test_a_balanced_run_logs_each_modalitys_coefficient(digits, tmp_path):
    from polymodal.training import TrainConfig, fit

    fit(digits, ModelConfig.for_dataset(digits, "late"), TrainConfig(epochs=2, accelerator="cpu", balance="ogm"),
        tmp_path, progress_bar=False)
    with open(tmp_path / "logs" / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2
    for row in rows:
        coefficients = [float(row[f"balance_coef_{m}"]) for m in digits.modalities]
        assert all(0 < k <= 1 for k in coefficients)


def test_agm_targets_the_discrepancy_of_the_running_mean_of_the_response_losses():
    """Step t's coefficients: c = exp(alpha * min(rbar - r_t, 7)), rbar the discrepancy of the mean
    response losses of steps 1 .. t-1 (not the mean of their discrepancies)."""
    model = _model("tensor").train()
    balancer = AGMBalancer(["a", "b"], alpha=0.5, clip=None)
    g = torch.Generator().manual_seed(3)
    losses, coefficients = [], []
    for _ in range(3):
        x, y = {"a": torch.randn(8, 6, generator=g), "b": torch.randn(8, 4, generator=g)}, torch.randint(0, 3, (8,), generator=g)
        e = model.encode(x)
        logits = model.head(model.fuse(e))
        balancer.training_loss(model, x, e, logits, y, torch.nn.functional.cross_entropy(logits, y), epoch=0)
        recorded = balancer.epoch_metrics()
        losses.append({m: recorded[f"balance_response_loss_{m}"] for m in ("a", "b")})
        coefficients.append(dict(balancer._coefficients))

    def discrepancy(s):  # two modalities: r_m = exp(2 (mean - s_m)), the authors' code's exp(s_other - s_m)
        return {"a": math.exp(s["b"] - s["a"]), "b": math.exp(s["a"] - s["b"])}

    assert coefficients[0] == pytest.approx({"a": 1.0, "b": 1.0})
    mean_of_two = {m: (losses[0][m] + losses[1][m]) / 2 for m in ("a", "b")}
    for t, history in ((1, losses[0]), (2, mean_of_two)):
        target, r = discrepancy(history), discrepancy(losses[t])
        assert coefficients[t] == pytest.approx({m: math.exp(0.5 * min(target[m] - r[m], 7)) for m in r}, rel=1e-6)
