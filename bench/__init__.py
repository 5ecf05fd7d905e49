"""Benchmark harness: ``python -m bench [--scale N] [--smoke]`` prints one table.

Every figure of docs/performance.md comes from one run of this package against
real processes (the ETL in a subprocess, gunicorn, redis-server, wrk, Chromium)
so a regression shows up as a changed number, not as a flaky timed test.
"""
