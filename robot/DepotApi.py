"""A tiny Robot Framework keyword library for the Depot REST API, on httpx (no RequestsLibrary here).

Every keyword checks the status code it is told to expect and returns the JSON body, so a suite reads
as the contract: `${user}=    POST    /auth/register    ${body}    expected_status=201`.
"""

import uuid

import httpx
from robot.api.deco import keyword, library


@library(scope="SUITE")
class DepotApi:
    def __init__(self, base_url: str = "http://localhost:3000/api"):
        self._client = httpx.Client(base_url=base_url.rstrip("/"), timeout=10)

    @keyword("POST")
    def post(self, path: str, body: dict | None = None, expected_status: int = 200, token: str | None = None):
        return self._answer(self._client.post(path, json=body, headers=self._headers(token)), expected_status)

    @keyword("GET")
    def get(self, path: str, expected_status: int = 200, token: str | None = None):
        return self._answer(self._client.get(path, headers=self._headers(token)), expected_status)

    @keyword("Unique Name")
    def unique_name(self, prefix: str = "robot") -> str:
        """A username nobody has yet, also usable as the local part of an email address."""
        return f"{prefix}_{uuid.uuid4().hex[:12]}"

    @staticmethod
    def _headers(token: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"} if token else {}

    @staticmethod
    def _answer(response: httpx.Response, expected_status: int):
        if response.status_code != int(expected_status):
            raise AssertionError(f"{response.request.method} {response.request.url} answered "
                                 f"{response.status_code}, expected {expected_status}: {response.text}")
        return response.json() if response.content else None
