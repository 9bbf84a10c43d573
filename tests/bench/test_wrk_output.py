"""The benchmark reads its figures from wrk's text output: parsed wrong, every ratio is wrong."""

import pytest

from bench.run import parse_wrk

# wrk 4.1 `--latency` output; "95.50%" in the thread stats once passed for the p50 line.
OUTPUT = """Running 3s test @ http://127.0.0.1:41235
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     8.89ms    9.90ms  95.35ms   95.50%
    Req/Sec     1.08k   216.91     1.35k    78.00%
  Latency Distribution
     50%  645.00us
     75%    8.21ms
     90%   11.91ms
     99%    1.20s
  3240 requests in 3.01s, 0.96MB read
Requests/sec:   1073.00
Transfer/sec:    195.95KB
"""


def test_figures_come_from_their_own_lines_in_their_units() -> None:
    assert parse_wrk(OUTPUT, "/api/x") == (1073.0, 3240, 0.645, 1200.0)


def test_any_failed_request_fails_the_run() -> None:
    failed = OUTPUT.replace("Requests/sec", "  Non-2xx or 3xx responses: 12\nRequests/sec")
    with pytest.raises(RuntimeError, match="12 failed requests on /api/x"):
        parse_wrk(failed, "/api/x")
