/** The customer's display window (``/cashier/display``): shows what the counter page posts on the
 *  ``BroadcastChannel`` of {@link CHANNEL} — the cart and its total, the QRIS code while it waits, the change. */
import { CHANNEL } from "./customer.js";
import { money, t } from "./i18n.js";

const $ = id => document.getElementById(id);
const waiting = $("display-status").textContent;

function render(state) {
  const lines = state.lines || [];
  $("display-total").textContent = money(state.total || 0);
  $("display-status").textContent = state.kind === "idle" ? waiting : "";
  $("display-lines-table").hidden = !lines.length || state.kind === "paid";
  const body = $("display-lines");
  body.textContent = "";
  for (const line of lines) {
    const row = body.insertRow();
    row.insertCell().textContent = line.name;
    Object.assign(row.insertCell(), { className: "num", textContent: String(line.qty) });
    Object.assign(row.insertCell(), { className: "num", textContent: money(line.amount) });
  }
  const qris = state.kind === "qris" ? state.qris : null;
  $("display-qris").hidden = !qris;
  const image = $("display-qris-image");
  if (qris) {
    if (image.getAttribute("src") !== qris.src) image.src = qris.src;
    image.alt = t("display.qris_alt", { amount: money(qris.amount) });
  }
  $("display-paid").hidden = state.kind !== "paid";
  if (state.kind === "paid") $("display-change").textContent = money(state.change || 0);
  document.body.dataset.state = state.kind;
}

const channel = new BroadcastChannel(CHANNEL);
channel.onmessage = event => render(event.data || { kind: "idle" });
channel.postMessage({ kind: "hello" });
