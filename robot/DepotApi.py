"""A tiny Robot Framework keyword library for the Depot REST API, on httpx (no RequestsLibrary here).

Every request keyword checks the status code it is told to expect and returns the JSON body (None when
there is none, as for a 204 or a 304), so a suite reads as the contract:
`${user}=    POST    /auth/register    ${body}    expected_status=201`.
`Last Response Header` reads a header (ETag) of the last answer.
"""

import uuid

import httpx
from robot.api.deco import keyword, library


@library(scope="SUITE")
class DepotApi:
    def __init__(self, base_url: str = "http://localhost:3000/api"):
        self._client = httpx.Client(base_url=base_url.rstrip("/"), timeout=10)
        self._last: httpx.Response | None = None

    @keyword("GET")
    def get(self, path: str, expected_status: int = 200, token: str | None = None, params: dict | None = None,
            headers: dict | None = None):
        return self._call("GET", path, None, expected_status, token, headers, params)

    @keyword("POST")
    def post(self, path: str, body: dict | None = None, expected_status: int = 200, token: str | None = None,
             headers: dict | None = None):
        return self._call("POST", path, body, expected_status, token, headers)

    @keyword("PUT")
    def put(self, path: str, body: dict, expected_status: int = 200, token: str | None = None,
            headers: dict | None = None):
        return self._call("PUT", path, body, expected_status, token, headers)

    @keyword("DELETE")
    def delete(self, path: str, expected_status: int = 204, token: str | None = None, headers: dict | None = None):
        return self._call("DELETE", path, None, expected_status, token, headers)

    @keyword("Last Response Header")
    def last_response_header(self, name: str) -> str:
        if self._last is None or name not in self._last.headers:
            raise AssertionError(f"the last answer has no {name} header")
        return self._last.headers[name]

    @keyword("Unique Name")
    def unique_name(self, prefix: str = "robot") -> str:
        """A name nobody has yet (username, SKU, category), also usable as the local part of an email."""
        return f"{prefix}_{uuid.uuid4().hex[:12]}"

    def _call(self, method: str, path: str, body: dict | None, expected_status: int, token: str | None,
              headers: dict | None, params: dict | None = None):
        sent = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
        self._last = response = self._client.request(method, path, json=body, headers=sent, params=params)
        if response.status_code != int(expected_status):
            raise AssertionError(f"{method} {response.request.url} answered "
                                 f"{response.status_code}, expected {expected_status}: {response.text}")
        return response.json() if response.content else None
