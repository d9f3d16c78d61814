/** Refunds at the counter: find the sale by its receipt number (typed or scanned), pick lines and quantities,
 *  a reason, back to stock or not, the refund method and a manager's approval; then print the refund receipt. */
import { money, t } from "./i18n.js";
import { pos, uuid } from "./api.js";
import { printNode } from "./print.js";
import { $, el, fieldError, openDialog } from "./ui.js";

export function setupRefund(counter) {
  let sale = null;
  let attempt = null;

  function open() {
    sale = null;
    $("refund-receipt").value = "";
    $("refund-form").hidden = true;
    fieldError("refund-error", null);
    openDialog("refund-dialog", "refund-receipt");
  }

  $("refund-find").addEventListener("submit", async event => {
    event.preventDefault();
    fieldError("refund-error", null);
    const receiptNo = $("refund-receipt").value.trim();
    if (!receiptNo) return;
    try {
      const [found] = await pos.get(`/sales?receipt_no=${encodeURIComponent(receiptNo)}`);
      if (!found) {
        $("refund-form").hidden = true;
        return fieldError("refund-error", t("refund.not_found", { receipt: receiptNo }));
      }
      sale = found;
      attempt = null;
      const body = $("refund-lines");
      body.textContent = "";
      sale.lines.forEach((line, index) => {
        const left = line.qty - (line.refunded_qty || 0);
        body.append(el("tr", {},
          el("td", { text: line.name }),
          el("td", { class: "num", text: `${line.qty} × ${money(line.unit_price)}` }),
          el("td", { class: "num" }, el("input", { class: "qty", inputmode: "numeric", value: "0", "data-line": index,
            "aria-label": t("refund.qty_of", { name: line.name, left }), "data-max": left, disabled: left <= 0,
            onfocus: event => event.target.select() }))));
      });
      $("refund-form").hidden = false;
      const first = $("refund-lines").querySelector("input:not([disabled])");
      if (first) { first.focus(); first.select(); }
    } catch (err) {
      fieldError("refund-error", err);
    }
  });

  $("refund-form").addEventListener("submit", async event => {
    event.preventDefault();
    fieldError("refund-error", null);
    const lines = [];
    for (const input of $("refund-lines").querySelectorAll("input")) {
      const qty = parseInt(input.value, 10) || 0;
      if (qty > Number(input.dataset.max)) return fieldError("refund-error", t("refund.too_many"));
      if (qty > 0) lines.push({ sale_line_id: sale.lines[Number(input.dataset.line)].id, qty });
    }
    if (!lines.length) return fieldError("refund-error", t("refund.pick_lines"));
    const data = {
      receipt_no: sale.receipt_no, lines, reason: $("refund-reason").value.trim(), back_to_stock: $("refund-stock").checked,
      method: $("refund-method").value, register_id: counter.registerId,
      approval: { username: $("refund-username").value.trim(), pin: $("refund-pin").value.trim() },
    };
    const signature = JSON.stringify(data);
    if (!attempt || attempt.signature !== signature) attempt = { signature, key: uuid() };
    try {
      const refund = await pos.post("/refunds", data, { "Idempotency-Key": attempt.key });
      $("refund-pin").value = "";
      $("refund-dialog").close();
      counter.notice(t("refund.done", { amount: money(refund.total), receipt: refund.receipt_no }));
      printNode(refundReceipt(refund, sale));
    } catch (err) {
      fieldError("refund-error", err);
    }
  });

  return { open };
}

/** The refund receipt (printed from the page's print area). */
export function refundReceipt(refund, sale) {
  const names = Object.fromEntries(sale.lines.map(line => [line.id, line.name]));
  const lines = el("table", { class: "receipt-lines" });
  for (const line of refund.lines) {
    lines.append(el("tr", {}, el("td", { text: `${names[line.sale_line_id] || ""} × ${line.qty}` }), el("td", { class: "num", text: money(line.amount) })));
  }
  return el("div", { class: "receipt", id: "refund-receipt-print", "data-testid": "refund-receipt" },
    el("h2", { text: t("refund.receipt_title") }),
    el("p", { text: `${t("refund.of_receipt")} ${refund.receipt_no}` }),
    el("p", { text: new Date(refund.refunded_at).toLocaleString(document.documentElement.lang) }),
    lines,
    el("p", { class: "grand", text: `${t("refund.total")} ${money(refund.total)}` }),
    el("p", { text: `${t("refund.reason")}: ${refund.reason}` }),
    el("p", { text: refund.back_to_stock ? t("refund.to_stock") : t("refund.not_to_stock") }),
    ...refund.payments.map(p => el("p", { text: `${t("method." + p.method)} ${money(p.amount)}` })));
}
