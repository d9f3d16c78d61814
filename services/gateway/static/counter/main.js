/** The counter page: register and shift, the cart (kept per register, survives a reload), parked sales, void,
 *  and the keyboard shortcuts; payment, shift, refund and scanning live in their own modules. */
import { addProduct, emptyCart, removeLine, setLineDiscount, setQty, setSaleDiscount, totals } from "./cart.js";
import { money, t } from "./i18n.js";
import { pos } from "./api.js";
import { catalogue } from "./catalogue.js";
import { setupCustomerDisplay } from "./customer.js";
import { setupFavourites } from "./favourites.js";
import { queue } from "./queue.js";
import { setupPayment } from "./payment.js";
import { enabledPrinter, loadPrinter, printNode, printReceipt } from "./print.js";
import { setupRefund } from "./refund.js";
import { setupScan } from "./scan.js";
import { setupShift } from "./shift.js";
import { store } from "./store.js";
import { $, amountIn, closeDialog, el, notice, openDialog, showError } from "./ui.js";

const display = setupCustomerDisplay();

const counter = {
  display,
  registerId: store.register(),
  shift: null,
  cart: emptyCart(),
  parked: [],
  settings: { paper: 58 },
  lastReceipt: null,

  message(text) { showError(text ? { message: text } : null); },
  notice,
  focusScan() { if (!document.querySelector("dialog[open]") && !$("counter").hidden) $("scan").focus(); },

  setCart(cart) {
    this.cart = cart;
    store.saveCart(this.registerId, cart);
    renderCart();
    display.cart(cart);
  },

  registerCode: "",

  /** Send a sale to the POS service; when the server is out of reach, a cash or card sale goes into the offline
   *  queue (same sale id and key) and is answered as done with its offline receipt number. */
  async sendSale(body, key) {
    try {
      return await pos.post("/sales", body, { "Idempotency-Key": key });
    } catch (err) {
      if (!err.offline || body.payments.some(p => p.method === "qris")) {
        if (err.offline) err.message = t("offline.no_qris");
        throw err;
      }
      const offlineNo = queue.add(body, key, this.registerCode);
      const change = body.payments.reduce((sum, p) => sum + (p.tendered ? p.tendered - p.amount : 0), 0);
      return { status: "completed", offline: true, receipt_no: offlineNo, change, total: totals(this.cart).total,
               lines: this.cart.lines, payments: body.payments };
    }
  },

  saleCompleted(sale) {
    this.setCart(emptyCart());
    display.paid(sale.total, sale.change);
    this.lastReceipt = sale.offline ? null : sale.receipt_no;
    $("receipt-no").textContent = sale.receipt_no;
    $("last-change").textContent = money(sale.change);
    $("last-sale").hidden = false;
    if (sale.offline) printNode(offlineReceipt(sale));
    else if (sale.receipt_no) printReceipt(sale.receipt_no, this.settings.paper, { reprint: false });
    this.focusScan();
  },

  waitingToSync: () => queue.waiting().length,

  saleVoided() {
    this.setCart(emptyCart());
    notice(t("void.done"));
    this.focusScan();
  },

  renderShift,
};

/** The receipt of a sale made offline, printed from the page. */
function offlineReceipt(sale) {
  const lines = el("table", { class: "receipt-lines" });
  for (const line of sale.lines) {
    lines.append(el("tr", {}, el("td", { text: `${line.name} × ${line.qty}` }),
      el("td", { class: "num", text: money(line.price * line.qty - (line.discount || 0)) })));
  }
  return el("div", { class: "receipt", "data-testid": "offline-receipt" },
    el("p", { text: sale.receipt_no }), el("p", { text: t("offline.receipt_note") }), lines,
    el("p", { class: "grand", text: `${t("refund.total")} ${money(sale.total)}` }),
    el("p", { text: `${t("pay.change")} ${money(sale.change)}` }));
}

// -- online, offline and the queue ---------------------------------------------------------------------------
function renderNetwork() {
  const online = navigator.onLine;
  const badge = $("net-badge");
  badge.textContent = online ? t("net.online") : t("net.offline");
  badge.className = "badge " + (online ? "tone-ok" : "tone-bad");
  const waiting = queue.waiting().length;
  $("queue-badge").textContent = t("net.waiting", { count: waiting });
  $("queue-badge").hidden = waiting === 0;
}
queue.onChange(renderNetwork);
window.addEventListener("online", () => { renderNetwork(); queue.sync(); catalogue.start(); });
window.addEventListener("offline", renderNetwork);
setInterval(() => { if (navigator.onLine && queue.waiting().length) queue.sync(); }, 5000);

// -- the cart ------------------------------------------------------------------------------------------------
function renderCart() {
  const focusedKey = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : null;
  const tbody = $("cart");
  tbody.textContent = "";
  counter.cart.lines.forEach((line, index) => {
    const qty = el("input", { class: "qty", inputmode: "numeric", value: String(line.qty), "data-key": `qty-${index}`,
                              "aria-label": t("cart.qty_of", { name: line.name }) });
    qty.addEventListener("change", () => counter.setCart(setQty(counter.cart, index, parseInt(qty.value, 10))));
    const discount = el("input", { class: "qty line-discount", inputmode: "numeric", value: String(line.discount || 0),
                                   "data-key": `discount-${index}`, "aria-label": t("cart.discount_of", { name: line.name }) });
    discount.addEventListener("change", () => counter.setCart(setLineDiscount(counter.cart, index, amountIn(discount) || 0)));
    const remove = el("button", { type: "button", class: "secondary", text: t("cart.remove"), "data-key": `remove-${index}`,
                                  "aria-label": t("cart.remove_item", { name: line.name }) });
    remove.addEventListener("click", () => { counter.setCart(removeLine(counter.cart, index)); counter.focusScan(); });
    tbody.append(el("tr", {},
      el("td", { text: line.name }),
      el("td", { class: "num", text: money(line.price) }),
      el("td", { class: "num" }, qty),
      el("td", { class: "num" }, discount),
      el("td", { class: "num", text: money(line.price * line.qty - (line.discount || 0)) }),
      el("td", {}, remove)));
  });
  const sums = totals(counter.cart);
  $("subtotal").textContent = money(sums.subtotal);
  $("discount-total").textContent = money(sums.discountTotal);
  $("total").textContent = money(sums.total);
  $("cart-empty").hidden = counter.cart.lines.length > 0;
  $("parked-count").textContent = String(counter.parked.length);
  if (focusedKey) {
    const again = tbody.querySelector(`[data-key="${focusedKey}"]`);
    if (again) again.focus();
  }
}

function addToCart(product, qty) {
  showError(null);
  $("last-sale").hidden = true;
  counter.setCart(addProduct(counter.cart, product, qty));
}

// -- register and shift ----------------------------------------------------------------------------------------
async function loadRegisters() {
  let registers;
  try {
    registers = await pos.get("/registers");
    localStorage.setItem("sentra.counter.registers", JSON.stringify(registers));
  } catch (err) {
    if (!err.offline) throw err;
    registers = JSON.parse(localStorage.getItem("sentra.counter.registers") || "[]");
  }
  counter.registers = registers;
  const select = $("register");
  select.textContent = "";
  for (const r of registers) select.add(new Option(`${r.code} · ${r.name}`, r.id));
  if (!registers.some(r => r.id === counter.registerId)) counter.registerId = registers.length ? registers[0].id : "";
  select.value = counter.registerId;
  if (!registers.length) $("shift-status").textContent = t("register.none");
}

function loadRegisterState() {
  const register = (counter.registers || []).find(r => r.id === counter.registerId);
  counter.registerCode = register ? register.code : "";
  counter.cart = store.cart(counter.registerId);
  display.cart(counter.cart);
  counter.parked = store.parked(counter.registerId);
  counter.settings = store.settings(counter.registerId);
  loadPrinter(counter.registerId);
  if (register) favourites.load(register.outlet_id);
  renderCart();
}

async function loadShift() {
  counter.shift = null;
  if (counter.registerId) {
    const saved = `sentra.counter.${counter.registerId}.shift`;
    try {
      counter.shift = await pos.get("/shifts/current?register_id=" + encodeURIComponent(counter.registerId));
      localStorage.setItem(saved, JSON.stringify(counter.shift));
    } catch (err) {
      if (err.offline) counter.shift = JSON.parse(localStorage.getItem(saved) || "null");
      else showError(err);
    }
  }
  renderShift();
}

function renderShift() {
  if (counter.registerId) localStorage.setItem(`sentra.counter.${counter.registerId}.shift`, JSON.stringify(counter.shift));
  const open = !!(counter.shift && counter.shift.id && counter.shift.status !== "closed");
  $("shift-status").textContent = open
    ? t("shift.open_status", { cashier: counter.shift.cashier_name || "", float: money(counter.shift.opening_float) })
    : t("shift.none");
  $("open-shift").hidden = open || !counter.registerId;
  $("counter").hidden = !open;
  if (open) counter.focusScan();
  else if (counter.registerId) $("opening-float").focus();
}

$("register").addEventListener("change", async event => {
  counter.registerId = event.target.value;
  store.setRegister(counter.registerId);
  loadRegisterState();
  await loadShift();
});

// -- park, resume, void, sale discount -----------------------------------------------------------------------
function park() {
  if (!counter.cart.lines.length) return counter.message(t("cart.empty"));
  counter.parked = [...counter.parked, { id: Date.now().toString(36), parked_at: new Date().toISOString(), cart: counter.cart }];
  store.saveParked(counter.registerId, counter.parked);
  counter.setCart(emptyCart());
  notice(t("park.done", { count: counter.parked.length }));
  counter.focusScan();
}

function showParked() {
  const list = $("parked-list");
  list.textContent = "";
  counter.parked.forEach((entry, index) => {
    const sums = totals(entry.cart);
    const time = new Date(entry.parked_at).toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
    list.append(el("li", {}, el("button", { type: "button", class: "secondary", "data-parked": index,
      text: t("park.entry", { time, items: sums.items, total: money(sums.total) }), onclick: () => resume(index) })));
  });
  $("parked-empty").hidden = counter.parked.length > 0;
  openDialog("parked-dialog", list.querySelector("button") || undefined);
}

function resume(index) {
  const entry = counter.parked[index];
  const rest = counter.parked.filter((_, i) => i !== index);
  // the sale on the counter, if any, takes the resumed one's place in the queue
  counter.parked = counter.cart.lines.length
    ? [...rest, { id: Date.now().toString(36), parked_at: new Date().toISOString(), cart: counter.cart }] : rest;
  store.saveParked(counter.registerId, counter.parked);
  closeDialog("parked-dialog");
  counter.setCart(entry.cart);
  counter.focusScan();
}

function askVoid() {
  if (!counter.cart.lines.length) return counter.message(t("cart.empty"));
  $("void-reason").value = t("void.default_reason");
  openDialog("void-dialog", "void-reason");
  $("void-reason").select();
}
$("void-form").addEventListener("submit", event => {
  event.preventDefault();
  closeDialog("void-dialog");
  counter.saleVoided();
});

function askDiscount() {
  if (!counter.cart.lines.length) return counter.message(t("cart.empty"));
  $("discount-amount").value = String(counter.cart.discount || 0);
  openDialog("discount-dialog", "discount-amount");
  $("discount-amount").select();
}
$("discount-form").addEventListener("submit", event => {
  event.preventDefault();
  counter.setCart(setSaleDiscount(counter.cart, amountIn("discount-amount") || 0));
  closeDialog("discount-dialog");
});

/** Where this register's receipts print: its network printer (set by a manager) or the browser. */
function printerSentence() {
  const printer = enabledPrinter();
  if (printer) return t("settings.printer", { host: printer.host, port: printer.port, paper: printer.paper_width });
  return t("settings.printer_none");
}

$("settings-button").addEventListener("click", () => {
  const form = $("settings-form");
  form.elements.paper.value = String(counter.settings.paper);
  $("settings-printer").textContent = printerSentence();
  openDialog("settings-dialog", form.querySelector("input:checked"));
});
$("settings-form").addEventListener("submit", event => {
  event.preventDefault();
  counter.settings = { ...counter.settings, paper: parseInt($("settings-form").elements.paper.value, 10) };
  store.saveSettings(counter.registerId, counter.settings);
  closeDialog("settings-dialog");
  notice(t("settings.saved"));
});

// -- wiring ---------------------------------------------------------------------------------------------------
const scanner = setupScan({
  onProduct: addToCart,
  onMessage: text => counter.message(text),
  onAdjustLast: delta => {
    const last = counter.cart.lines.length - 1;
    if (last < 0) return;
    const qty = counter.cart.lines[last].qty + delta;
    counter.setCart(qty < 1 ? removeLine(counter.cart, last) : setQty(counter.cart, last, qty));
  },
  onRemoveLast: () => {
    if (counter.cart.lines.length) counter.setCart(removeLine(counter.cart, counter.cart.lines.length - 1));
  },
});
const favourites = setupFavourites({ onProduct: addToCart, onMessage: text => counter.message(text) });
const payment = setupPayment(counter);
const shift = setupShift(counter);
const refund = setupRefund(counter);
counter.payment = payment;

/** Pay once the scans typed before F9 are in the cart. */
async function pay() {
  await scanner.idle();
  payment.open();
}
$("pay-button").addEventListener("click", pay);
$("display-button").addEventListener("click", () => display.open());
$("discount-button").addEventListener("click", askDiscount);
$("park-button").addEventListener("click", park);
$("resume-button").addEventListener("click", showParked);
$("void-button").addEventListener("click", askVoid);
$("refund-button").addEventListener("click", () => refund.open());
$("print-last").addEventListener("click", () => counter.lastReceipt && printReceipt(counter.lastReceipt, counter.settings.paper));
for (const dialog of document.querySelectorAll("dialog")) dialog.addEventListener("close", () => counter.focusScan());

const SHORTCUTS = {
  F2: () => counter.focusScan(),
  F9: pay,
  "Alt+k": askDiscount,
  "Alt+p": park,
  "Alt+l": showParked,
  "Alt+v": askVoid,
  "Alt+r": () => refund.open(),
  "Alt+x": () => shift.xReport(),
};
for (let n = 1; n <= 9; n += 1) SHORTCUTS[`Alt+${n}`] = () => { favourites.add(n - 1); counter.focusScan(); };
document.addEventListener("keydown", event => {
  if ($("counter").hidden) return;
  const name = (event.altKey ? "Alt+" : "") + (event.key.length === 1 ? event.key.toLowerCase() : event.key);
  const action = SHORTCUTS[name];
  if (action && (!document.querySelector("dialog[open]") || name === "F2")) {
    event.preventDefault();
    action();
  }
});

(async () => {
  renderNetwork();
  catalogue.start().then(() => { document.body.dataset.catalogueSize = String(catalogue.size()); favourites.refresh(); });
  queue.sync();
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/counter-sw.js", { scope: "/cashier" }).catch(() => undefined);
  try {
    await loadRegisters();
    loadRegisterState();
    await loadShift();
  } catch (err) {
    showError(err);
    $("shift-status").textContent = t("register.load_failed");
  }
})();

export { counter };
