import math

import numpy as np
import pytest
import torch

from polymodal.data import load_dataset
from polymodal.information import DistributionError, pid
from polymodal.information.batch_estimator import batch_pid, information_terms


def test_information_terms_against_the_exact_pid_module():
    rng = np.random.default_rng(2)
    p = rng.dirichlet(np.ones(4 * 5 * 3)).reshape(4, 5, 3)
    i12, i1, i2 = (float(t) / math.log(2) for t in information_terms(torch.tensor(p)))
    result = pid(p)
    assert i12 == pytest.approx(result.mutual_information, abs=1e-12)
    assert i1 == pytest.approx(result.redundancy + result.unique1, abs=1e-7)
    assert i2 == pytest.approx(result.redundancy + result.unique2, abs=1e-7)


def _estimate(name, joint, **options):
    """The estimate with batches of 128 unless ``options`` say otherwise; ``defaults=True``: every default."""
    ds = load_dataset(name, num_samples=options.pop("num_samples", 4000))
    tr, te = ds.splits["train"], ds.splits["test"]
    if not options.pop("defaults", False):
        options = {"batch_size": 128, **options}
    return batch_pid(tr.modality("x1"), tr.modality("x2"), tr.labels, te.modality("x1"), te.modality("x2"),
                     joint=joint, **options).pid.as_dict()


@pytest.mark.slow
@pytest.mark.parametrize("name, dominant", [("bits-and", "S"), ("bits-xor", "S"), ("latent-redundancy", "R"),
                                            ("latent-unique1", "U1"), ("latent-unique2", "U2"),
                                            ("latent-synergy", "S")])
def test_recovers_the_dominant_interaction(name, dominant):
    # the learned joint at its defaults (300 steps, batches of 256): the settings the command line uses
    for joint, options in (("exact", {}), ("learned", {"defaults": True})):
        terms = _estimate(name, joint, **options)
        assert max(("R", "U1", "U2", "S"), key=terms.get) == dominant, (joint, terms)
    if name == "bits-and":  # closed form: R = 0.311, S = 0.5
        assert terms["R"] == pytest.approx(0.311, abs=0.05) and terms["S"] == pytest.approx(0.5, abs=0.05)


def test_learned_joint_never_beats_the_exact_minimum():
    exact, learned = _estimate("bits-or", "exact"), _estimate("bits-or", "learned", steps=30)
    # the learned joint is feasible (rounded onto the constraints), so its I_q is at least the minimum:
    # synergy = I_p - I_q can only be smaller
    assert learned["S"] <= exact["S"] + 1e-6


def test_bad_arguments_are_named():
    x = np.zeros((10, 2))
    with pytest.raises(DistributionError, match="joint 'magic' is unknown"):
        batch_pid(x, x, np.zeros(10, int), x, x, joint="magic")
    with pytest.raises(DistributionError, match="batch_size"):
        batch_pid(x, x, np.zeros(10, int), x, x, batch_size=64)
    with pytest.raises(DistributionError, match="must lie in 0..num_classes-1"):
        batch_pid(x, x, np.full(10, 3), x, x, num_classes=2, batch_size=4)
    with pytest.raises(DistributionError, match="integer labels"):
        batch_pid(x, x, np.zeros(10), x, x, batch_size=4)
