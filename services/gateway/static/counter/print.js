/** Printing at the counter: the POS service's print views (receipt on 58/80 mm, Z report) open in a window of
 *  their own that prints itself; a refund receipt is printed from the page's print area. */
import { $ } from "./ui.js";

/** Open ``url`` (a print view) in a new window and print it once it has loaded. */
export function printView(url) {
  const win = window.open(url, "sentra-print");
  if (!win) return false;
  const started = Date.now();
  const poll = setInterval(() => {
    try {
      if (win.closed || Date.now() - started > 15000) return clearInterval(poll);
      if (win.location.href !== "about:blank" && win.document.readyState === "complete") {
        clearInterval(poll);
        win.focus();
        win.print();
      }
    } catch (err) {
      clearInterval(poll);
    }
  }, 150);
  return true;
}

/** The receipt of ``receiptNo`` on the register's paper width. */
export function printReceipt(receiptNo, paper) {
  return printView(`/api/pos/receipts/${encodeURIComponent(receiptNo)}?width=${paper === 80 ? 80 : 58}`);
}

/** Print ``node`` alone (the stylesheet hides the rest of the page when printing). */
export function printNode(node) {
  const area = $("print-area");
  area.textContent = "";
  area.append(node);
  document.body.classList.add("printing-area");
  window.addEventListener("afterprint", () => document.body.classList.remove("printing-area"), { once: true });
  window.print();
}
