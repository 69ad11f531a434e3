"""Load and latency benchmarks that print figures and their ratio to the targets: `python -m bench`."""
