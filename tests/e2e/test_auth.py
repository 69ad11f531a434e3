"""/api/auth end to end: registration and its validation, login, token rotation, logout, password change."""

import httpx
import pytest

from libs.stack import unique
from tests.e2e.helpers import PASSWORD, Account, assert_error, bearer, login, register

PUBLIC_FIELDS = {"id", "email", "username", "firstName", "lastName", "roles", "isActive", "createdAt", "updatedAt",
                 "lastLoginAt"}


def test_register_answers_201_with_the_public_fields_only(api: httpx.Client):
    name = unique("Ada").replace("-", "_")
    body = {"email": f"{name}@Example.com", "username": name, "password": PASSWORD,
            "firstName": "Ada", "lastName": "Lovelace"}

    answer = api.post("/auth/register", json=body)

    assert answer.status_code == 201, answer.text
    user = answer.json()
    assert set(user) == PUBLIC_FIELDS
    assert user["email"] == body["email"].lower()
    assert (user["username"], user["firstName"], user["lastName"]) == (body["username"], "Ada", "Lovelace")
    assert user["roles"] == ["customer"]
    assert user["createdAt"]
    assert "hash" not in answer.text.lower() and PASSWORD not in answer.text


VALID = {"email": "valid@example.com", "username": "valid_name", "password": PASSWORD}


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"email": None}, "email", "Email should not be empty"),
    ({"email": ""}, "email", "Email should not be empty"),
    ({"email": "not-an-email"}, "email", "Email is invalid"),
    ({"email": "a@b"}, "email", "Email is invalid"),
    ({"username": None}, "username", "Username should not be empty"),
    ({"username": ""}, "username", "Username should not be empty"),
    ({"username": "ab"}, "username", "Username must be at least 3 characters"),
    ({"username": "a" * 51}, "username", "Username must be at most 50 characters"),
    ({"username": "with space"}, "username", "Username may contain only letters, digits and underscores"),
    ({"password": "password"}, "password", "Password is too weak"),
    ({"password": "Short1!"}, "password", "Password is too weak"),
    ({"password": "NoSymbol123"}, "password", "Password is too weak"),
    ({"firstName": "x" * 101}, "firstName", "First name must be at most 100 characters"),
    ({"email": 42}, "email", "Email must be a string"),
    ({"isAdmin": True}, "isAdmin", "property isAdmin should not exist"),
])
def test_an_invalid_registration_is_a_400_naming_the_field(api: httpx.Client, change, field, message):
    body = {k: v for k, v in {**VALID, **change}.items() if v is not None}

    body = assert_error(api.post("/auth/register", json=body), 400, [message])

    assert body["error"] == "Bad Request"
    assert body["details"] == [{"field": field, "message": message}]


def test_every_bad_field_is_reported_at_once(api: httpx.Client):
    answer = api.post("/auth/register", json={"email": "nope", "username": "ab", "password": "weak"})

    assert_error(answer, 400, ["Email is invalid", "Username must be at least 3 characters", "Password is too weak"])


@pytest.mark.parametrize(("content", "message"), [
    ('{"email": ', "Invalid JSON body"),
    ("[1, 2]", "Request body must be a JSON object"),
])
def test_a_body_that_is_not_a_json_object_is_a_400(api: httpx.Client, content, message):
    answer = api.post("/auth/register", content=content, headers={"Content-Type": "application/json"})

    assert_error(answer, 400, [message])


def test_a_taken_email_or_username_is_a_409(api: httpx.Client, customer: Account):
    other = register(api)

    same_email = {**VALID, "email": customer.email.upper(), "username": "x" + other.username}
    same_username = {**VALID, "email": "x" + other.email, "username": customer.username}

    taken_email = assert_error(api.post("/auth/register", json=same_email), 409, "Email already registered")
    taken_username = assert_error(api.post("/auth/register", json=same_username), 409, "Username already taken")

    assert taken_email["details"] == [{"field": "email", "message": "Email already registered"}]
    assert taken_username["details"] == [{"field": "username", "message": "Username already taken"}]


def test_login_answers_a_token_pair_and_the_user(api: httpx.Client, customer: Account):
    tokens = login(api, customer.email)

    assert set(tokens) == {"accessToken", "refreshToken", "expiresIn", "tokenType", "user"}
    assert tokens["tokenType"] == "Bearer" and tokens["expiresIn"] == 600
    assert tokens["user"]["id"] == customer.id and tokens["user"]["lastLoginAt"]


def test_a_wrong_password_is_a_401_invalid_credentials(api: httpx.Client, customer: Account):
    answer = api.post("/auth/login", json={"email": customer.email, "password": "Wrong123!"})

    assert_error(answer, 401, "Invalid credentials")
    assert answer.headers["www-authenticate"] == "Bearer"


def test_me_answers_the_user_and_its_permissions(api: httpx.Client, customer: Account, customer_headers: dict):
    answer = api.get("/auth/me", headers=customer_headers)

    assert answer.status_code == 200, answer.text
    me = answer.json()
    assert (me["id"], me["username"], me["roles"]) == (customer.id, customer.username, ["customer"])
    assert "order:create" in me["permissions"] and "user:read" not in me["permissions"]


def _refresh(api: httpx.Client, refresh_token: str) -> httpx.Response:
    return api.post("/auth/refresh", json={"refreshToken": refresh_token})


def test_refresh_rotates_and_a_reused_token_revokes_its_family(api: httpx.Client, customer: Account):
    first = login(api, customer.email)["refreshToken"]

    rotated = _refresh(api, first)
    assert rotated.status_code == 200, rotated.text
    pair = rotated.json()
    assert set(pair) == {"accessToken", "refreshToken", "expiresIn", "tokenType"}
    assert pair["refreshToken"] != first
    assert api.get("/auth/me", headers=bearer(pair["accessToken"])).status_code == 200

    assert _refresh(api, first).status_code == 401  # reuse of a rotated token: somebody else holds it
    assert _refresh(api, pair["refreshToken"]).status_code == 401  # so the whole family is gone


def test_logout_revokes_the_session(api: httpx.Client, customer: Account):
    refresh_token = login(api, customer.email)["refreshToken"]

    answer = api.post("/auth/logout", json={"refreshToken": refresh_token})

    assert answer.status_code == 204
    assert _refresh(api, refresh_token).status_code == 401


def test_logout_all_revokes_every_session(api: httpx.Client, customer: Account):
    sessions = [login(api, customer.email) for _ in range(2)]

    answer = api.post("/auth/logout-all", headers=bearer(sessions[0]["accessToken"]))

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"revokedSessions": 2}
    assert [_refresh(api, s["refreshToken"]).status_code for s in sessions] == [401, 401]


def test_change_password_revokes_sessions_and_the_new_password_logs_in(api: httpx.Client, customer: Account):
    session = login(api, customer.email)
    headers = bearer(session["accessToken"])
    new_password = "Changed456?"

    wrong = api.post("/auth/change-password", headers=headers,
                     json={"oldPassword": "Wrong123!", "newPassword": new_password})
    weak = api.post("/auth/change-password", headers=headers, json={"oldPassword": PASSWORD, "newPassword": "weak"})
    changed = api.post("/auth/change-password", headers=headers,
                       json={"oldPassword": PASSWORD, "newPassword": new_password})

    assert assert_error(wrong, 400, ["Old password is incorrect"])["details"] == [
        {"field": "oldPassword", "message": "Old password is incorrect"}]
    assert assert_error(weak, 400, ["Password is too weak"])["details"][0]["field"] == "newPassword"
    assert changed.status_code == 200, changed.text
    assert _refresh(api, session["refreshToken"]).status_code == 401
    assert_error(api.post("/auth/login", json={"email": customer.email, "password": PASSWORD}), 401,
                 "Invalid credentials")
    assert login(api, customer.email, new_password)["user"]["id"] == customer.id


def test_the_fifth_failure_in_a_row_locks_the_account(api: httpx.Client, customer: Account):
    wrong = {"email": customer.email, "password": "Wrong123!"}

    failures = [api.post("/auth/login", json=wrong) for _ in range(5)]
    while_locked = api.post("/auth/login", json={"email": customer.email, "password": customer.password})

    assert [f.status_code for f in failures[:4]] == [401] * 4
    assert_error(failures[4], 400, "Too many failed attempts. Account locked for 15 minutes")
    assert_error(while_locked, 400, "Account is temporarily locked")
