"""A small HTTP load generator and the statistics of the page benchmark.

Threads each keep one `http.client` connection and send GET requests back to back: a warm-up
whose requests are not counted (first queries, caches, the pages' code loaded in every worker),
then a fixed measured window. gunicorn's sync workers answer `Connection: close`, so a thread
then opens a new connection for the next request, as a browser behind a proxy would; the
ceiling pays the same price, so the shares compare like with like.

Everything but `drive` is a pure function, tested in tests/bench/test_load.py.
"""

import http.client
import itertools
import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

# A transport error (refused, reset, timed out) is counted under this pseudo-status.
TRANSPORT_ERROR = 0


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (`share` 0.5 for the median, 0.95 for p95); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


@dataclass
class PageResult:
    """What one page did in its measured window."""

    name: str
    user: str
    path: str
    seconds: float
    latencies: list[float] = field(default_factory=list)  # of 200 answers, in seconds
    statuses: Counter = field(default_factory=Counter)
    queries: int | None = None

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def rate(self) -> float:
        """Answered requests per second (all statuses: a fast 500 is still an answer)."""
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies, 0.50) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.latencies, 0.95) * 1000

    @property
    def failures(self) -> Counter:
        """Every answer that was not 200, by status (0: no answer at all)."""
        return Counter({status: n for status, n in self.statuses.items() if status != 200})


def share_of_ceiling(rate: float, ceiling_rate: float) -> float | None:
    """A page's requests per second as a share of the ceiling's (None without a ceiling)."""
    if ceiling_rate <= 0:
        return None
    return rate / ceiling_rate


def failures_text(failures: Counter) -> str:
    if not failures:
        return "0"
    return ", ".join(
        f"{n}×{'no answer' if status == TRANSPORT_ERROR else status}"
        for status, n in sorted(failures.items())
    )


COLUMNS = ("page", "user", "req/s", "p50 ms", "p95 ms", "share of ceiling", "non-200", "queries")


def table_rows(results: list[PageResult], ceiling: PageResult) -> list[tuple[str, ...]]:
    """The table's cells, as text, one row per page (the ceiling first, at 100%)."""
    rows = []
    for result in results:
        share = share_of_ceiling(result.rate, ceiling.rate)
        rows.append(
            (
                result.name,
                result.user,
                f"{result.rate:.1f}",
                f"{result.p50_ms:.1f}",
                f"{result.p95_ms:.1f}",
                "—" if share is None else f"{share:.0%}",
                failures_text(result.failures),
                "—" if result.queries is None else str(result.queries),
            )
        )
    return rows


def text_table(rows: list[tuple[str, ...]]) -> str:
    """Columns padded to their widest cell; numbers right-aligned."""
    widths = [max(len(c) for c in column) for column in zip(COLUMNS, *rows, strict=True)]
    numeric = {2, 3, 4, 5, 7}

    def line(cells):
        return "  ".join(
            cell.rjust(width) if i in numeric else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(COLUMNS), line(["-" * w for w in widths]), *map(line, rows)])


def markdown_table(rows: list[tuple[str, ...]]) -> str:
    align = ["---", "---", "---:", "---:", "---:", "---:", "---", "---:"]
    lines = ["| " + " | ".join(COLUMNS) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def drive(
    *,
    host: str,
    port: int,
    path: str,
    cookie: str,
    concurrency: int,
    warmup: float,
    duration: float,
    name: str = "",
    user: str = "",
    timeout: float = 30.0,
    paths: tuple[str, ...] = (),
) -> PageResult:
    """GET `path` from `concurrency` threads: `warmup` seconds not counted, then `duration`
    seconds counted. A request counts when it both starts and ends inside the window.
    `paths`: several addresses taken in turn instead (the knowledge search's varied queries),
    each thread starting at a different one."""
    result = PageResult(name=name or path, user=user, path=path, seconds=duration)
    lock = threading.Lock()
    start = time.perf_counter() + 0.05
    window_opens = start + warmup
    window_closes = window_opens + duration
    headers = {"Cookie": cookie, "Accept": "text/html,application/json"}

    def worker(first: int = 0):
        rotation = itertools.islice(itertools.cycle(paths or (path,)), first, None)
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        latencies, statuses = [], Counter()
        while time.perf_counter() < start:
            time.sleep(0.001)
        while True:
            began = time.perf_counter()
            if began >= window_closes:
                break
            try:
                connection.request("GET", next(rotation), headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
                if response.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException):
                status = TRANSPORT_ERROR
                connection.close()
            ended = time.perf_counter()
            if began >= window_opens and ended <= window_closes:
                statuses[status] += 1
                if status == 200:
                    latencies.append(ended - began)
        connection.close()
        with lock:
            result.latencies.extend(latencies)
            result.statuses.update(statuses)

    threads = [
        threading.Thread(target=worker, args=(i * 7,), daemon=True) for i in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result
