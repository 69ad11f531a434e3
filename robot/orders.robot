*** Settings ***
Documentation     The reference flow and its detours: a customer orders, pays and the stock is committed at
...               once; the paid order gets a shipment, staff delivers it and the order follows; a declined
...               card leaves the order PENDING; cancelling gives the reserved stock back.
Resource          depot.resource
Suite Setup       Run Keywords    Log In As Admin    AND    Log In As Staff

*** Test Cases ***
The Reference Flow Commits The Stock As Soon As The Order Is Paid
    ${product}=    Stocked Product    quantity=100    price=99.99
    ${customer}=    New Customer
    ${order}=    Place Order    ${customer}    ${product}[id]    2
    Should Be Equal    ${order}[status]    PENDING
    Should Be Equal    ${order}[totalAmount]    199.98
    Should Be Equal    ${order}[items][0][unitPrice]    99.99
    Stock Should Be    ${product}[id]    quantity=100    reserved=2    available=98
    ${paid}=    Pay Order    ${customer}    ${order}[id]
    Should Be Equal    ${paid}[status]    PAID
    Should Be Equal    ${paid}[payment][last4]    1111
    Stock Should Be    ${product}[id]    quantity=98    reserved=0

A Paid Order Is Shipped And Delivered
    ${customer}    ${order}=    Paid Order
    ${shipment}=    Wait Until Keyword Succeeds    ${EVENT_TIMEOUT}    0.2s    Shipment Of Order    ${customer}    ${order}[id]
    Should Be Equal    ${shipment}[status]    LABEL_CREATED
    Should Be Equal    ${shipment}[shippingAddress][postalCode]    ${ADDRESS}[postalCode]
    ${delivered}=    Move Shipment    ${shipment}[id]    PICKED_UP    IN_TRANSIT    OUT_FOR_DELIVERY    DELIVERED
    Should Not Be Empty    ${delivered}[actualDelivery]
    Wait Until Keyword Succeeds    ${EVENT_TIMEOUT}    0.2s    Order Status Should Be    ${customer}    ${order}[id]    DELIVERED

A Declined Card Is A 402 And The Order Stays Pending
    ${product}=    Stocked Product
    ${customer}=    New Customer
    ${order}=    Place Order    ${customer}    ${product}[id]
    ${error}=    Pay Order    ${customer}    ${order}[id]    ${DECLINED_CARD}    expected_status=402
    Should Be Equal    ${error}[message]    Card declined
    Order Status Should Be    ${customer}    ${order}[id]    PENDING
    Stock Should Be    ${product}[id]    quantity=100    reserved=1

Cancelling A Pending Order Releases Its Stock
    ${product}=    Stocked Product    quantity=10
    ${customer}=    New Customer
    ${order}=    Place Order    ${customer}    ${product}[id]    4
    Stock Should Be    ${product}[id]    available=6
    ${cancelled}=    POST    /orders/${order}[id]/cancel    ${{ {"reason": "Changed my mind"} }}    token=${customer}
    Should Be Equal    ${cancelled}[status]    CANCELLED
    Stock Should Be    ${product}[id]    quantity=10    reserved=0    available=10
