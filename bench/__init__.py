"""Benchmark harness of event-service (issue 10): `python -m bench.run --profile full|smoke`."""
