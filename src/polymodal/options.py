"""One option mechanism for ``train``, ``bench`` and ``coordinate``: ``--option KEY=VALUE`` and ``--config FILE.toml``.

A key means the same in every command: the field of that name of the command's configuration
dataclasses (:class:`~polymodal.models.build.ModelConfig`,
:class:`~polymodal.training.config.TrainConfig`,
:class:`~polymodal.coordination.config.CoordinationConfig`), e.g. ``dropout=0.2`` or
``weight_decay=0``. Any other key is an option of the model itself (``rank=8`` for low-rank
fusion); where several models are trained at once (``bench``), such a key is scoped by the
model's name, ``low-rank.rank=8``.

A ``--config`` file holds the same keys as TOML (``rank = 8``; a table ``[low-rank]`` scopes its
keys). Precedence: an explicit flag (``--epochs 5``), then ``--option``, then the file, then the
dataclass default.
"""

from __future__ import annotations

import json
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from polymodal.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def parse_options(pairs: Sequence[str], argument: str = "--option") -> dict[str, Any]:
    """``["rank=8", "gate=hard", "low-rank.rank=4"]`` -> ``{"rank": 8, "gate": "hard", "low-rank.rank": 4}``.

    A value is read as JSON (numbers, booleans, lists, quoted strings), else kept as text.

    Raises:
        ConfigError: a pair without ``=`` or with an empty key.
    """
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{argument} {pair!r}: expected KEY=VALUE, e.g. {argument} rank=8")
        try:
            options[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            options[key.strip()] = value
    return options


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The options of a ``--config`` TOML file, flattened: a table ``[low-rank]`` with ``rank = 8``
    becomes ``{"low-rank.rank": 8}``, except the tables of dict-valued fields (``fusion_options``,
    ``similarity_options``, ``augment``), which stay dicts.

    Raises:
        ConfigError: the file is missing or is not valid TOML (with the line of the error).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"--config {path}: no such file; give the path of a TOML file of KEY = VALUE lines")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"--config {path}: not valid TOML ({exc}); write KEY = VALUE lines, e.g. rank = 8") from None
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and key not in DICT_FIELDS:
            out.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            out[key] = value
    return out


#: Fields whose value is itself a table of options.
DICT_FIELDS = ("fusion_options", "similarity_options", "augment")


def field_names(config_type: type, exclude: Iterable[str] = ()) -> list[str]:
    """The dataclass fields of ``config_type`` an option may set."""
    skip = set(exclude)
    return [f.name for f in fields(config_type) if f.name not in skip]


def split_options(options: Mapping[str, Any], targets: Mapping[str, Sequence[str]]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Sort options by the configuration whose field they name.

    Args:
        options: ``{key: value}`` (from :func:`parse_options` and :func:`read_config_file`).
        targets: ``{configuration: its settable field names}``, in priority order.

    Returns:
        ``({configuration: {field: value}}, {other key: value})``: the second holds the model's
        own options.
    """
    found: dict[str, dict[str, Any]] = {name: {} for name in targets}
    rest: dict[str, Any] = {}
    for key, value in options.items():
        owner = next((name for name, names in targets.items() if key in names), None)
        if owner is None:
            rest[key] = value
        else:
            found[owner][key] = value
    return found, rest


def scoped_model_options(rest: Mapping[str, Any], models: Sequence[str], *, single: str | None = None,
                         known_fields: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    """``{model: {option: value}}`` from the keys no configuration field claimed.

    ``low-rank.rank=8`` is the option ``rank`` of ``low-rank``. With ``single`` (one model is
    trained, ``train``), an unscoped key is that model's option; otherwise it is an error.

    Raises:
        ConfigError: a key scoped by a model that is not trained here, or unscoped with several models.
    """
    out: dict[str, dict[str, Any]] = {}
    for key, value in rest.items():
        model, dot, option = key.rpartition(".")
        if dot and model:
            if model not in models:
                raise ConfigError(f"--option {key}: {model!r} is not trained here; scope options by one of "
                                  f"{', '.join(models)}")
        elif single is not None:
            model, option = single, key
        else:
            raise ConfigError(f"--option {key}: not a setting ({', '.join(known_fields)}); a model's own option needs "
                              f"its name, e.g. --option low-rank.{key}={json.dumps(value)}")
        out.setdefault(model, {})[option] = value
    return out


#: TrainConfig fields a command sets for all its models at once, never one model's alone
NOT_PER_MODEL = frozenset({"seed", "balance", "balance_options"})


def scoped_train_settings(per_model: Mapping[str, Mapping[str, Any]], train_fields: Iterable[str]
                          ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Split scoped options into each model's own training settings and its own model options.

    ``tensor.epochs=45`` trains tensor fusion for 45 epochs and every other model as the command
    says (a recipe's per-fusion settings, :attr:`~polymodal.training.recipes.Recipe.fusion_train`,
    given on the command line); ``tensor.rank=8`` stays an option of the model.

    Args:
        per_model: ``{model: {key: value}}`` from :func:`scoped_model_options`.
        train_fields: the names of the :class:`~polymodal.training.config.TrainConfig` fields.

    Returns:
        ``(model_options, train_settings)``, each ``{model: {key: value}}`` without empty entries.

    Raises:
        ConfigError: a scoped field that only the whole command sets (:data:`NOT_PER_MODEL`).
    """
    train_fields = set(train_fields)
    options: dict[str, dict[str, Any]] = {}
    train: dict[str, dict[str, Any]] = {}
    for model, given in per_model.items():
        for key, value in given.items():
            if key in NOT_PER_MODEL:
                raise ConfigError(f"--option {model}.{key}: {key} is the command's, the same for every model; "
                                  f"give it unscoped (--{key.replace('_', '-')} or --option {key}=...)")
            (train if key in train_fields else options).setdefault(model, {})[key] = value
    return options, train
