"""The command line's thread count: the cores other processes leave free."""

import subprocess
import sys
import time

import pytest

from polymodal.errors import ConfigError
from polymodal.threads import busy_cores, choose_threads, configure_threads


@pytest.mark.parametrize("cores,busy,expected", [(2, 0.0, 2), (2, 0.3, 2), (2, 1.0, 1), (2, 1.6, 1), (2, 5.0, 1),
                                                 (8, 2.2, 6), (8, 0.0, 8), (1, 0.0, 1)])
def test_free_cores_at_least_one(cores, busy, expected):
    assert choose_threads(cores, busy) == expected


def test_a_spinning_process_counts_as_a_busy_core():
    spinner = subprocess.Popen([sys.executable, "-c", "import time\nend = time.time() + 20\nwhile time.time() < end:\n    pass"])
    try:
        time.sleep(1.0)
        assert busy_cores(0.5) >= 0.6  # one core of the spinner (the measuring process sleeps)
    finally:
        spinner.kill()
        spinner.wait()


def test_the_environment_decides_first():
    env = {"POLYMODAL_THREADS": "3"}
    assert configure_threads(env) == 3 and env["OMP_NUM_THREADS"] == "3" == env["MKL_NUM_THREADS"]
    env = {"OMP_NUM_THREADS": "5"}
    assert configure_threads(env) is None and env == {"OMP_NUM_THREADS": "5"}
    env = {}
    assert 1 <= configure_threads(env) == int(env["OMP_NUM_THREADS"])
    with pytest.raises(ConfigError, match="POLYMODAL_THREADS='two'"):
        configure_threads({"POLYMODAL_THREADS": "two"})


def test_the_command_line_starts_torch_with_the_chosen_threads():
    code = ("import os, sys; os.environ.pop('OMP_NUM_THREADS', None); os.environ['POLYMODAL_THREADS'] = '1'\n"
            "from polymodal.cli import configure_threads; configure_threads()\n"
            "import torch; print(torch.get_num_threads())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "1"
