"""Problem ``code``s of the inventory service: the machine-readable reason a 4xx problem+json carries next to
its ``title`` and ``detail``. Clients branch on these, so a code never changes its spelling."""

#: The supplier's registration has not reached inventory (no replica).
UNKNOWN_SUPPLIER = "unknown_supplier"
#: The supplier's agreement has ended: no new products.
SUPPLIER_ENDED = "supplier_ended"
#: A product with the client-made id exists already.
PRODUCT_EXISTS = "product_exists"
#: Another product has this barcode (compared as GTIN-14).
BARCODE_TAKEN = "barcode_taken"
#: Another product has this SKU.
SKU_TAKEN = "sku_taken"
#: A concurrent create took the SKU or barcode between the check and the insert.
PRODUCT_CREATED_CONCURRENTLY = "product_created_concurrently"
#: A named product does not exist.
UNKNOWN_PRODUCT = "unknown_product"
#: A named lot does not exist here, or belongs to another product or supplier.
UNKNOWN_LOT = "unknown_lot"
#: Some items of a label sheet are invalid (see ``errors.items``).
INVALID_LABEL_ITEMS = "invalid_label_items"
#: Some lines of an intake are invalid (see ``errors.lines``).
INVALID_INTAKE_LINES = "invalid_intake_lines"
#: An intake with the client-made id exists already.
INTAKE_EXISTS = "intake_exists"
#: More is asked to leave the shelf (write-off, return) than is on hand.
INSUFFICIENT_STOCK = "insufficient_stock"
#: Some counted lines are invalid (see ``errors.lines``).
INVALID_COUNT_LINES = "invalid_count_lines"
#: The count session is approved or cancelled: nothing more can be entered, approved or cancelled.
COUNT_NOT_OPEN = "count_not_open"
#: Some lines of a return to supplier are invalid (see ``errors.lines``).
INVALID_RETURN_LINES = "invalid_return_lines"
#: A product names a category that does not exist or is retired.
UNKNOWN_CATEGORY = "unknown_category"
#: Another category already has this name.
CATEGORY_NAME_TAKEN = "category_name_taken"
#: Some lines of an announced delivery, or of what arrived of it, are invalid (see ``errors.lines``).
INVALID_DELIVERY_LINES = "invalid_delivery_lines"
#: The announced delivery was received or cancelled already: it cannot be received or cancelled again.
DELIVERY_NOT_ANNOUNCED = "delivery_not_announced"
#: Every line of the delivery was received as 0: there is no intake to record.
NOTHING_RECEIVED = "nothing_received"
#: The supplier is suspended or their consignment has ended: they cannot announce a delivery.
SUPPLIER_NOT_ACTIVE = "supplier_not_active"
#: A manager cancelling a delivery must say why.
CANCEL_REASON_REQUIRED = "cancel_reason_required"
