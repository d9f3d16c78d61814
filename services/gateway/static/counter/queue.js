/** Sales made while the server is out of reach: kept in this browser in the order they were made, each with the
 *  sale id and Idempotency-Key given in the browser, and sent by themselves when the server answers again.
 *
 *  A sale sent again after a lost answer carries the same key and body (and the same ``sale_id``), so the POS
 *  service records it once. The customer's offline receipt is numbered ``OFFLINE-<register>-<first 8 characters
 *  of the sale id>``; the gapless receipt number is given by the server when the sale arrives, and both point
 *  to the same sale id. */
import { pos } from "./api.js";

const KEY = "sentra.counter.queue";
const SYNCED = "sentra.counter.synced";
const listeners = new Set();
let syncing = null;

function read(key) {
  try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (err) { return []; }
}
function write(key, value) {
  localStorage.setItem(key, JSON.stringify(value));
  listeners.forEach(listener => listener());
}

async function sendInOrder() {
  for (;;) {
    const [next] = read(KEY);
    if (!next) return true;
    try {
      const sale = await pos.post("/sales", next.body, { "Idempotency-Key": next.key });
      write(SYNCED, [...read(SYNCED), { offline_no: next.offline_no, sale_id: sale.id, receipt_no: sale.receipt_no }].slice(-200));
    } catch (err) {
      if (err.offline || err.status >= 500 || err.code === "idempotency_in_flight") return false;
      // refused for good (e.g. the product can no longer be sold): kept with the reason, for the manager
      write(SYNCED, [...read(SYNCED), { offline_no: next.offline_no, sale_id: next.body.sale_id, body: next.body, failed: err.message }].slice(-200));
    }
    write(KEY, read(KEY).filter(entry => entry.key !== next.key));
  }
}

export const queue = {
  onChange(listener) { listeners.add(listener); },

  /** Sales waiting to be sent. */
  waiting: () => read(KEY),

  /** Keep a sale to send later; answers its offline receipt number. */
  add(body, key, registerCode) {
    const offlineNo = `OFFLINE-${registerCode}-${body.sale_id.slice(0, 8).toUpperCase()}`;
    write(KEY, [...read(KEY), { body, key, offline_no: offlineNo, queued_at: new Date().toISOString() }]);
    return offlineNo;
  },

  /** Send the waiting sales in order; stops at the first one the server does not answer (tries again later). */
  sync() {
    if (!syncing) syncing = sendInOrder().finally(() => { syncing = null; });
    return syncing;
  },

  /** What became of the offline sales sent so far: ``[{offline_no, sale_id, receipt_no | failed}]``. */
  synced: () => read(SYNCED),
};
