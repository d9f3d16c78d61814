/** The outlet's favourites grid: items without a label (crafts, loose snacks) that a manager chose, as buttons the
 *  cashier clicks (or Alt+1 … Alt+9). The grid's product ids are kept in this browser; each button shows the
 *  product as the local catalogue has it now (name, price, sellable), so the grid works offline. */
import { pos } from "./api.js";
import { catalogue } from "./catalogue.js";
import { money, t } from "./i18n.js";
import { $, el } from "./ui.js";

const KEY = "sentra.counter.favourites.";

export function setupFavourites({ onProduct, onMessage }) {
  let products = [];
  let outletId = "";

  function render() {
    const grid = $("favourites-grid");
    grid.textContent = "";
    products.forEach((product, index) => {
      const shortcut = index < 9 ? `Alt+${index + 1}` : null;
      grid.append(el("button", {
        type: "button", class: "favourite secondary", "data-product": product.product_id,
        "aria-keyshortcuts": shortcut,
        onclick: () => add(index),
      }, el("span", { class: "favourite-name", text: product.name }), el("span", { class: "favourite-price", text: money(product.price) }),
         shortcut ? el("kbd", { text: shortcut }) : ""));
    });
    $("favourites").hidden = products.length === 0;
  }

  /** The saved grid, each product as the local catalogue has it (a product it lacks keeps the grid's copy). */
  function fromSaved(saved) {
    return saved.map(product => catalogue.get(product.product_id) || product);
  }

  async function load(outlet) {
    outletId = outlet;
    const saved = JSON.parse(localStorage.getItem(KEY + outletId) || "[]");
    products = fromSaved(saved);
    render();
    try {
      const fresh = await pos.get(`/outlets/${encodeURIComponent(outletId)}/favourites`);
      localStorage.setItem(KEY + outletId, JSON.stringify(fresh));
      if (outlet === outletId) { products = fromSaved(fresh); render(); }
    } catch (err) { /* offline: the saved grid stays */ }
  }

  function add(index) {
    const product = products[index];
    if (!product) return;
    const current = catalogue.get(product.product_id) || product;
    if (!current.sellable) return onMessage(t("scan.unsellable", { name: current.name }));
    onProduct(current, 1);
  }

  return { load, add, refresh: () => { products = fromSaved(products); render(); } };
}
