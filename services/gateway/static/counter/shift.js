/** The shift at the counter: open with the float, cash in / out with a reason, the X report at any time, close
 *  with the counted cash (optionally counted by notes and coins), a confirmation with the variance, and the
 *  Z report printed from the page; reprint any receipt of the shift. */
import { money, t } from "./i18n.js";
import { countDenominations, DENOMINATIONS } from "./money.js";
import { pos } from "./api.js";
import { printNode, printReceipt, printView } from "./print.js";
import { $, amountIn, closeDialog, el, fieldError, openDialog } from "./ui.js";

/** The figures of an X or Z report as a definition list. */
export function reportNode(report) {
  const rows = [
    [t("report.cashier"), report.cashier_name],
    [t("report.opening_float"), money(report.opening_float)],
    [t("report.sales_count"), String(report.sales.count)],
    [t("report.sales_net"), money(report.sales.net)],
    [t("report.discounts"), money(report.sales.discounts)],
    ...Object.entries(report.payments_by_method || {}).map(([m, amount]) => [t("method." + m), money(amount)]),
    [t("report.refunds"), money(report.refunds.total)],
    [t("report.cash_in"), money(report.cash_movements.in)],
    [t("report.cash_out"), money(report.cash_movements.out)],
    [t("report.expected_cash"), money(report.expected_cash)],
  ];
  if (report.counted_cash !== undefined && report.counted_cash !== null) {
    rows.push([t("report.counted_cash"), money(report.counted_cash)], [t("report.variance"), money(report.variance)]);
  }
  const list = el("dl", { class: "facts report" });
  for (const [label, value] of rows) list.append(el("dt", { text: label }), el("dd", { text: value }));
  return list;
}

export function setupShift(counter) {
  let report = null;
  let closing = null;

  // denominations: one field per note / coin, their sum fills the counted cash
  const fields = $("denomination-fields");
  for (const value of DENOMINATIONS) {
    fields.append(el("label", {}, money(value),
      el("input", { inputmode: "numeric", "data-denomination": value, "aria-label": t("close.count_of", { value: money(value) }) })));
  }
  fields.addEventListener("input", () => {
    const counts = {};
    for (const input of fields.querySelectorAll("input")) counts[input.dataset.denomination] = input.value;
    $("counted-cash").value = String(countDenominations(counts));
  });

  $("open-shift").addEventListener("submit", async event => {
    event.preventDefault();
    counter.message(null);
    try {
      counter.shift = await pos.post("/shifts", { register_id: counter.registerId, opening_float: amountIn("opening-float") || 0 });
      counter.renderShift();
    } catch (err) {
      counter.message(err.message);
    }
  });

  function cashDialog(kind) {
    $("cash-heading").textContent = kind === "in" ? t("cash.in_title") : t("cash.out_title");
    $("cash-form").dataset.kind = kind;
    $("cash-amount").value = "";
    $("cash-reason").value = "";
    fieldError("cash-error", null);
    openDialog("cash-dialog", "cash-amount");
  }
  $("cash-in-button").addEventListener("click", () => cashDialog("in"));
  $("cash-out-button").addEventListener("click", () => cashDialog("out"));
  $("cash-form").addEventListener("submit", async event => {
    event.preventDefault();
    const amount = amountIn("cash-amount");
    if (!amount) return fieldError("cash-error", t("pay.need_amount"));
    try {
      await pos.post(`/shifts/${counter.shift.id}/cash-movements`,
        { kind: $("cash-form").dataset.kind, amount, reason: $("cash-reason").value.trim() });
      closeDialog("cash-dialog");
      counter.notice(t("cash.saved", { amount: money(amount) }));
    } catch (err) {
      fieldError("cash-error", err);
    }
  });

  function showReport(title, figures, printUrl) {
    report = { figures, printUrl };
    $("report-heading").textContent = title;
    const body = $("report-body");
    body.textContent = "";
    body.append(reportNode(figures));
    openDialog("report-dialog", "report-print");
  }
  $("report-print").addEventListener("click", () => {
    if (report.printUrl) printView(report.printUrl);
    else printNode(el("div", {}, el("h2", { text: $("report-heading").textContent }), reportNode(report.figures)));
  });

  async function xReport() {
    if (!counter.shift) return;
    try {
      showReport(t("report.x_title"), await pos.get(`/shifts/${counter.shift.id}/x-report`), null);
    } catch (err) {
      counter.message(err.message);
    }
  }
  $("x-report-button").addEventListener("click", xReport);

  $("close-button").addEventListener("click", () => {
    if (counter.waitingToSync && counter.waitingToSync() > 0) return counter.message(t("close.sales_waiting"));
    closing = null;
    $("close-count").hidden = false;
    $("close-confirm").hidden = true;
    $("close-submit").textContent = t("close.continue");
    $("counted-cash").value = "";
    for (const input of fields.querySelectorAll("input")) input.value = "";
    fieldError("close-error", null);
    openDialog("close-dialog", "counted-cash");
  });

  $("close-form").addEventListener("submit", async event => {
    event.preventDefault();
    fieldError("close-error", null);
    const shiftId = counter.shift.id;
    if (!closing) {
      const counted = amountIn("counted-cash");
      if (counted === null) return fieldError("close-error", t("pay.need_amount"));
      try {
        const x = await pos.get(`/shifts/${shiftId}/x-report`);
        closing = { counted };
        $("close-expected").textContent = money(x.expected_cash);
        $("close-counted").textContent = money(counted);
        $("close-variance").textContent = money(counted - x.expected_cash);
        $("close-count").hidden = true;
        $("close-confirm").hidden = false;
        $("close-submit").textContent = t("close.confirm");
        $("close-submit").focus();
      } catch (err) {
        fieldError("close-error", err);
      }
      return;
    }
    try {
      const z = await pos.post(`/shifts/${shiftId}/close`, { counted_cash: closing.counted });
      closeDialog("close-dialog");
      counter.shift = null;
      counter.renderShift();
      showReport(t("report.z_title"), z, `/api/pos/shifts/${shiftId}/z-report/print`);
    } catch (err) {
      fieldError("close-error", err);
    }
  });

  $("reprint-button").addEventListener("click", async () => {
    const list = $("reprint-list");
    list.textContent = "";
    try {
      const sales = await pos.get(`/sales?shift_id=${counter.shift.id}`);
      for (const sale of sales) {
        const time = new Date(sale.completed_at).toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
        list.append(el("li", {}, el("button", { type: "button", class: "secondary", "data-receipt": sale.receipt_no,
          text: `${sale.receipt_no} · ${time} · ${money(sale.total)}`, onclick: () => printReceipt(sale.receipt_no, counter.settings.paper) })));
      }
      $("reprint-empty").hidden = sales.length > 0;
      openDialog("reprint-dialog", list.querySelector("button") || undefined);
    } catch (err) {
      counter.message(err.message);
    }
  });

  return { xReport };
}
