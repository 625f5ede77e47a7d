"""Benchmarks: train unimodal baselines and fusions side by side, and report."""

from polymodal.bench.report import markdown_table, write_reports
from polymodal.bench.runner import Method, bench_methods, parse_fusions, run_bench

__all__ = ["Method", "bench_methods", "markdown_table", "parse_fusions", "run_bench", "write_reports"]
