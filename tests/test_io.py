import pytest

from polymodal.io import atomic_write, atomic_write_json


def test_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "results.json"
    atomic_write_json(path, {"a": 1})

    def broken(tmp):
        tmp.write_text('{"a": ')
        raise RuntimeError("crash while writing")

    with pytest.raises(RuntimeError):
        atomic_write(path, broken)
    assert path.read_text() == '{\n  "a": 1\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no temporary file left behind
