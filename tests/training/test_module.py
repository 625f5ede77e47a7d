import pytest
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


def _val_log(make, digits, run_dir):
    import csv

    import lightning as L

    from polymodal.training.pipeline import TrainConfig, quiet_lightning, train_module

    quiet_lightning()
    L.seed_everything(0, verbose=False)
    module = make()
    train_module(module, digits, TrainConfig(epochs=3, patience=10, accelerator="cpu"), run_dir, monitor="val_acc",
                 progress_bar=False)
    with open(run_dir / "logs" / "metrics.csv") as f:
        return [(int(r["epoch"]), float(r["val_acc"]), float(r["val_loss"])) for r in csv.DictReader(f) if r["val_acc"]]


def test_validating_inside_the_module_equals_lightnings_validation_loop(digits, tmp_path):
    """The same metrics, epoch by epoch, and the same training (the loop draws no random numbers)."""
    from polymodal.models.build import ModelConfig
    from polymodal.training.module import ClassificationModule

    config = ModelConfig.for_dataset(digits, "early").to_dict()

    def inside():
        module = ClassificationModule(config)
        module.validate_each_epoch(digits.splits["val"], 64)
        assert module.validates_itself
        return module

    expected = _val_log(lambda: ClassificationModule(config), digits, tmp_path / "lightning")
    got = _val_log(inside, digits, tmp_path / "inside")
    assert [e for e, _, _ in got] == [0, 1, 2] == [e for e, _, _ in expected]
    for (_, acc, loss), (_, acc0, loss0) in zip(got, expected):
        assert acc == acc0 and abs(loss - loss0) < 1e-6


def test_the_module_reports_each_training_epoch_to_the_fusion(digits, tmp_path):
    """Dynamic fusion's penalty warm-up reads the epoch the loop reports, resumed runs included."""
    import lightning as L

    from polymodal.models.build import ModelConfig
    from polymodal.training.module import ClassificationModule
    from polymodal.training.pipeline import TrainConfig, quiet_lightning, train_module

    seen = []

    class Record(L.Callback):
        def on_train_epoch_end(self, trainer, module):
            seen.append((module.model.fusion.epoch, module.model.fusion.current_penalty))

    quiet_lightning()
    module = ClassificationModule(ModelConfig.for_dataset(digits, "dynamic", fusion_options={"penalty_warmup": 2}).to_dict())
    train_module(module, digits, TrainConfig(epochs=3, patience=10, accelerator="cpu"), tmp_path, monitor="val_acc",
                 progress_bar=False, callbacks=[Record()])
    assert seen == [(0, 0.0), (1, 0.025), (2, 0.05)]


def test_a_balancer_weights_the_models_auxiliary_loss_like_the_fused_loss(digits):
    """Gradient Blending gives the fused head 1/3 of the loss at first (two modalities): dynamic
    fusion's resource penalty, part of the fused model's objective, gets 1/3 too. At full weight
    it outweighed the shrunken task loss and routed every mfeat example to one weak view."""
    import torch.nn.functional as F

    from polymodal.data.loader import batch_loader
    from polymodal.models.build import ModelConfig
    from polymodal.training.module import ClassificationModule

    torch.manual_seed(0)
    config = ModelConfig.for_dataset(digits, "dynamic", dropout=0.0).to_dict()
    module = ClassificationModule(config, balance="gblend")
    batch = next(iter(batch_loader(digits.splits["train"], 32, shuffle=False)))
    loss = module.training_step(batch, 0)
    model, balancer = module.model, module.balancer
    embeddings = model.encode(batch["inputs"])
    logits = model.head(model.fuse(embeddings))
    penalty = model.auxiliary_loss()
    fused = balancer.training_loss(model, batch["inputs"], embeddings, logits, batch["label"],
                                   F.cross_entropy(logits, batch["label"]), 0, batch["index"])
    assert balancer.fused_weight == pytest.approx(1 / 3) and float(penalty) > 0
    assert float(loss) == pytest.approx(float(fused + penalty / 3), rel=1e-6)
