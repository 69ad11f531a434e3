"""Bodies of /auth: registration, login, tokens, password change."""

from gateway.schemas.common import ApiModel, Email, Name, NewPassword, NonEmpty, Username
from gateway.schemas.users import UserPublic


class RegisterRequest(ApiModel):
    email: Email
    username: Username
    password: NewPassword
    first_name: Name | None = None
    last_name: Name | None = None


class LoginRequest(ApiModel):
    email: Email
    password: NonEmpty


class RefreshRequest(ApiModel):
    refresh_token: NonEmpty


class ChangePasswordRequest(ApiModel):
    old_password: NonEmpty
    new_password: NewPassword


class TokenPair(ApiModel):
    access_token: str
    refresh_token: str
    expires_in: int  # seconds until the access token expires
    token_type: str

    @classmethod
    def from_proto(cls, tokens) -> "TokenPair":
        return cls(access_token=tokens.access_token, refresh_token=tokens.refresh_token,
                   expires_in=tokens.expires_in, token_type=tokens.token_type or "Bearer")


class LoginResponse(TokenPair):
    user: UserPublic


class Me(UserPublic):
    permissions: list[str]


class LogoutAllResponse(ApiModel):
    revoked_sessions: int
