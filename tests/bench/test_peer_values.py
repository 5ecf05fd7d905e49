"""The peer's filtered question asks a different value on each timed request (the API
keeps per-value totals, so asking one value 30 times would measure a lookup)."""

from __future__ import annotations

from bench import peer


def test_values_are_spread_and_start_with_the_planned_one(warehouse):
    p = peer.plan(warehouse)
    asked = peer.values(warehouse, p, 31)
    assert len(asked) == 31 and asked[0] == p.value
    assert len(set(asked)) == 31  # the demo table has more than 31 stations
    mine, theirs = peer.filtered_urls(p, "http://a", "http://b", asked[3])
    assert asked[3] in mine and asked[3] in theirs
    few = peer.values(warehouse, p, 3)
    assert few[0] == p.value and len(set(few)) == 3


def test_both_servers_are_timed_in_turns():
    """Each round asks both sides (the first side alternates), each its next value, so a
    slower minute hits both medians alike; the warm-up round is not timed."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import requests

    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            seen.append(self.path)
            body = self.path.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with requests.Session() as http:
            mine, theirs = peer.timed(http, [f"{base}/m{i}" for i in range(3)],
                                      f"{base}/t", repeats=4)
    finally:
        server.shutdown()
    assert seen == ["/t", "/m0", "/m1", "/t", "/t", "/m2", "/m0", "/t", "/t", "/m1"]
    assert (mine.body, theirs.body) == (b"/m1", b"/t")
    assert mine.seconds > 0 and theirs.seconds > 0
