"""The page benchmark's statistics and its load generator (issue 9.5): percentiles, the share
of the ceiling, the table, and counting every answer that is not a 200."""

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import load


def test_percentile_is_nearest_rank():
    values = [0.005, 0.001, 0.004, 0.002, 0.003]
    assert load.percentile(values, 0.5) == 0.003
    assert load.percentile(values, 0.95) == 0.005
    assert load.percentile(list(range(1, 101)), 0.95) == 95
    assert load.percentile([], 0.5) == 0.0


def test_share_of_the_ceiling():
    assert load.share_of_ceiling(50.0, 200.0) == 0.25
    assert load.share_of_ceiling(50.0, 0.0) is None


def _result(name, rate, statuses, latencies=(0.010, 0.020)):
    result = load.PageResult(name=name, user="participant", path="/", seconds=10.0)
    result.statuses = Counter(statuses)
    result.latencies = list(latencies)
    assert result.rate == pytest.approx(rate)
    return result


def test_table_shows_rates_latencies_shares_and_failures():
    ceiling = _result("ceiling", 200.0, {200: 2000})
    page = _result("My Cases", 50.0, {200: 497, 429: 2, 500: 1}, latencies=[0.030, 0.040])
    page.queries = 8
    rows = load.table_rows([ceiling, page], ceiling)
    assert rows[0][:6] == ("ceiling", "participant", "200.0", "10.0", "20.0", "100%")
    assert rows[1] == (
        "My Cases",
        "participant",
        "50.0",
        "30.0",
        "40.0",
        "25%",
        "2×429, 1×500",
        "8",
    )
    assert page.failures == Counter({429: 2, 500: 1})
    assert not ceiling.failures

    text = load.text_table(rows).splitlines()
    assert text[0].split() == [
        "page",
        "user",
        "req/s",
        "p50",
        "ms",
        "p95",
        "ms",
        "share",
        "of",
        "ceiling",
        "non-200",
        "queries",
    ]
    markdown = load.markdown_table(rows).splitlines()
    assert markdown[0].startswith("| page | user | req/s |")
    assert markdown[3] == "| My Cases | participant | 50.0 | 30.0 | 40.0 | 25% | 2×429, 1×500 | 8 |"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        status = 200 if self.path == "/ok" else 429
        body = b"{}"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(("path", "status"), [("/ok", 200), ("/throttled", 429)])
def test_drive_counts_every_answer_in_the_window(server, path, status):
    """Keep-alive requests from two threads; a 429 is counted as a failure, never as a rate."""
    result = load.drive(
        host="127.0.0.1",
        port=server,
        path=path,
        cookie="sessionid=x",
        concurrency=2,
        warmup=0.1,
        duration=0.3,
    )
    assert result.requests > 0
    assert set(result.statuses) == {status}
    assert bool(result.failures) is (status != 200)
    assert len(result.latencies) == (result.requests if status == 200 else 0)


def test_drive_reports_a_server_that_does_not_answer():
    """No server on the port: every attempt is a transport error, reported as a failure."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = load.drive(
        host="127.0.0.1", port=port, path="/", cookie="", concurrency=1, warmup=0, duration=0.2
    )
    assert set(result.failures) == {load.TRANSPORT_ERROR}
    assert load.failures_text(result.failures).endswith("no answer")
