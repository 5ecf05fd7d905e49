"""A batch ingested while real gunicorn serves: /healthz, the CKAN API and downloads see
it within the door's recheck, without a restart, and the build id stays the build's."""

from __future__ import annotations

import shutil
import time

import requests

from etl import ingest as live
from tests.conftest import Server
from tests.etl.conftest import held  # noqa: F401 (fixture)


def wait_for(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_ingest_reaches_a_running_app(held, tmp_path):  # noqa: F811
    _, base, batches = held
    served = tmp_path / "warehouse.duckdb"
    shutil.copyfile(base, served)
    server = Server(served, env={"PONMETRO_CACHE_DIR": str(tmp_path / "cache")},
                    log=tmp_path / "gunicorn.log").start()
    try:
        url = server.url
        before = requests.get(f"{url}/healthz", timeout=10).json()
        assert before["last_ingest"] is None and before["ingest_lag_s"] is None
        assert before["ingest_errors"] == 0

        def new_hours() -> int:
            answer = requests.get(f"{url}/api/3/action/datastore_search", params={
                "resource_id": "station-status-hourly", "limit": 0,
                "filters": '{"hour": "2023-12-31T22:00:00"}'}, timeout=30).json()
            return answer["result"]["total"]

        def downloaded() -> int:
            csv = requests.get(f"{url}/download/station-status-hourly.csv",
                               params={"hour__gte": "2023-12-31T22:00:00"}, timeout=60).text
            return len(csv.strip().splitlines()) - 1

        assert new_hours() == 0 and downloaded() == 0  # warms the cache for this build
        whole = f"{url}/download/station-status-hourly.csv"
        etag = requests.head(whole, timeout=60).headers["ETag"]
        assert requests.get(whole, headers={"If-None-Match": etag},
                            timeout=60).status_code == 304
        live.ingest([batches["station_status"][0]], served)
        health = wait_for(lambda: (h := requests.get(f"{url}/healthz", timeout=10).json())
                          ["last_ingest"] and h)
        assert health and health["build_id"] == before["build_id"]
        assert health["last_ingest"].endswith("Z") and health["ingest_lag_s"] >= 0
        assert wait_for(lambda: new_hours() > 0)  # the cached answer was not served stale
        assert wait_for(lambda: downloaded() > 0)
        # a client revalidating its copy from before the batch gets the new data, not 304
        # (each worker rechecks the file within a second: wait for both, as above)
        again = wait_for(lambda: (r := requests.get(whole, headers={"If-None-Match": etag},
                                                    timeout=60)).status_code == 200 and r)
        assert again and again.headers["ETag"] != etag
    finally:
        server.stop()
