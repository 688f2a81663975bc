"""Run by test_office_fab.py in its own process (Airflow's configuration is read from the environment
it sets): the API server's app with the FAB auth manager, through FastAPI's TestClient. Prints one
JSON object: each request's status code."""

import json
import sys

from airflow.api_fastapi.app import create_app
from fastapi.testclient import TestClient


def token(client, username, password):
    r = client.post("/auth/token", json={"username": username, "password": password})
    assert r.status_code in (200, 201), (r.status_code, r.text[:500])
    return r.json()["access_token"]


def main(office_pw: str, admin_pw: str) -> None:
    client = TestClient(create_app())
    out = {}
    for who, pw in (("clerk", office_pw), ("admin", admin_pw)):
        h = {"Authorization": f"Bearer {token(client, who, pw)}"}
        page = client.get("/keyprojects/office/", headers=h)
        out[f"{who}_page"] = page.status_code
        out[f"{who}_page_has_title"] = "工业重点项目 报送情况" in page.text
        out[f"{who}_trigger"] = client.post("/api/v2/dags/keyprojects_quarterly/dagRuns", headers=h,
                                            json={"logical_date": None, "conf": {"quarter": "2022Q4"}}).status_code
        out[f"{who}_clear"] = client.post("/api/v2/dags/keyprojects_quarterly/clearTaskInstances", headers=h,
                                          json={"dry_run": True}).status_code
        out[f"{who}_pause"] = client.patch("/api/v2/dags/keyprojects_quarterly", headers=h,
                                           json={"is_paused": False}).status_code
        out[f"{who}_read_runs"] = client.get("/api/v2/dags/~/dagRuns", headers=h).status_code
    out["anonymous_page"] = client.get("/keyprojects/office/").status_code
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:3])
