/** Products at the counter, kept in this browser (IndexedDB) and in memory: loaded once, then kept current by
 *  the POS catalogue's delta feed (a cursor, not the whole list each time). Barcode lookup and name search are
 *  local and instant, online or not; a code the local copy lacks is asked of the server when it is reachable. */
import { pos } from "./api.js";

const DB_NAME = "sentra-counter";
const REFRESH_MS = 30_000;
/** Where the feed's cursor (a change number) is kept; the key changed with its form, so a copy kept under the
 *  former time-based cursor loads again from the start. */
const CURSOR = "seq";
const AS_OF = "as_of";
const byId = new Map();
const byCode = new Map();
let dbPromise = null;
/** This browser's copy read into memory (a scan right after a reload waits for it rather than miss). */
let loaded = null;
let ready = null;
/** When this browser's copy was last known current (the end of the last refresh that reached the server). */
let asOf = null;

function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore("products", { keyPath: "product_id" });
        request.result.createObjectStore("meta");
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return dbPromise;
}

function done(tx) {
  return new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onerror = () => reject(tx.error); });
}

function remember(product) {
  const old = byId.get(product.product_id);
  if (old && byCode.get(old.barcode) === old) byCode.delete(old.barcode);
  byId.set(product.product_id, product);
  const holder = byCode.get(product.barcode);
  if (!holder || product.sellable || !holder.sellable) byCode.set(product.barcode, product);
}

async function load() {
  const db = await openDb();
  const tx = db.transaction("products");
  const all = await new Promise(resolve => { const r = tx.objectStore("products").getAll(); r.onsuccess = () => resolve(r.result); });
  all.forEach(remember);
  asOf = await new Promise(resolve => {
    const r = db.transaction("meta").objectStore("meta").get(AS_OF);
    r.onsuccess = () => resolve(r.result || null);
  });
}

async function cursor() {
  const db = await openDb();
  return new Promise(resolve => { const r = db.transaction("meta").objectStore("meta").get(CURSOR); r.onsuccess = () => resolve(r.result || null); });
}

/** Ask the delta feed for what changed since the last time, page by page; ``false`` when the server is out of reach. */
export async function refresh() {
  try {
    const startedAt = new Date().toISOString();
    let after = await cursor();
    for (;;) {
      const page = await pos.get("/catalogue/changes?limit=1000" + (after ? "&after=" + encodeURIComponent(after) : ""));
      const db = await openDb();
      const tx = db.transaction(["products", "meta"], "readwrite");
      for (const product of page.items) { tx.objectStore("products").put(product); remember(product); }
      if (page.cursor) tx.objectStore("meta").put(page.cursor, CURSOR);
      await done(tx);
      after = page.cursor;
      if (!page.more) {
        asOf = startedAt;
        const meta = db.transaction("meta", "readwrite");
        meta.objectStore("meta").put(asOf, AS_OF);
        await done(meta);
        return true;
      }
    }
  } catch (err) {
    return false;
  }
}

export const catalogue = {
  /** Load the local copy, then bring it up to date (and keep doing so). */
  start() {
    if (!ready) {
      loaded = load().catch(() => undefined);
      ready = loaded.then(() => refresh());
      setInterval(refresh, REFRESH_MS);
    }
    return ready;
  },

  size: () => byId.size,

  /** When the prices held here were last known to be the server's (ISO time), ``null`` before the first refresh:
   *  a sale sends it as ``priced_at``, so a sale made offline keeps the price the counter charged even when the
   *  price changed on the server while the counter could not hear of it. */
  asOf: () => asOf,

  /** The product with ``productId`` as this browser has it, or ``undefined``. */
  get: productId => byId.get(productId),

  /** The product with ``code`` as its barcode (or SKU), or ``null`` when there is none. */
  async lookup(code) {
    await loaded;
    const local = byCode.get(code);
    if (local) return local;
    for (const product of byId.values()) if (product.sku === code) return product;
    try {
      const product = await pos.get("/catalogue/barcode/" + encodeURIComponent(code));
      remember(product);
      return product;
    } catch (err) {
      if (err.status === 404 || err.offline) return null;
      throw err;
    }
  },

  /** Products whose name, SKU or barcode contains ``text``, sellable first, by name (at most 20). */
  async search(text) {
    await loaded;
    const needle = text.trim().toLowerCase();
    if (!byId.size) return await pos.get("/catalogue?q=" + encodeURIComponent(text));
    const found = [];
    for (const product of byId.values()) {
      if (product.name.toLowerCase().includes(needle) || (product.sku || "").toLowerCase().includes(needle) ||
          (product.barcode || "").includes(needle)) found.push(product);
    }
    found.sort((a, b) => (b.sellable - a.sellable) || a.name.localeCompare(b.name));
    return found.slice(0, 20);
  },
};
