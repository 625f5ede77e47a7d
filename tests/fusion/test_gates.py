import pytest
import torch

from polymodal.errors import ConfigError
from polymodal.fusion.gates import check_gate, gate_weights


def test_soft_gates():
    s = torch.tensor([[1.0, 2.0, 0.0]])
    torch.testing.assert_close(gate_weights(s, "softmax", 2.0), torch.softmax(s / 2, -1))
    torch.testing.assert_close(gate_weights(s, "sigmoid"), 1 / (1 + torch.exp(-s)))


def test_hard_gate_is_one_hot_and_passes_the_softmax_gradient():
    torch.manual_seed(0)
    s = torch.randn(50, 4, requires_grad=True)
    g = gate_weights(s, "hard", 0.5, training=True)
    assert set(g.detach().unique().tolist()) == {0.0, 1.0} and torch.equal(g.sum(-1), torch.ones(50))
    (g * torch.arange(4.0)).sum().backward()
    assert s.grad is not None and s.grad.abs().sum() > 0  # straight-through: not the zero gradient of argmax
    g_eval = gate_weights(s.detach(), "hard", training=False)  # evaluation: argmax, no noise
    assert torch.equal(g_eval.argmax(-1), s.detach().argmax(-1)) and torch.equal(g_eval.sum(-1), torch.ones(50))


def test_bad_gate_options():
    with pytest.raises(ConfigError, match="gate must be one of softmax, sigmoid, hard, got 'max'"):
        check_gate("max", 1.0)
    with pytest.raises(ConfigError, match="temperature must be a positive number, got 0"):
        check_gate("hard", 0)
