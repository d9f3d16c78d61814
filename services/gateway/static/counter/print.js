/** Printing at the counter, the one place that decides where a print goes.
 *
 *  When the register has an ESC/POS network printer enabled (a manager sets it through the POS API), the receipt
 *  and the Z report go to it through the POS service (``POST …/print``); the cash drawer opens only for the receipt
 *  of the sale just paid in cash, never on a reprint. Otherwise, and when the printer fails (its message is shown),
 *  the POS service's print views (receipt on 58/80 mm, Z report) open in a window of their own that prints itself.
 *  A refund receipt and an offline receipt are printed from the page's print area. */
import { pos } from "./api.js";
import { t } from "./i18n.js";
import { $, notice, showError } from "./ui.js";

/** The network printer of the selected register (``{enabled, host, port, paper_width}``), or ``null``. */
let networkPrinter = null;

const printerKey = registerId => `sentra.counter.${registerId}.printer`;

/** Load the network printer of ``registerId`` (kept in localStorage for a start without the server). */
export async function loadPrinter(registerId) {
  networkPrinter = null;
  if (!registerId) return null;
  try {
    networkPrinter = await pos.get(`/registers/${encodeURIComponent(registerId)}/printer`);
    localStorage.setItem(printerKey(registerId), JSON.stringify(networkPrinter));
  } catch (err) {
    networkPrinter = JSON.parse(localStorage.getItem(printerKey(registerId)) || "null");
  }
  return networkPrinter;
}

/** The selected register's network printer when it is enabled, else ``null``. */
export function enabledPrinter() {
  return networkPrinter && networkPrinter.enabled ? networkPrinter : null;
}

/** Send a print to the network printer through ``path`` (a POS print endpoint); ``false`` when it failed. */
async function printOnNetwork(path, body) {
  try {
    await pos.post(path, body);
    notice(t("print.sent"));
    return true;
  } catch (err) {
    showError(err);
    return false;
  }
}

/** The network-printer endpoint of a POS print view ``url``, or ``null`` for a view it cannot print. */
function networkPath(url) {
  const receipt = url.match(/^\/api\/pos\/receipts\/([^/?]+)(\?|$)/);
  if (receipt) return `/receipts/${receipt[1]}/print`;
  const z = url.match(/^\/api\/pos\/shifts\/([^/?]+)\/z-report\/print$/);
  if (z) return `/shifts/${z[1]}/z-report/print`;
  return null;
}

/** Open ``url`` (a print view) in a new window and print it once it has loaded. */
function openPrintWindow(url) {
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

/** Print the POS print view ``url``: on the register's network printer when it has one enabled (``reprint``
 *  false lets a cash receipt open the drawer), else — or when the printer fails — in the browser. */
export async function printView(url, { reprint = true } = {}) {
  const path = networkPath(url);
  if (path && enabledPrinter() && (await printOnNetwork(path, path.startsWith("/receipts/") ? { reprint } : undefined))) {
    return true;
  }
  return openPrintWindow(url);
}

/** The receipt of ``receiptNo`` on the register's paper width; ``reprint`` false only for the sale just paid. */
export function printReceipt(receiptNo, paper, { reprint = true } = {}) {
  return printView(`/api/pos/receipts/${encodeURIComponent(receiptNo)}?width=${paper === 80 ? 80 : 58}`, { reprint });
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
