"""The software and hardware a result was computed with, for ``result.json``.

A seed fixes a run only within one environment: on the same CPU with the same thread count a
run repeats bit for bit, but another version of PyTorch, NumPy or scikit-learn (whose PCA builds
AV-MNIST's images), or a CPU on which PyTorch picks other vector kernels (AVX2 against AVX-512),
can change the last bits of a sum, and training amplifies them into a different model. Results
record what they were computed with, so such a difference can be told from a change of the code.

Times are another matter: two machines with the same software can run at different speeds, and
one machine at different speeds under different loads. :func:`host` records which machine, and
which boot of it, a run was timed on, so that only times measured on one can be set side by side.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
import platform

import torch

#: The distributions whose versions a result records.
PACKAGES = ("polymodal", "torch", "lightning", "numpy", "scipy", "scikit-learn")


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def environment(device: torch.device | None = None) -> dict[str, str | None]:
    """``{"python", "platform", "device", "cpu_kernels", package: version}``: the Python version,
    the operating system and machine, the device trained on (the GPU's name, or ``cpu``), the
    vector instructions PyTorch's CPU kernels use here (``torch.backends.cpu.get_cpu_capability()``:
    ``AVX2``, ``AVX512``, ...), and the installed version of each of :data:`PACKAGES` (``None``
    where one is not installed)."""
    if device is not None and device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        name = device.type if device is not None else "cpu"
    return {"python": platform.python_version(), "platform": platform.platform(terse=True),
            "device": name, "cpu_kernels": torch.backends.cpu.get_cpu_capability(),
            **{p: _version(p) for p in PACKAGES}}


#: Where Linux keeps a random identifier drawn anew at every boot.
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def host() -> dict[str, str | None]:
    """``{"cpu", "boot"}``: the processor's model name and the identifier of the current boot
    (Linux's ``boot_id``; ``None`` where the system has none). Two runs with equal records were timed
    on one machine between two restarts; a run resumed after a restart records the boot it ended on."""
    try:
        boot = BOOT_ID.read_text().strip() or None
    except OSError:
        boot = None
    return {"cpu": _cpu_model(), "boot": boot}
