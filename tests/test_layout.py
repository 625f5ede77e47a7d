"""The run-folder layout, written down once."""

from pathlib import Path

from polymodal.layout import BenchLayout, RunLayout, method_slug


def test_a_bench_run_knows_its_bench_method_and_seed(tmp_path):
    bench = BenchLayout(tmp_path / "b")
    run = bench.run("unimodal:image", 7)
    assert run.root == tmp_path / "b" / "runs" / "unimodal-image" / "seed-7"
    assert run.best == run.root / "checkpoints" / "best.ckpt" and run.result == run.root / "result.json"
    found = RunLayout.of_checkpoint(run.best).bench()
    assert found is not None and found[0].root == bench.root.resolve() and found[1:] == ("unimodal-image", 7)
    assert method_slug("unimodal:audio") == "unimodal-audio"


def test_a_plain_run_is_not_a_bench_run(tmp_path):
    run = RunLayout.of_checkpoint(tmp_path / "train-x" / "checkpoints" / "best.ckpt")
    assert run.root == (tmp_path / "train-x").resolve() and run.bench() is None
    assert RunLayout.of_checkpoint(Path(tmp_path / "model.ckpt")).root == tmp_path.resolve()
