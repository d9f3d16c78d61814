/** Cart rules of the counter: pure functions on a plain, JSON-serialisable cart (integer rupiah).
 *  A cart is ``{lines: [{product_id, barcode, sku, name, price, qty, discount}], discount}``; every function
 *  returns a new cart and leaves its argument unchanged. The server prices the sale again (its figures win);
 *  these give the cashier the same figures before paying. */

export function emptyCart() {
  return { lines: [], discount: 0 };
}

function gross(line) {
  return line.price * line.qty;
}

/** Add ``qty`` of ``product``: a product already in the cart gets more quantity (a second scan). */
export function addProduct(cart, product, qty = 1) {
  const lines = cart.lines.map(line => ({ ...line }));
  const existing = lines.find(line => line.product_id === product.product_id);
  if (existing) existing.qty += qty;
  else lines.push({ product_id: product.product_id, barcode: product.barcode, sku: product.sku, name: product.name,
                    price: product.price, qty, discount: 0 });
  return clampSaleDiscount({ ...cart, lines });
}

/** The line at ``index`` with quantity ``qty`` (at least 1; its discount is kept within its amount). */
export function setQty(cart, index, qty) {
  const n = Math.max(1, Math.floor(Number(qty) || 1));
  const lines = cart.lines.map((line, i) => (i === index ? { ...line, qty: n, discount: Math.min(line.discount, line.price * n) } : line));
  return clampSaleDiscount({ ...cart, lines });
}

/** The line at ``index`` with a discount of ``amount`` rupiah (between 0 and the line's amount). */
export function setLineDiscount(cart, index, amount) {
  const lines = cart.lines.map((line, i) =>
    i === index ? { ...line, discount: Math.min(Math.max(0, Math.floor(Number(amount) || 0)), gross(line)) } : line);
  return clampSaleDiscount({ ...cart, lines });
}

/** A discount on the whole sale (between 0 and what the lines come to after their own discounts). */
export function setSaleDiscount(cart, amount) {
  return clampSaleDiscount({ ...cart, discount: Math.max(0, Math.floor(Number(amount) || 0)) });
}

export function removeLine(cart, index) {
  return clampSaleDiscount({ ...cart, lines: cart.lines.filter((_, i) => i !== index) });
}

function clampSaleDiscount(cart) {
  const net = cart.lines.reduce((sum, line) => sum + gross(line) - line.discount, 0);
  return { ...cart, discount: Math.min(cart.discount || 0, net) };
}

/** ``{items, subtotal, lineDiscounts, saleDiscount, discountTotal, total}`` of the cart. */
export function totals(cart) {
  const subtotal = cart.lines.reduce((sum, line) => sum + gross(line), 0);
  const lineDiscounts = cart.lines.reduce((sum, line) => sum + line.discount, 0);
  const saleDiscount = cart.discount || 0;
  const items = cart.lines.reduce((sum, line) => sum + line.qty, 0);
  return { items, subtotal, lineDiscounts, saleDiscount, discountTotal: lineDiscounts + saleDiscount,
           total: subtotal - lineDiscounts - saleDiscount };
}

/** The cart's lines as the POS checkout takes them, each with the price the customer is charged (a sale sent
 *  later, after a price change, is still recorded at it). */
export function saleLines(cart) {
  return cart.lines.map(line => ({ product_id: line.product_id, qty: line.qty, discount: line.discount,
                                   unit_price: line.price }));
}

/** Payments entered so far against ``total``: ``{paid, remaining, change}`` (cash above its amount is change). */
export function paymentState(total, payments) {
  const paid = payments.reduce((sum, p) => sum + p.amount, 0);
  const change = payments.reduce((sum, p) => sum + (p.method === "cash" && p.tendered ? p.tendered - p.amount : 0), 0);
  return { paid, remaining: Math.max(0, total - paid), change };
}

/** A payment of ``method`` for at most ``remaining``: cash may be tendered above it (the rest is change). */
export function makePayment(method, remaining, entered, extra = {}) {
  if (method === "cash") {
    const tendered = entered ?? remaining;
    return { method, amount: Math.min(tendered, remaining), tendered, ...extra };
  }
  return { method, amount: Math.min(entered ?? remaining, remaining), ...extra };
}
