"""Heterogeneity-aware fusion: all-separate is early fusion, groups share trunks, groups are checked."""

import json

import pytest
import torch

from polymodal.errors import ConfigError, DataFileError
from polymodal.catalog import build_model
from polymodal.models import ModelConfig
from polymodal.training.complexity import count_parameters

MODS = [{"name": n, "kind": "vector", "shape": [d]} for n, d in (("a", 7), ("b", 5), ("c", 9), ("d", 3))]


def config(fusion="heterogeneity-aware", **options):
    return ModelConfig(MODS, num_classes=4, fusion=fusion, fusion_options=options, embed_dim=6, hidden_dim=8)


def test_all_separate_is_early_fusion_with_the_same_parameters_and_outputs():
    early, het = build_model(config("early")), build_model(config(groups="separate"))
    assert count_parameters(het) == count_parameters(early)
    renamed = {k.replace(".net.0.", ".projection.").replace(".net.3.", ".trunk.2."): v for k, v in early.state_dict().items()}
    het.load_state_dict(renamed)  # strict: every parameter has its counterpart
    early.eval(), het.eval()
    x = {m["name"]: torch.randn(10, m["shape"][0]) for m in MODS}
    assert torch.equal(het(x), early(x))


def test_a_group_shares_one_trunk_and_saves_its_parameters():
    h, e = 8, 6
    trunk = h * e + e
    separate = count_parameters(build_model(config(groups="separate")))
    grouped = build_model(config(groups=[["a", "b"], ["c", "d"]]))
    assert grouped.encoders["a"].trunk is grouped.encoders["b"].trunk
    assert grouped.encoders["a"].trunk is not grouped.encoders["c"].trunk
    assert count_parameters(grouped) == separate - 2 * trunk
    assert count_parameters(build_model(config(groups="shared"))) == separate - 3 * trunk
    deeper = build_model(config(groups="shared", trunk_layers=2))
    assert count_parameters(deeper) == separate - 3 * trunk + 2 * (h * h + h)


def test_pair_groups_add_one_shared_cross_modal_layer_per_group():
    none = build_model(config())
    paired = build_model(config(pair_groups=[[["a", "b"], ["c", "d"]], ["a+c"]]))
    layer = 2 * 6 * 8 + 8
    assert count_parameters(paired) - count_parameters(none) == 2 * layer + 2 * 8 * 8  # two layers, wider head input
    assert paired.fusion.output_dim == 4 * 6 + 2 * 8
    assert len(build_model(config(pair_groups="separate")).fusion.layers) == 6


def test_measured_groups_are_read_from_the_file_into_the_config(tmp_path):
    path = tmp_path / "heterogeneity.json"
    path.write_text(json.dumps({"modalities": ["a", "b", "c", "d"], "matrix": [], "matrix_raw": [],
                                "groups": [["a", "c"], ["b", "d"]], "settings": {}}))
    from polymodal.data.synthetic import load_hetero_groups

    ds = load_hetero_groups(num_samples=100)
    cfg = ModelConfig.for_dataset(ds, "heterogeneity-aware", fusion_options={"groups": "measured", "heterogeneity": str(path)})
    assert cfg.fusion_options["groups"] == [["a", "c"], ["b", "d"]]
    path.unlink()  # the checkpoint's config no longer needs the file
    model = build_model(ModelConfig.from_dict(cfg.to_dict()))
    assert model.encoders["a"].trunk is model.encoders["c"].trunk


@pytest.mark.parametrize("options,message", [
    ({"groups": [["a", "b"], ["c"]]}, r"\['d'\] are in no group"),
    ({"groups": [["a", "b"], ["b", "c", "d"]]}, "'b' is in more than one group"),
    ({"groups": [["a", "b", "c", "e"], ["d"]]}, "'e' is not one of"),
    ({"groups": "clustered"}, "groups 'clustered' is unknown"),
    ({"groups": "measured"}, "needs heterogeneity=PATH"),
    ({"groups": "measured", "heterogeneity": "no/such.json"}, "does not exist"),
    ({"trunk_layers": -1}, "trunk_layers must be an integer >= 0"),
    ({"rank": 3}, "option 'rank' is unknown"),
    ({"pair_groups": [["a+b"], ["b+a"]]}, "'a\\+b' is in more than one group"),
    ({"pair_groups": [["a+a"]]}, "is not a pair of two modalities"),
])
def test_bad_groups_are_named(options, message):
    with pytest.raises((ConfigError, DataFileError), match=message):
        build_model(config(**options))


def test_a_heterogeneity_file_of_other_modalities_is_refused(tmp_path):
    path = tmp_path / "heterogeneity.json"
    path.write_text(json.dumps({"modalities": ["image", "audio"], "groups": [["image"], ["audio"]]}))
    with pytest.raises(ConfigError, match="measured on modalities \\['image', 'audio'\\]"):
        build_model(config(groups="measured", heterogeneity=str(path)))
