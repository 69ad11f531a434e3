*** Settings ***
Documentation     Reports: the back office asks for one (report:create), the report service generates it a
...               moment later from the events it has read, and it is downloaded as a file; customers may
...               neither ask for nor read reports.
Resource          depot.resource
Suite Setup       Log In As Admin

*** Test Cases ***
A Stock Report Is Generated And Downloaded
    ${report}=    POST    /reports    ${{ {"type": "STOCK", "format": "JSON"} }}    expected_status=202    token=${ADMIN}
    Should Be Equal    ${report}[status]    PENDING
    Wait Until Keyword Succeeds    ${EVENT_TIMEOUT}    0.2s    Report Should Be Ready    ${report}[id]
    ${file}=    GET    /reports/${report}[id]/download    token=${ADMIN}
    Should Be Equal    ${file}[type]    STOCK
    Dictionary Should Contain Key    ${file}[summary]    outOfStock
    ${disposition}=    Last Response Header    content-disposition
    Should Start With    ${disposition}    attachment; filename="stock-report-

Reports Are The Back Office's
    ${customer}=    New Customer
    POST    /reports    ${{ {"type": "SALES"} }}    expected_status=403    token=${customer}
    GET    /reports    expected_status=403    token=${customer}
    GET    /report-schedules    expected_status=403    token=${customer}
    GET    /reports    expected_status=401

*** Keywords ***
Report Should Be Ready
    [Arguments]    ${report_id}
    ${report}=    GET    /reports/${report_id}    token=${ADMIN}
    Should Be Equal    ${report}[status]    READY
