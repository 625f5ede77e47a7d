import re

from polymodal.bench import markdown_table, write_reports


def _results():
    row = dict(test_accuracy=0.5, test_macro_f1=0.4, parameters=1200, train_time_s=1.5, peak_memory_mib=300.0,
               inference_time_per_sample_s=2e-6, epochs=3)
    return {
        "settings": {"dataset": "toy", "dataset_options": {}, "train_config": {"seed": 1, "epochs": 3}},
        "methods": {"unimodal:a": {**row, "method": "unimodal:a"}, "early": {**row, "method": "early", "test_accuracy": 0.75}},
    }


def test_markdown_and_self_contained_html(tmp_path):
    md = markdown_table(_results())
    assert "| early | 0.7500 | 0.4000 | 1,200 | 1.5 | 300.0 | 2.0 | 3 |" in md
    paths = write_reports(_results(), tmp_path, command="polymodal bench --dataset toy")
    page = paths["html"].read_text()
    assert len(re.findall(r'src="data:image/png;base64,', page)) == 3  # accuracy, vs parameters, vs time
    assert "http" not in page.replace("http-equiv", "")  # nothing loaded from outside
    assert "polymodal bench --dataset toy" in paths["markdown"].read_text()
