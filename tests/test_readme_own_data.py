"""The README's "Your own data" examples run as written (Python blocks and shell blocks, in a fresh folder)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def blocks() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Your own data"): text.index("## Data\n")]
    return re.findall(r"```(python|bash)\n(.*?)```", section, flags=re.S)


@pytest.mark.slow
def test_your_own_data_examples_run(tmp_path, data_dir):
    work = tmp_path / "project"  # ../shared/data of the examples resolves to the real data beside it
    work.mkdir()
    (tmp_path / "shared").symlink_to(data_dir.parent)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "POLYMODAL_CACHE_DIR": str(tmp_path / "cache")}
    found = blocks()
    assert [k for k, _ in found].count("python") == 2 and [k for k, _ in found].count("bash") == 2
    for kind, code in found:
        cmd = [sys.executable, "-c", code] if kind == "python" else ["bash", "-euo", "pipefail", "-c", code]
        proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, f"{kind} block failed:\n{code}\n{proc.stderr[-3000:]}"
    assert (work / "runs" / "bench-my_data" / "results.json").is_file()
    assert (work / "runs" / "bench-mfeat" / "results.json").is_file()
