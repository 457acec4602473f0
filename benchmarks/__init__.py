"""Performance runs that print figures (not pass/fail tests): `python -m benchmarks.run`."""
