"""Enclave's benchmarks: ``make bench`` (``python -m bench``) runs every registered benchmark against the
real local stack, writes ``bench/results/latest.json`` and prints one table per benchmark.

One module per benchmark (``storage``: uploads and downloads through the api against raw MinIO); the
runner (``__main__``), the shapes they share (``core``), the stack and api they run against (``stack``,
``tenant``), the machine they ran on (``machine``) and the report (``report``) are shared. A benchmark
measures and states its goals; it never fails the run because a goal was missed.
"""
