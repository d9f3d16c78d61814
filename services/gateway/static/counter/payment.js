/** Paying: cash (quick amounts, change shown large), QRIS (QR on screen, completes by itself when the provider
 *  confirms, manual confirm, expiry with a new QR or another method), card with the EDC approval code, e-wallet or
 *  transfer with a reference, split across methods until the total is covered. A discount above the outlet's
 *  limit asks for a manager's approval and sends the sale again with it. */
import { askApproval } from "./approval.js";
import { makePayment, paymentState, saleLines, totals } from "./cart.js";
import { money, t } from "./i18n.js";
import { quickAmounts } from "./money.js";
import { pos, uuid } from "./api.js";
import { catalogue } from "./catalogue.js";
import { $, amountIn, el, fieldError, openDialog } from "./ui.js";

const POLL_MS = 1500;
const APPROVAL_CODES = ["approval_required", "approval_invalid", "approval_locked"];

export function setupPayment(counter) {
  const dialog = $("pay-dialog");
  const form = $("pay-form");
  let state = null;

  const method = () => form.elements.method.value;
  const figures = () => paymentState(state.total, state.payments);

  function renderMethod() {
    const m = method();
    $("pay-amount-label").textContent = m === "cash" ? t("pay.cash_received") : t("pay.amount");
    $("pay-code-field").hidden = m !== "card";
    $("pay-ref-field").hidden = !["ewallet", "transfer"].includes(m);
    $("quick-amounts").hidden = m !== "cash";
    $("pay-amount").value = String(figures().remaining);
    renderChange();
  }

  function renderChange() {
    const { remaining, change } = figures();
    const entered = amountIn("pay-amount");
    const pending = method() === "cash" && entered !== null ? Math.max(0, entered - remaining) : 0;
    $("pay-change").textContent = money(change + pending);
  }

  function render() {
    const { paid, remaining } = figures();
    $("pay-total").textContent = money(state.total);
    $("pay-paid").textContent = money(paid);
    $("pay-remaining").textContent = money(remaining);
    const list = $("pay-list");
    list.textContent = "";
    state.payments.forEach((payment, index) => {
      const label = `${t("method." + payment.method)} ${money(payment.amount)}` +
        (payment.tendered && payment.tendered !== payment.amount ? ` (${t("pay.tendered")} ${money(payment.tendered)})` : "");
      list.append(el("li", {}, label, " ", el("button", { type: "button", class: "secondary", text: t("pay.remove"),
        "aria-label": t("pay.remove") + " " + label, onclick: () => { state.payments.splice(index, 1); render(); focusAmount(); } })));
    });
    const quick = $("quick-amounts");
    quick.textContent = "";
    quickAmounts(remaining).forEach((amount, index) => {
      quick.append(el("button", { type: "button", class: "secondary", "data-amount": amount,
        text: index === 0 ? `${t("pay.exact")} ${money(amount)}` : money(amount),
        onclick: () => { $("pay-amount").value = String(amount); form.requestSubmit(); } }));
    });
    renderMethod();
  }

  function focusAmount() {
    const input = $("pay-amount");
    input.focus();
    input.select();
  }

  function open() {
    if (state && state.sale) return openDialog(dialog);
    const cart = counter.cart;
    if (!cart.lines.length) return counter.message(t("cart.empty"));
    state = { total: totals(cart).total, payments: [], saleId: uuid(), pricedAt: catalogue.asOf() || new Date().toISOString(),
              attempt: null, sale: null, poll: null };
    form.hidden = false;
    $("qris-panel").hidden = true;
    form.elements.method.value = "cash";
    $("pay-code").value = "";
    $("pay-ref").value = "";
    fieldError("pay-error", null);
    render();
    openDialog(dialog);
    focusAmount();
  }

  form.addEventListener("change", event => {
    if (event.target.name === "method") { renderMethod(); fieldError("pay-error", null); }
  });
  $("pay-amount").addEventListener("input", renderChange);
  $("pay-cancel").addEventListener("click", () => dialog.close());
  dialog.addEventListener("cancel", event => {
    if (state && state.sale) event.preventDefault(); // a QRIS is waiting: confirm, switch or void it
  });
  dialog.addEventListener("close", () => {
    // The browser fires "close" a frame later: a fast next sale may have opened the dialog again by then.
    if (dialog.open) return;
    if (state && !state.sale) state = null;
    counter.focusScan();
  });

  form.addEventListener("submit", async event => {
    event.preventDefault();
    fieldError("pay-error", null);
    const { remaining } = figures();
    if (remaining > 0) {
      const m = method();
      const entered = amountIn("pay-amount");
      const extra = {};
      if (m === "card") {
        const code = $("pay-code").value.trim();
        if (!code) return fail(t("pay.need_code"), "pay-code");
        extra.approval_code = code;
      }
      if (m === "ewallet" || m === "transfer") {
        const reference = $("pay-ref").value.trim();
        if (!reference) return fail(t("pay.need_reference"), "pay-ref");
        extra.reference = reference;
      }
      if (!entered) return fail(t("pay.need_amount"), "pay-amount");
      state.payments.push(makePayment(m, remaining, entered, extra));
      $("pay-code").value = "";
      $("pay-ref").value = "";
      render();
      if (figures().remaining > 0) return focusAmount();
    }
    await checkout(null);
  });

  function fail(text, focusId) {
    fieldError("pay-error", text);
    if (focusId) $(focusId).focus();
  }

  function body(approval) {
    const cart = counter.cart;
    const data = { sale_id: state.saleId, register_id: counter.registerId, lines: saleLines(cart),
                   discount: cart.discount || 0, payments: state.payments, priced_at: state.pricedAt };
    if (approval) data.approval = approval;
    return data;
  }

  /** One Idempotency-Key per attempt: the same body sent again (a lost answer) reuses it. */
  function keyFor(data) {
    const signature = JSON.stringify(data);
    if (!state.attempt || state.attempt.signature !== signature) state.attempt = { signature, key: uuid() };
    return state.attempt.key;
  }

  async function checkout(approval) {
    const data = body(approval);
    const submit = $("pay-submit");
    submit.disabled = true;
    try {
      const sale = await counter.sendSale(data, keyFor(data));
      if (!sale) return; // kept to send later (offline)
      await settled(sale);
    } catch (err) {
      if (APPROVAL_CODES.includes(err.code)) {
        const answer = await askApproval(t("approval.discount", { amount: money(totals(counter.cart).discountTotal) }),
                                         err.code === "approval_required" ? null : err);
        if (answer) return checkout(answer);
        fail(t("approval.cancelled"));
      } else {
        state.payments = [];
        render();
        fail(err.message, "pay-amount");
      }
    } finally {
      submit.disabled = false;
    }
  }

  async function settled(sale) {
    if (sale.status === "completed") return done(sale);
    if (sale.status === "voided") { stopPolling(); state = null; dialog.close(); return counter.saleVoided(); }
    state.sale = sale;
    showQris(sale);
  }

  function done(sale) {
    stopPolling();
    state = null;
    dialog.close();
    counter.saleCompleted(sale);
  }

  // -- QRIS ---------------------------------------------------------------------------------------------------
  const qrisPayment = sale => sale.payments.find(p => p.method === "qris" && ["pending", "expired"].includes(p.status));

  function showQris(sale) {
    const payment = qrisPayment(sale);
    form.hidden = true;
    $("qris-panel").hidden = false;
    if (!payment) return;
    const src = "/api/pos" + payment.qr_image_url;
    if ($("qris-image").getAttribute("src") !== src) $("qris-image").src = src;
    counter.display.qris(payment.amount, src);
    renderQrisStatus(payment);
    startPolling();
    if (!dialog.contains(document.activeElement) || form.contains(document.activeElement)) $("qris-confirm").focus();
  }

  function renderQrisStatus(payment) {
    const expired = payment.status === "expired" || (payment.expires_at && new Date(payment.expires_at) < new Date());
    const seconds = payment.expires_at ? Math.max(0, Math.round((new Date(payment.expires_at) - new Date()) / 1000)) : null;
    $("qris-status").textContent = expired ? t("qris.expired")
      : t("qris.waiting", { amount: money(payment.amount), minutes: Math.floor(seconds / 60), seconds: String(seconds % 60).padStart(2, "0") });
    $("qris-confirm").disabled = expired;
  }

  function startPolling() {
    stopPolling();
    state.poll = setInterval(async () => {
      if (!state || !state.sale) return stopPolling();
      try {
        const sale = await pos.get(`/sales/${state.sale.id}`);
        if (!state || !state.sale) return;
        if (sale.status !== "pending_payment") return settled(sale);
        state.sale = sale;
        const payment = qrisPayment(sale);
        if (payment) renderQrisStatus(payment);
      } catch (err) { /* the next poll tries again */ }
    }, POLL_MS);
  }

  function stopPolling() {
    if (state && state.poll) clearInterval(state.poll);
    if (state) state.poll = null;
  }

  async function qrisAction(path, data) {
    fieldError("pay-error", null);
    const payment = qrisPayment(state.sale);
    try {
      const sale = await pos.post(`/sales/${state.sale.id}/payments/${payment.id}/${path}`, data);
      await settled(sale);
    } catch (err) {
      $("qris-status").textContent = err.message;
    }
  }

  $("qris-confirm").addEventListener("click", () => qrisAction("confirm", {}));
  $("qris-retry").addEventListener("click", () => qrisAction("retry", undefined));
  $("qris-switch").addEventListener("click", () => {
    const m = $("qris-switch-method").value;
    const code = $("qris-switch-code").value.trim();
    const data = { method: m };
    if (m === "card") { if (!code) return ($("qris-status").textContent = t("pay.need_code")); data.approval_code = code; }
    if (m === "ewallet" || m === "transfer") {
      if (!code) return ($("qris-status").textContent = t("pay.need_reference"));
      data.reference = code;
    }
    qrisAction("switch", data);
  });
  $("qris-void").addEventListener("click", async () => {
    try {
      await pos.post(`/sales/${state.sale.id}/void`, { reason: t("void.default_reason") });
      stopPolling();
      state = null;
      dialog.close();
      counter.saleVoided();
    } catch (err) {
      $("qris-status").textContent = err.message;
    }
  });

  return { open, pendingSale: () => (state && state.sale ? state.sale : null) };
}
