/** Products at the counter: lookup by barcode (or SKU) and search by name, from the POS catalogue replica. */
import { pos } from "./api.js";

export const catalogue = {
  /** The product with ``code`` as its barcode, or ``null`` when there is none. */
  async lookup(code) {
    try {
      return await pos.get("/catalogue/barcode/" + encodeURIComponent(code));
    } catch (err) {
      if (err.status === 404) return null;
      throw err;
    }
  },

  /** Products whose name, SKU or barcode contains ``text``. */
  async search(text, signal) {
    return await pos.get("/catalogue?q=" + encodeURIComponent(text), signal);
  },
};
