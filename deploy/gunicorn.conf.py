"""gunicorn settings of the image (issue 14): with PROMETHEUS_MULTIPROC_DIR set, each web
process writes its metrics to that directory and /metrics adds them up; a process that exits
is marked dead so its live gauges stop counting (its counters stay, as counters should)."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
accesslog = "-"


def on_starting(server):
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        os.makedirs(path, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
