"""Benchmarks of pytest-sticky: ``python -m benchmarks [--quick] [--output PATH]``.

Each module measures one thing (see ``__main__`` for the list); ``report`` prints the table
and writes the JSON. Everything talks to 127.0.0.1 only, and every process started here is
stopped by its PID.
"""
