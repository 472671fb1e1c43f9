"""asv benchmarks for skscatter (run from asv_benchmarks/: ``asv run``)."""
