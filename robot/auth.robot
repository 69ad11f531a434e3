*** Settings ***
Documentation     Registration, login, profile and token refresh through a running gateway.
...               Each test makes its own account, so they run in any order.
Resource          depot.resource

*** Test Cases ***
Register Answers The Public Fields Of The New User
    ${user}=    Register
    Should Be Equal    ${user}[email]    ${user}[username]@example.com
    Should Be Equal    ${user}[roles]    ${{ ["customer"] }}
    Dictionary Should Not Contain Key    ${user}    password

Login Answers A Token Pair And The User
    ${name}    ${tokens}=    Register And Log In
    Should Be Equal    ${tokens}[tokenType]    Bearer
    Should Be Equal    ${tokens}[user][username]    ${name}
    Should Not Be Empty    ${tokens}[accessToken]
    Should Not Be Empty    ${tokens}[refreshToken]

Me Answers The Caller And Its Permissions
    ${name}    ${tokens}=    Register And Log In
    ${me}=    GET    /auth/me    token=${tokens}[accessToken]
    Should Be Equal    ${me}[username]    ${name}
    List Should Contain Value    ${me}[permissions]    order:create

Me Without A Token Is Refused
    ${error}=    GET    /auth/me    expected_status=401
    Should Be Equal    ${error}[message]    No token provided

Refresh Rotates The Refresh Token
    ${name}    ${tokens}=    Register And Log In
    ${pair}=    POST    /auth/refresh    ${{ {"refreshToken": "${tokens}[refreshToken]"} }}
    Should Not Be Equal    ${pair}[refreshToken]    ${tokens}[refreshToken]
    ${me}=    GET    /auth/me    token=${pair}[accessToken]
    Should Be Equal    ${me}[username]    ${name}
    POST    /auth/refresh    ${{ {"refreshToken": "${tokens}[refreshToken]"} }}    expected_status=401

Bad Registration Is A 400 Naming Each Problem
    ${error}=    POST    /auth/register    ${{ {"email": "not-an-email", "username": "ab", "password": "weak"} }}    expected_status=400
    Should Be Equal    ${error}[message]    ${{ ["Email is invalid", "Username must be at least 3 characters", "Password is too weak"] }}
    Should Be Equal    ${error}[details][0][field]    email
