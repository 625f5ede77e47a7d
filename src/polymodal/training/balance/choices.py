"""The balancing methods selectable by name (``TrainConfig(balance=...)``, ``--balance``) and
their options, checked without importing PyTorch (the command line checks them first)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Literal, get_args

from polymodal.errors import ConfigError

BalanceName = Literal["none", "gblend", "ogm", "agm", "pmr", "mmpareto", "warmstart", "umt"]
BALANCE_METHODS: tuple[str, ...] = get_args(BalanceName)


@dataclass(frozen=True)
class Option:
    """One option of a method: its default and the check of a value (``None`` when the value is fine)."""

    default: Any
    problem: Callable[[Any], str | None]


def _positive(v: Any) -> str | None:
    return None if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 else "must be a positive number"


def _non_negative(v: Any) -> str | None:
    return None if isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 else "must be a number >= 0"


def _positive_or_none(v: Any) -> str | None:
    return None if v is None else _positive(v)


def _epoch(v: Any) -> str | None:
    return None if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else "must be an epoch number >= 0"


def _epoch_or_none(v: Any) -> str | None:
    return None if v is None else _epoch(v)


def _at_least_one(v: Any) -> str | None:
    return None if isinstance(v, int) and not isinstance(v, bool) and v >= 1 else "must be a whole number >= 1"


def _boost(v: Any) -> str | None:
    return None if isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 1 else "must be a number >= 1"


def _fraction(v: Any) -> str | None:
    return None if isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v < 1 else "must be in [0, 1)"


def _holdout(v: Any) -> str | None:
    return None if isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= 0.5 else "must be in (0, 0.5]"


def _flag(v: Any) -> str | None:
    return None if isinstance(v, bool) else "must be true or false"


OPTIONS: dict[str, dict[str, Option]] = {
    "none": {},
    "agm": {"alpha": Option(0.1, _positive), "clip": Option(5.0, _positive_or_none)},
    "ogm": {"alpha": Option(0.3, _positive), "noise": Option(True, _flag), "start_epoch": Option(0, _epoch),
            "end_epoch": Option(None, _epoch_or_none)},
    "gblend": {"super_epoch": Option(10, _at_least_one), "holdout": Option(0.1, _holdout)},
    "pmr": {"alpha": Option(0.6, _positive), "momentum": Option(0.5, _fraction), "entropy": Option(0.0, _non_negative),
            "entropy_epochs": Option(10, _epoch)},
    "mmpareto": {"boost": Option(1.5, _boost)},
    "warmstart": {"epochs": Option(3, _at_least_one)},
    "umt": {"teacher_epochs": Option(10, _at_least_one), "weight": Option(10.0, _positive)},
}


def check_balance(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """The method's options with their defaults filled in.

    Raises:
        ConfigError: an unknown method, an unknown option, or a value out of range, naming the
            argument and the valid choices.
    """
    if name not in BALANCE_METHODS:
        raise ConfigError(f"--balance: {name!r} is unknown; choose from {', '.join(BALANCE_METHODS)}")
    known = OPTIONS[name]
    for key, value in options.items():
        if key not in known:
            valid = ", ".join(known) if known else "none"
            raise ConfigError(f"--balance-option: {key!r} is not an option of {name}; its options: {valid}")
        problem = known[key].problem(value)
        if problem:
            raise ConfigError(f"--balance-option {key}={value!r}: {problem} ({name})")
    return {key: options.get(key, option.default) for key, option in known.items()}


