/** The customer's display, counter side: what the customer should see (the cart and its total, the QRIS code while
 *  it waits, the change once paid) is posted on a ``BroadcastChannel`` to the display window (``/cashier/display``,
 *  opened by the cashier) — same browser, no server round trip. A display opened later says ``hello`` and gets the
 *  current state at once. */
import { totals } from "./cart.js";

export const CHANNEL = "sentra-counter-display";

/** What the display shows for ``cart``: its lines (name, quantity, amount) and total, or nothing when empty. */
export function cartState(cart) {
  if (!cart.lines.length) return { kind: "idle" };
  return {
    kind: "cart",
    lines: cart.lines.map(line => ({ name: line.name, qty: line.qty, amount: line.price * line.qty - (line.discount || 0) })),
    total: totals(cart).total,
  };
}

export function setupCustomerDisplay() {
  const channel = "BroadcastChannel" in window ? new BroadcastChannel(CHANNEL) : null;
  let current = { kind: "idle" };
  let cart = { kind: "idle" };

  function post(state) {
    current = state;
    if (channel) channel.postMessage(state);
  }
  if (channel) channel.onmessage = event => { if (event.data && event.data.kind === "hello") channel.postMessage(current); };

  return {
    cart(next) { cart = cartState(next); post(cart); },
    qris(amount, src) { post({ ...cart, kind: "qris", qris: { amount, src } }); },
    paid(total, change) { post({ kind: "paid", total, change }); },
    /** Open the display window. It is opened without an opener, in a browsing context group of its own: the
     *  receipt's print dialog on the counter never freezes it (the channel still reaches it). */
    open() {
      window.open("/cashier/display", "_blank", "popup,noopener,width=900,height=700");
    },
  };
}
