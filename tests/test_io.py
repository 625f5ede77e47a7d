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


def test_replace_section_rewrites_only_its_block():
    from polymodal.io import replace_section

    text = "# Page\n\nintro\n"
    once = replace_section(text, "coordination", "table v1")
    assert once == "# Page\n\nintro\n\n<!-- coordination -->\ntable v1\n<!-- /coordination -->\n"
    twice = replace_section(once + "\nafter\n", "coordination", "table v2")
    assert "table v1" not in twice and "table v2" in twice and twice.endswith("\nafter\n")
    assert twice.count("<!-- coordination -->") == 1
