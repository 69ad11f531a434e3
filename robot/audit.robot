*** Settings ***
Documentation     Who did what: every change a client asks for, allowed or refused, lands in the audit log,
...               which the back office reads (audit:read) and customers cannot.
Resource          depot.resource
Suite Setup       Log In As Admin

*** Test Cases ***
A Refused Change Is In The Audit Log With Who Asked
    ${customer}=    New Customer
    ${me}=    GET    /auth/me    token=${customer}
    POST    /products    ${{ {"sku": "NOPE", "name": "No", "price": "1.00"} }}    expected_status=403    token=${customer}
    ${records}=    Wait Until Keyword Succeeds    ${EVENT_TIMEOUT}    0.5s    Audit Records Of    ${me}[id]    1
    Should Be Equal    ${records}[0][action]    POST /api/products
    Should Be Equal    ${records}[0][outcome]    DENIED
    Should Be Equal As Integers    ${records}[0][statusCode]    403

The Audit Log Is The Back Office's
    ${customer}=    New Customer
    GET    /audit-logs    expected_status=403    token=${customer}
    GET    /audit-logs    expected_status=401

*** Keywords ***
Audit Records Of
    [Documentation]    The audit records of a user, newest first, once there are `count` of them.
    [Arguments]    ${user_id}    ${count}
    ${page}=    GET    /audit-logs    token=${ADMIN}    params=${{ {"userId": $user_id} }}
    Length Should Be    ${page}[data]    ${count}
    RETURN    ${page}[data]
