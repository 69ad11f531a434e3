"""The user service: users, roles and permissions, passwords, access and refresh tokens."""
