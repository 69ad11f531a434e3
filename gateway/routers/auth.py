"""/api/auth: registration, login, token refresh, logout, password change, the caller's profile."""

from depot.user.v1 import user_pb2
from fastapi import APIRouter, Request, Response, status
from starlette.exceptions import HTTPException

from gateway.deps import CurrentPrincipal, LoginLimiter, UserStub
from gateway.schemas.auth import (
    ChangePasswordRequest,
    LoginRequest,
    LoginResponse,
    LogoutAllResponse,
    Me,
    RefreshRequest,
    RegisterRequest,
    TokenPair,
)
from gateway.schemas.common import Message, error_responses
from gateway.schemas.users import UserPublic

router = APIRouter(prefix="/auth", tags=["auth"], responses=error_responses(400, 503, 504))


@router.post("/register", status_code=status.HTTP_201_CREATED, responses=error_responses(409))
async def register(body: RegisterRequest, users: UserStub) -> UserPublic:
    answer = await users.Register(user_pb2.RegisterRequest(
        email=body.email, username=body.username, password=body.password,
        first_name=body.first_name or "", last_name=body.last_name or "",
    ))
    return UserPublic.from_proto(answer.user)


@router.post("/login", responses=error_responses(401, 429))
async def login(body: LoginRequest, request: Request, users: UserStub, limiter: LoginLimiter) -> LoginResponse:
    client = request.client.host if request.client else "unknown"
    verdict = await limiter.hit(client, body.email.strip().lower())
    if not verdict.allowed:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "Too many login attempts, try again later",
                            headers={"Retry-After": str(verdict.retry_after)})
    answer = await users.Login(user_pb2.LoginRequest(email=body.email, password=body.password))
    return LoginResponse(**TokenPair.from_proto(answer.tokens).model_dump(), user=UserPublic.from_proto(answer.user))


@router.post("/refresh", responses=error_responses(401))
async def refresh(body: RefreshRequest, users: UserStub) -> TokenPair:
    answer = await users.RefreshToken(user_pb2.RefreshTokenRequest(refresh_token=body.refresh_token))
    return TokenPair.from_proto(answer.tokens)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(401))
async def logout(body: RefreshRequest, users: UserStub) -> Response:
    """Revokes the session (refresh-token family) of this refresh token; holding it is the proof."""
    await users.Logout(user_pb2.LogoutRequest(refresh_token=body.refresh_token))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/logout-all", responses=error_responses(401))
async def logout_all(_: CurrentPrincipal, users: UserStub) -> LogoutAllResponse:
    answer = await users.LogoutAll(user_pb2.LogoutAllRequest())
    return LogoutAllResponse(revoked_sessions=answer.revoked_sessions)


@router.post("/change-password", responses=error_responses(401))
async def change_password(body: ChangePasswordRequest, _: CurrentPrincipal, users: UserStub) -> Message:
    """Every session is revoked: the caller logs in again with the new password."""
    await users.ChangePassword(user_pb2.ChangePasswordRequest(
        old_password=body.old_password, new_password=body.new_password))
    return Message(message="Password changed")


@router.get("/me", responses=error_responses(401))
async def me(_: CurrentPrincipal, users: UserStub) -> Me:
    answer = await users.GetMe(user_pb2.GetMeRequest())
    return Me(**UserPublic.from_proto(answer.user).model_dump(), permissions=list(answer.permissions))

