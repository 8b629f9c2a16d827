"""`make bench`: measured figures, written to BENCHMARKS.md. Never part of `make test`."""
