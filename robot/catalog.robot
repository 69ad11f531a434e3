*** Settings ***
Documentation     The catalog and its stock as a new back-office user meets them: the admin files a product
...               under a new category, anyone reads and finds it, the admin edits and deletes it, and the
...               inventory keeps a ledger of every change. Each test makes its own products.
Resource          depot.resource
Suite Setup       Log In As Admin

*** Test Cases ***
A New Product Is Public And Found Despite A Typo
    ${category}=    New Category
    ${product}=    New Product    name=Espresso Grinder    price=129.90    category=${category}[name]    initialQuantity=${20}
    Should Be Equal    ${product}[category]    ${category}[name]
    Should Be Equal    ${product}[price]    129.90
    Should Be True    ${product}[inStock]
    ${read}=    GET    /products/${product}[id]
    Should Be Equal    ${read}    ${product}
    ${found}=    GET    /products    params=${{ {"search": "espreso", "category": $category["id"]} }}
    Should Be Equal As Integers    ${found}[total]    1
    Should Be Equal    ${found}[data][0][id]    ${product}[id]

A Partial PUT Changes Only The Fields Sent
    ${product}=    New Product    name=Desk Lamp    price=19.99
    ${updated}=    PUT    /products/${product}[id]    ${{ {"price": "24.50"} }}    token=${ADMIN}
    Should Be Equal    ${updated}[price]    24.50
    Should Be Equal    ${updated}[name]    Desk Lamp
    Should Be Equal    ${updated}[sku]    ${product}[sku]
    Should Be Equal As Integers    ${updated}[version]    2

An Unchanged Product Answers 304 To Its ETag
    ${product}=    New Product
    GET    /products/${product}[id]
    ${etag}=    Last Response Header    ETag
    Should Be Equal    ${etag}    "1"
    GET    /products/${product}[id]    headers=${{ {"If-None-Match": $etag} }}    expected_status=304
    PUT    /products/${product}[id]    ${{ {"name": "Renamed Widget"} }}    token=${ADMIN}
    ${changed}=    GET    /products/${product}[id]    headers=${{ {"If-None-Match": $etag} }}
    Should Be Equal    ${changed}[name]    Renamed Widget
    Should Be Equal As Integers    ${changed}[version]    2

A Duplicate SKU Is A Conflict
    ${product}=    New Product
    ${error}=    POST    /products    ${{ {"sku": $product["sku"], "name": "Again", "price": "2.00"} }}
    ...    expected_status=409    token=${ADMIN}
    Should Be Equal    ${error}[message]    Product with this SKU already exists

A Deleted Product Is Gone
    ${product}=    New Product
    DELETE    /products/${product}[id]    token=${ADMIN}
    ${error}=    GET    /products/${product}[id]    expected_status=404
    Should Be Equal    ${error}[message]    Product not found

The Inventory Starts With The Initial Quantity
    ${product}=    New Product    initialQuantity=${20}
    ${stock}=    GET    /inventory/${product}[id]    token=${ADMIN}
    Should Be Equal    ${stock}[sku]    ${product}[sku]
    Stock Should Be    ${product}[id]    quantity=20    reserved=0    available=20    reorderLevel=10

Adjustments Answer The Previous And The New Quantity
    ${product}=    New Product    initialQuantity=${20}
    ${received}=    Adjust Stock    ${product}[id]    RECEIVED    5
    Should Be Equal    ${{ ($received["type"], $received["previousQuantity"], $received["newQuantity"]) }}    ${{ ("RECEIVED", 20, 25) }}
    ${sold}=    Adjust Stock    ${product}[id]    SOLD    7
    Should Be Equal    ${{ ($sold["type"], $sold["previousQuantity"], $sold["newQuantity"]) }}    ${{ ("SOLD", 25, 18) }}
    Stock Should Be    ${product}[id]    quantity=18    available=18

Selling More Than Is On Hand Is Refused And Changes Nothing
    ${product}=    New Product    initialQuantity=${5}
    ${error}=    Adjust Stock    ${product}[id]    SOLD    6    expected_status=409
    Should Be Equal    ${error}[message]    Insufficient stock
    Stock Should Be    ${product}[id]    quantity=5

The History Lists Every Movement Newest First
    ${product}=    New Product    initialQuantity=${20}
    Adjust Stock    ${product}[id]    RECEIVED    5
    Adjust Stock    ${product}[id]    SOLD    7
    ${history}=    GET    /inventory/${product}[id]/history    token=${ADMIN}
    ${movements}=    Evaluate    [(m["type"], m["quantity"], m["previousQuantity"], m["newQuantity"]) for m in $history["data"]]
    Should Be Equal    ${movements}    ${{ [("SOLD", 7, 25, 18), ("RECEIVED", 5, 20, 25), ("RECEIVED", 20, 0, 20)] }}
