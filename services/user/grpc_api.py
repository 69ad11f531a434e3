"""UserService over gRPC: proto → service call → proto. Errors are mapped by the shared interceptor."""

from depot.user.v1 import user_pb2, user_pb2_grpc

from libs.context import current_principal
from libs.grpc_server import AUTHENTICATED, PUBLIC, ServiceBinding
from libs.paging import page_info
from libs.timestamps import to_timestamp
from services.user.models import Role, User
from services.user.service import TokenPair, UserService

ACCESS = {
    "Register": PUBLIC,
    "Login": PUBLIC,
    "RefreshToken": PUBLIC,
    "Logout": PUBLIC,
    "LogoutAll": AUTHENTICATED,
    "ChangePassword": AUTHENTICATED,
    "GetMe": AUTHENTICATED,
    "ListUsers": "user:read",
    "GetUser": "user:read",
    "UpdateUser": "user:update",
    "DeactivateUser": "user:delete",
    "AssignRoles": "role:manage",
    "ListRoles": "role:read",
    "CreateRole": "role:manage",
}


class UserServicer(user_pb2_grpc.UserServiceServicer):
    def __init__(self, service: UserService):
        self._service = service

    async def Register(self, request, context):
        user = await self._service.register(email=request.email, username=request.username,
                                            password=request.password, first_name=request.first_name,
                                            last_name=request.last_name)
        return user_pb2.RegisterResponse(user=user_message(user))

    async def Login(self, request, context):
        tokens, user = await self._service.login(email=request.email, password=request.password)
        return user_pb2.LoginResponse(tokens=tokens_message(tokens), user=user_message(user))

    async def RefreshToken(self, request, context):
        return user_pb2.RefreshTokenResponse(tokens=tokens_message(await self._service.refresh(request.refresh_token)))

    async def Logout(self, request, context):
        await self._service.logout(request.refresh_token)
        return user_pb2.LogoutResponse()

    async def LogoutAll(self, request, context):
        return user_pb2.LogoutAllResponse(revoked_sessions=await self._service.logout_all(current_principal().user_id))

    async def ChangePassword(self, request, context):
        await self._service.change_password(current_principal().user_id, old_password=request.old_password,
                                            new_password=request.new_password)
        return user_pb2.ChangePasswordResponse()

    async def GetMe(self, request, context):
        user = await self._service.get_user(current_principal().user_id)
        return user_pb2.GetMeResponse(user=user_message(user), permissions=user.permissions)

    async def ListUsers(self, request, context):
        found = await self._service.list_users(page=request.page.page, page_size=request.page.page_size,
                                               search=request.search, role=request.role)
        return user_pb2.ListUsersResponse(
            users=[user_message(user) for user in found.items],
            page_info=page_info(found.page, found.page_size, found.total),
        )

    async def GetUser(self, request, context):
        return user_pb2.GetUserResponse(user=user_message(await self._service.get_user(request.id)))

    async def UpdateUser(self, request, context):
        changes = {name: getattr(request, name) for name in ("first_name", "last_name", "username", "is_active")
                   if request.HasField(name)}
        user = await self._service.update_user(current_principal().user_id, request.id, **changes)
        return user_pb2.UpdateUserResponse(user=user_message(user))

    async def DeactivateUser(self, request, context):
        user = await self._service.deactivate_user(current_principal().user_id, request.id)
        return user_pb2.DeactivateUserResponse(user=user_message(user))

    async def AssignRoles(self, request, context):
        user = await self._service.assign_roles(current_principal().user_id, request.user_id, list(request.roles))
        return user_pb2.AssignRolesResponse(user=user_message(user))

    async def ListRoles(self, request, context):
        return user_pb2.ListRolesResponse(roles=[role_message(role) for role in await self._service.list_roles()])

    async def CreateRole(self, request, context):
        role = await self._service.create_role(name=request.name, description=request.description,
                                               permissions=list(request.permissions))
        return user_pb2.CreateRoleResponse(role=role_message(role))


def binding(service: UserService) -> ServiceBinding:
    return ServiceBinding(
        descriptor=user_pb2.DESCRIPTOR.services_by_name["UserService"],
        servicer=UserServicer(service),
        add_to_server=user_pb2_grpc.add_UserServiceServicer_to_server,
        access=ACCESS,
    )


def user_message(user: User) -> user_pb2.User:
    return user_pb2.User(
        id=str(user.id), email=user.email, username=user.username, first_name=user.first_name,
        last_name=user.last_name, roles=user.role_names, is_active=user.is_active,
        created_at=to_timestamp(user.created_at), updated_at=to_timestamp(user.updated_at),
        last_login_at=to_timestamp(user.last_login_at),
    )


def role_message(role: Role) -> user_pb2.Role:
    return user_pb2.Role(name=role.name, description=role.description, permissions=role.permissions)


def tokens_message(tokens: TokenPair) -> user_pb2.TokenPair:
    return user_pb2.TokenPair(access_token=tokens.access_token, refresh_token=tokens.refresh_token,
                              expires_in=tokens.expires_in, token_type=tokens.token_type)
