"""``polymodal bench``: train the unimodal baselines and each fusion, compare, resume when interrupted."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import lightning as L

from polymodal.data.dataset import MultimodalDataset
from polymodal.errors import ConfigError
from polymodal.bench.summary import summarize
from polymodal.io import atomic_write_json
from polymodal.layout import BenchLayout, method_slug
from polymodal.catalog import UNIMODAL, build_model, model_names
from polymodal.models.build import BEFORE_RECIPE_FIELDS, ModelConfig
from polymodal.robustness.corrupt import augment_of_subset, check_modalities
from polymodal.training.config import BEFORE_TRAIN_FIELDS
from polymodal.training.pipeline import TrainConfig, fit
from polymodal.training.recipes import fusion_train_under_balance


@dataclass(frozen=True)
class Method:
    """One entry of a benchmark: a fusion (or ``unimodal``) over some modalities, trained with a
    balancing method (:mod:`polymodal.training.balance`; ``none`` for plain joint training)."""

    name: str
    fusion: str
    modalities: tuple[str, ...]
    balance: str = "none"

    @property
    def slug(self) -> str:
        """File-system name of the method's run folder."""
        return method_slug(self.name)


def parse_fusions(spec: str | Sequence[str] | None) -> list[str]:
    """``"all"``, ``None`` (the catalog's entries marked ``in_all``), a comma-separated string or a
    list of catalog names (any but ``unimodal``, which the bench adds per modality) -> validated names."""
    names = model_names(in_all=True)
    if spec is None or spec == "all":
        return names
    chosen = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]
    by_name = model_names(in_all=False, families=("fusion", "routed", "fission"))
    unknown = [s for s in chosen if s not in names and s not in by_name]
    if unknown or not chosen:
        raise ConfigError(f"--fusions: {', '.join(unknown) or 'nothing'} unknown; choose from {', '.join(names)}, "
                          f"{', '.join(by_name)}, or 'all' (the fusions)")
    return list(dict.fromkeys(chosen))


def bench_methods(dataset: MultimodalDataset, fusions: Sequence[str], balances: Sequence[str] = ("none",)) -> list[Method]:
    """One unimodal baseline per modality, then each fusion over all modalities with each
    balancing method (named ``FUSION`` for ``none``, ``FUSION+METHOD`` otherwise)."""
    mods = tuple(dataset.modalities)
    fused = [Method(f if b == "none" else f"{f}+{b}", f, mods, b) for f in fusions for b in balances]
    return [Method(f"{UNIMODAL}:{m}", UNIMODAL, (m,)) for m in mods] + fused


def parse_balances(spec: str | Sequence[str] | None) -> list[str]:
    """``"none,agm,ogm"`` or a list -> distinct balancing method names, each checked.

    Raises:
        ConfigError: an unknown name, naming the choices.
    """
    from polymodal.training.balance.choices import check_balance

    names = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else (spec or ["none"])) if s.strip()]
    for name in names:
        check_balance(name, {})
    return list(dict.fromkeys(names)) or ["none"]


def balance_options_for(options: dict[str, Any], balance: str, balances: Sequence[str]) -> dict[str, Any]:
    """The options of ``balance`` among a bench's: ``METHOD.key`` scoped ones for it, and unscoped
    ones when the bench has one method (checked by :class:`TrainConfig`)."""
    scoped = {k.split(".", 1)[1]: v for k, v in options.items() if "." in k and k.split(".", 1)[0] == balance}
    unknown_scope = [k for k in options if "." in k and k.split(".", 1)[0] not in balances]
    if unknown_scope:
        raise ConfigError(f"--balance-option {unknown_scope[0]}: {unknown_scope[0].split('.')[0]!r} is not a --balance "
                          f"method of this bench ({', '.join(balances)})")
    unscoped = {k: v for k, v in options.items() if "." not in k}
    if unscoped and len([b for b in balances if b != "none"]) > 1:
        raise ConfigError(f"--balance-option {next(iter(unscoped))}: with several --balance methods, scope it, e.g. "
                          f"{next(b for b in balances if b != 'none')}.{next(iter(unscoped))}")
    return {**(unscoped if balance != "none" else {}), **scoped}


def parse_seeds(spec: str | Sequence[int]) -> list[int]:
    """``"0,1,2"`` or ``[0, 1, 2]`` -> distinct seeds in order, each in ``[0, 2**32)``."""
    try:
        seeds = [int(s) for s in (spec.split(",") if isinstance(spec, str) else spec) if str(s).strip()]
    except ValueError:
        raise ConfigError(f"--seeds: {spec!r} is not a comma-separated list of integers, e.g. 0,1,2") from None
    if not seeds or any(not 0 <= s < 2**32 for s in seeds):
        raise ConfigError(f"--seeds: {spec!r} must list integers in [0, 2**32), e.g. 0,1,2")
    return list(dict.fromkeys(seeds))


#: dataset options that say where the data lives, not what it is (left out of a bench's identity)
LOCATION_OPTIONS = ("data_dir", "path", "cache_dir")


def bench_identity(settings: dict[str, Any]) -> dict[str, Any]:
    """What makes two benches the same bench: ``settings`` without the training seed and the data's
    location, so that seeds can be added in another process and a data folder can move without
    blocking a resume. The split seed (a dataset option) stays: it changes the data. The balancing
    methods are left out too: each is a method of the bench, and methods can be added. A training
    field the bench was recorded without takes its old behaviour (:data:`BEFORE_TRAIN_FIELDS`), and
    so does a model option a recipe sets and a bench's options leave out (:data:`BEFORE_RECIPE_FIELDS`)."""
    identity = json.loads(json.dumps(settings))
    if "train_config" in identity:  # recorded before a field existed: the behaviour it had then
        identity["train_config"] = {**BEFORE_TRAIN_FIELDS, **identity["train_config"]}
    if "model_options" in identity:  # an option left out: the model was built with that behaviour
        identity["model_options"] = {**BEFORE_RECIPE_FIELDS, **identity["model_options"]}
    for key in ("seed", "balance", "balance_options"):  # balancing is per method: methods can be added
        identity.get("train_config", {}).pop(key, None)
    for key in LOCATION_OPTIONS:
        identity.get("dataset_options", {}).pop(key, None)
    identity.get("model_options", {}).pop("fusion_options", None)  # per fusion: see join_settings
    identity.pop("fusion_train", None)
    return identity


def trained_fusions(runs: dict[str, dict[str, Any]]) -> set[str]:
    """The fusions a bench's runs (``{method: {seed: result}}``) trained: each result's ``fusion``."""
    return {result["fusion"] for by_seed in runs.values() for result in by_seed.values() if "fusion" in result}


def join_settings(earlier: dict[str, Any], earlier_fusions: set[str], later: dict[str, Any],
                  later_fusions: set[str]) -> dict[str, Any] | None:
    """The settings of one bench made of two parts, or ``None`` when they are not the same bench.

    The parts must have one :func:`bench_identity`. Their per-fusion options and training
    settings (a recipe sets only those of the fusions trained, so a part of a few fusions records
    fewer) must agree for every fusion both parts trained, an absent entry meaning none.

    Args:
        earlier, later: the parts' ``settings``.
        earlier_fusions, later_fusions: the fusions each part trained (:func:`trained_fusions`).

    Returns:
        ``later`` with the per-fusion settings of both parts, or ``None``.
    """
    if bench_identity(earlier) != bench_identity(later):
        return None
    joined = json.loads(json.dumps(later))
    for key in ("fusion_options", "fusion_train"):
        before, after = _per_fusion(earlier, key), _per_fusion(later, key)
        if any(before.get(f, {}) != after.get(f, {}) for f in earlier_fusions & later_fusions):
            return None
        if {**before, **after}:
            (joined.setdefault("model_options", {}) if key == "fusion_options" else joined)[key] = {**before, **after}
    return joined


def _per_fusion(settings: dict[str, Any], key: str) -> dict[str, dict[str, Any]]:
    """A bench's ``fusion_options`` (kept in its model options) or ``fusion_train``: ``{fusion: {...}}``."""
    return settings.get("model_options", {}).get(key, {}) if key == "fusion_options" else settings.get(key, {})


def _settings(dataset: MultimodalDataset, train_config: TrainConfig, model_options: dict[str, Any],
              fusion_train: dict[str, dict[str, Any]]) -> dict[str, Any]:
    settings = {"dataset": dataset.name, "dataset_options": dataset.options, "train_config": asdict(train_config),
                "model_options": model_options}
    return {**settings, "fusion_train": fusion_train} if fusion_train else settings


def run_bench(
    dataset: MultimodalDataset,
    fusions: Sequence[str],
    train_config: TrainConfig,
    out_dir: str | Path,
    *,
    seeds: Sequence[int] | None = None,
    model_options: dict[str, Any] | None = None,
    callbacks: Sequence[L.Callback] = (),
    on_method: Callable[[Method, int, int], Sequence[L.Callback]] | None = None,
    on_result: Callable[[dict[str, Any]], None] | None = None,
    command: str = "",
    balances: Sequence[str] | None = None,
    balance_options: dict[str, Any] | None = None,
    fusion_train: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Train every method of :func:`bench_methods` once per seed; collect the results in ``out_dir/results.json``.

    Seeds run one after the other (every method with the first seed, then with the next), so
    an early table is complete. Each seed sets the weights' initialisation and the shuffling;
    the data set (and its split) is the one given. ``results.json`` is rewritten atomically
    after each run. Running again with the same ``out_dir`` skips the runs already in it,
    resumes the unfinished one from its last checkpoint
    (``out_dir/runs/<method>/seed-<seed>/checkpoints/last.ckpt``), and runs any seed or fusion
    added. Runs of methods an earlier call made there and this one does not list are kept, after
    this call's methods: a few fusions can run first, and the rest later into the same folder.

    Args:
        dataset: the data set.
        fusions: fusion names (see :func:`parse_fusions`).
        train_config: training settings, the same for every method.
        out_dir: output folder.
        seeds: training seeds (default: ``[train_config.seed]``).
        model_options: extra :class:`ModelConfig` fields (``embed_dim``, ``hidden_dim``, ``dropout``), and
            ``fusion_options``: ``{model name: its options}`` (e.g. ``{"low-rank": {"rank": 8}}``).
        callbacks: Lightning callbacks added to every run.
        on_method: called as ``on_method(method, position, total)`` before each run (``position``
            counts runs over all seeds); returns extra callbacks for that run.
        on_result: called with the results dict after each run.
        command: the command line that ran the bench, kept in ``results.json`` for its reports.
        balances: balancing methods, each fusion trained with each (default:
            ``[train_config.balance]``). The unimodal baselines train without. A method that does
            not fit a fusion (``ogm`` with tensor fusion) is skipped with the reason.
        balance_options: their options, ``METHOD.key`` scoped when there are several (default:
            ``train_config.balance_options``).
        fusion_train: ``{fusion: {TrainConfig field: value}}``: a fusion's own training settings
            over ``train_config`` (a recipe's, :func:`~polymodal.training.recipes.fusion_train_for`).
            A balancing method replaces a fusion's own modality dropout
            (:func:`~polymodal.training.recipes.fusion_train_under_balance`): its joint runs
            train with it, its balanced runs without.

    Returns:
        ``{"settings", "seeds", "runs": {method: {seed: fit result}}, "methods": {method: summary},
        "skipped": {method: reason}}``, where a summary (see
        :func:`~polymodal.bench.summary.summarize`) covers the seeds done, and ``skipped`` lists
        the methods whose model cannot be built at these sizes (e.g. tensor fusion of six
        64-dimensional modalities, ``65**6 * 64`` weights) with the reason.

    Raises:
        ConfigError: ``out_dir`` holds results made with other settings.
    """
    out_dir = Path(out_dir)
    seeds = parse_seeds(seeds if seeds is not None else [train_config.seed])
    model_options = dict(model_options or {})
    fusion_train = {f: dict(t) for f, t in (fusion_train or {}).items() if t}
    settings = _settings(dataset, replace(train_config, seed=seeds[0]), model_options, fusion_train)
    bench_layout = BenchLayout(out_dir)
    results_path = bench_layout.results
    runs: dict[str, dict[str, Any]] = {}
    skipped_before: dict[str, str] = {}  # what an earlier call into the same folder could not train
    balances = parse_balances(balances if balances is not None else [train_config.balance])
    methods = bench_methods(dataset, fusions, balances)
    if results_path.is_file():
        previous = json.loads(results_path.read_text())
        joined = join_settings(previous.get("settings", {}), trained_fusions(previous.get("runs", {})),
                               settings, {m.fusion for m in methods}) if "runs" in previous else None
        if joined is None:
            raise ConfigError(
                f"--out {out_dir} holds a benchmark made with other settings; use another --out or delete that folder"
            )
        runs, settings = previous["runs"], joined
        skipped_before = dict(previous.get("skipped", {}))
    balance_options = dict(train_config.balance_options if balance_options is None else balance_options)
    train_config = replace(train_config, balance="none", balance_options={})
    check_modalities(train_config.augment, dataset, "--augment")  # before any run
    shared_options = {k: v for k, v in model_options.items() if k != "fusion_options"}
    per_model: dict[str, dict[str, Any]] = model_options.get("fusion_options", {})
    total = len(methods) * len(seeds)
    results: dict[str, Any] = {}
    skipped: dict[str, str] = {}

    def collect() -> dict[str, Any]:
        # this call's methods in their order, then those an earlier call ran into the same folder
        order = [m.name for m in methods] + [name for name in runs if name not in {m.name for m in methods}]
        done = {name: runs[name] for name in order if runs.get(name)}
        not_run = {name: reason for name, reason in {**skipped_before, **skipped}.items() if name not in done}
        results.update(command=command, settings=settings, seeds=sorted({int(s) for r in runs.values() for s in r} | set(seeds)),
                       runs=done, methods={name: summarize(name, r) for name, r in done.items()}, skipped=not_run)
        return results

    for s_index, seed in enumerate(seeds):
        for m_index, method in enumerate(methods):
            extra = list(on_method(method, s_index * len(methods) + m_index, total)) if on_method else []
            if str(seed) in runs.get(method.name, {}):
                continue
            data = dataset.select(list(method.modalities))
            config = ModelConfig.for_dataset(data, method.fusion, **shared_options,
                                             fusion_options=dict(per_model.get(method.fusion, {})))
            try:
                model = build_model(config)  # a fusion that cannot exist at these sizes is reported, not fatal
                own = replace(train_config, **fusion_train_under_balance(fusion_train.get(method.fusion, {}),
                                                                         method.balance))
                method_config = replace(own, seed=seed, balance=method.balance,
                                        balance_options=balance_options_for(balance_options, method.balance, balances),
                                        augment=augment_of_subset(own.augment, dataset, data.modalities))
                if method.balance != "none":  # a method that does not fit the fusion is reported the same way
                    from polymodal.training.balance.methods import make_balancer

                    make_balancer(method.balance, method_config.balance_options, model, method.fusion, config.num_classes)
            except ConfigError as exc:
                skipped[method.name] = str(exc)
                continue
            result = fit(data, config, method_config, bench_layout.run(method.name, seed).root,
                         callbacks=[*callbacks, *extra], progress_bar=False)
            if not result:  # another process of a data-parallel run: process 0 evaluates and records
                continue
            result["method"] = method.name
            runs.setdefault(method.name, {})[str(seed)] = result
            atomic_write_json(results_path, collect())
            if on_result:
                on_result(results)
    # once more at the end: a method skipped after the last run trained is listed too
    atomic_write_json(results_path, collect())
    return results
