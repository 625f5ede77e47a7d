"""Applying perturbations to a split: through the recordings and the front end where a split has them."""

import pytest
import torch

from polymodal.data.dataset import ModalitySpec, MultimodalDataset, MultimodalSplit
from polymodal.data.waveforms import WaveformSource
from polymodal.errors import ConfigError
from polymodal.robustness.corrupt import augment_of_subset, corruptor_for, corruptor_of_chains, format_augment, parse_augment
from polymodal.robustness.perturbations import get_perturbation


def spectrum(w: torch.Tensor) -> torch.Tensor:
    """A toy front end: ``(B, T) -> (B, 1, 1, T)``, the waveform squared."""
    return (w ** 2).view(len(w), 1, 1, -1)


def toy_dataset():
    bank = torch.randn(3, 16, generator=torch.Generator().manual_seed(0))
    rows = torch.tensor([0, 2, 1, 2])
    split = MultimodalSplit({"audio": spectrum(bank), "vec": torch.randn(4, 5)}, torch.tensor([0, 1, 0, 1]),
                            rows={"audio": rows}, waveforms={"audio": WaveformSource(bank, spectrum)})
    mods = {"audio": ModalitySpec("audio", "spectrogram", (1, 1, 16)), "vec": ModalitySpec("vec", "vector", (5,))}
    return MultimodalDataset("toy", mods, 2, {"train": split, "val": split, "test": split})


def test_waveform_perturbations_act_on_each_examples_recording_then_the_front_end():
    ds = toy_dataset()
    split = ds.splits["test"]
    corruptor = corruptor_for(ds, {"audio": 0.5})
    batch = split.batch([1, 3])  # both examples share recording 2
    out = corruptor(split, batch, torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(0)
    expected = spectrum(ds.splits["test"].waveforms["audio"].signals[[2, 2]])
    from polymodal.robustness.perturbations import get_perturbation

    noisy = get_perturbation("spectrogram", "snr")(split.waveforms_at("audio", batch["index"]), 0.5, g)
    assert torch.allclose(out["audio"], spectrum(noisy))
    assert not torch.allclose(out["audio"][0], out["audio"][1])  # per example, not per recording
    assert not torch.allclose(out["audio"], expected)
    assert torch.equal(out["vec"], batch["inputs"]["vec"])


def test_a_split_without_recordings_is_perturbed_on_its_inputs():
    ds = toy_dataset()
    bare = MultimodalSplit(ds.splits["test"].inputs, ds.splits["test"].labels, ds.splits["test"].rows)
    batch = bare.batch([0, 1])
    out = corruptor_for(ds, {"audio": 0.5})(bare, batch, torch.Generator().manual_seed(0))
    assert out["audio"].shape == batch["inputs"]["audio"].shape and not torch.equal(out["audio"], batch["inputs"]["audio"])


def test_subset_and_select_keep_the_recordings_aligned():
    split = toy_dataset().splits["test"]
    sub = split.subset([3, 0])
    assert torch.equal(sub.waveforms_at("audio", torch.tensor([0, 1])), split.waveforms["audio"].signals[[2, 0]])
    assert "audio" not in split.select(["vec"]).waveforms


def test_parse_augment_and_its_errors():
    assert parse_augment("image=gaussian:0.3, audio=snr:0.5") == {"image": [("gaussian", 0.3)], "audio": [("snr", 0.5)]}
    chains = {"audio": [("time-mask", 0.15), ("freq-mask", 0.2)]}
    assert parse_augment("audio=time-mask:0.15+freq-mask:0.2") == chains
    assert parse_augment({"audio": "time-mask:0.15 + freq-mask:0.2"}) == chains
    assert format_augment(chains) == {"audio": "time-mask:0.15+freq-mask:0.2"}
    with pytest.raises(ConfigError, match="MODALITY=PERTURBATION:LEVEL"):
        parse_augment("audio=time-mask:0.15+freq-mask")
    with pytest.raises(ConfigError, match="MODALITY=PERTURBATION:LEVEL"):
        parse_augment("image=gaussian")
    with pytest.raises(ConfigError, match="outside"):
        parse_augment("image=gaussian:2")
    with pytest.raises(ConfigError, match="modality 'image' is not in data set 'toy'"):
        corruptor_for(toy_dataset(), {"image": 0.2})
    with pytest.raises(ConfigError, match="'blur' is unknown for kind 'vector'"):
        corruptor_for(toy_dataset(), {"vec": 0.2}, {"vec": "blur"})


def test_the_augmentation_of_a_subset_keeps_its_modalities_and_rejects_unknown_ones():
    augment = {"audio": "time-mask:0.1", "vec": "gaussian:0.2"}
    assert augment_of_subset(augment, toy_dataset(), ["vec"]) == {"vec": "gaussian:0.2"}
    assert augment_of_subset(augment, toy_dataset(), ["audio", "vec"]) == augment
    with pytest.raises(ConfigError, match="--augment: modality 'image' is not in data set 'toy'"):
        augment_of_subset({"image": "gaussian:0.1"}, toy_dataset(), ["vec"])


def test_a_chain_applies_its_waveform_perturbations_to_the_recordings_then_the_rest_in_order():
    ds = toy_dataset()
    split = ds.splits["test"]
    batch = split.batch([0, 1, 3])
    # listed with a mask first: the noise still acts on the recordings, before the front end
    chain = [("time-mask", 0.25), ("snr", 0.5), ("freq-mask", 0.5)]
    out = corruptor_of_chains(ds, {"audio": chain, "vec": [("gaussian", 0.3)]})(split, batch, torch.Generator().manual_seed(3))
    g = torch.Generator().manual_seed(3)
    by_hand = get_perturbation("spectrogram", "snr")(split.waveforms_at("audio", batch["index"]), 0.5, g)
    noisy = spectrum(by_hand)
    by_hand = get_perturbation("spectrogram", "time-mask")(noisy, 0.25, g)
    by_hand = get_perturbation("spectrogram", "freq-mask")(by_hand, 0.5, g)
    vec_context = corruptor_of_chains(ds, {"vec": [("gaussian", 0.3)]}).contexts["vec"]
    vec = get_perturbation("vector", "gaussian")(batch["inputs"]["vec"], 0.3, g, vec_context)
    assert torch.equal(out["audio"], by_hand) and torch.equal(out["vec"], vec)
    assert not torch.equal(out["audio"], noisy)  # the masks did act


def test_a_chain_of_one_is_the_single_corruption():
    ds = toy_dataset()
    split = ds.splits["test"]
    batch = split.batch([0, 2])
    one = corruptor_for(ds, {"audio": 0.3}, {"audio": "time-mask"})(split, batch, torch.Generator().manual_seed(1))
    chained = corruptor_of_chains(ds, {"audio": [("time-mask", 0.3)]})(split, batch, torch.Generator().manual_seed(1))
    assert torch.equal(one["audio"], chained["audio"])
