/** The scan field: a scanner (or the cashier) types a code and Enter adds the item at once; typing a name or
 *  SKU lists matching products (a combobox: arrow keys move, Enter picks, Esc closes). ``3*code`` adds three. */
import { catalogue } from "./catalogue.js";
import { money, t } from "./i18n.js";
import { $, el } from "./ui.js";

const SEARCH_DELAY_MS = 120;

export function setupScan({ onProduct, onMessage, onAdjustLast, onRemoveLast }) {
  const input = $("scan");
  const list = $("search-results");
  let results = [];
  /** The text the listed results were found for (typing goes on while a search is under way). */
  let resultsFor = "";
  let active = -1;
  let timer = null;
  let generation = 0;

  function close() {
    results = [];
    resultsFor = "";
    active = -1;
    list.textContent = "";
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function highlight(index) {
    active = index;
    [...list.children].forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", `search-option-${index}`);
      list.children[index].scrollIntoView({ block: "nearest" });
    } else input.removeAttribute("aria-activedescendant");
  }

  function render(found, text) {
    results = found;
    resultsFor = text;
    list.textContent = "";
    found.forEach((product, index) => {
      const option = el("li", { id: `search-option-${index}`, role: "option", "aria-selected": "false",
                                class: product.sellable === false ? "unsellable" : "" },
        el("span", { text: product.name }), el("span", { class: "muted", text: ` ${product.sku || ""} · ${money(product.price)}` }));
      option.addEventListener("mousedown", event => event.preventDefault());
      option.addEventListener("click", () => pick(product));
      list.append(option);
    });
    list.hidden = !found.length;
    input.setAttribute("aria-expanded", String(found.length > 0));
    highlight(found.length ? 0 : -1);
  }

  function reset() {
    generation += 1;
    clearTimeout(timer);
    input.value = "";
    close();
    input.focus();
  }

  function pick(product, qty = 1) {
    reset();
    add(product, qty);
  }

  input.addEventListener("input", () => {
    const text = input.value.trim().replace(/^\d{1,3}\*/, "");
    clearTimeout(timer);
    const mine = ++generation;
    if (text.length < 2) return close();
    timer = setTimeout(async () => {
      try {
        const found = await catalogue.search(text);
        if (mine === generation) render(found.slice(0, 20), text);
      } catch (err) {
        if (mine === generation) close();
      }
    }, SEARCH_DELAY_MS);
  });

  input.addEventListener("keydown", event => {
    if (event.key === "ArrowDown" && results.length) {
      event.preventDefault();
      highlight((active + 1) % results.length);
    } else if (event.key === "ArrowUp" && results.length) {
      event.preventDefault();
      highlight((active - 1 + results.length) % results.length);
    } else if (event.key === "Escape" && (results.length || input.value)) {
      event.preventDefault();
      reset();
    } else if (!input.value && (event.key === "+" || event.key === "-")) {
      event.preventDefault();
      onAdjustLast(event.key === "+" ? 1 : -1);
    } else if (!input.value && event.key === "Delete") {
      event.preventDefault();
      onRemoveLast();
    }
  });

  // Scans are handled one after the other in the order they came: the field is cleared at once, so a scanner's
  // next code types into an empty field while the previous one is still being looked up.
  let queue = Promise.resolve();

  async function handle(code, qty, fallback) {
    try {
      const product = await catalogue.lookup(code);
      if (product) return add(product, qty);
      if (fallback) return add(fallback, qty);
      onMessage(t("scan.unknown", { code }));
    } catch (err) {
      onMessage(err.message);
    }
  }

  function add(product, qty) {
    if (product.sellable === false) onMessage(t("scan.unsellable", { name: product.name }));
    else onProduct(product, qty);
  }

  $("scan-form").addEventListener("submit", event => {
    event.preventDefault();
    const raw = input.value.trim();
    if (!raw) return;
    const match = raw.match(/^(\d{1,3})\*(.+)$/);
    const qty = match ? Math.max(1, parseInt(match[1], 10)) : 1;
    const code = match ? match[2].trim() : raw;
    const chosen = active >= 0 ? results[active] : null;
    const chosenForCode = resultsFor === code ? chosen : null;
    reset();
    if (chosen && !/^\d{6,}$/.test(code)) return add(chosen, qty);
    // A code the catalogue does not know falls back on the highlighted product only when the list was found for
    // this very code: a scanner types faster than the search, and a list found for its first digits ("000")
    // must not turn an unknown barcode into a sale of another product.
    queue = queue.then(() => handle(code, qty, chosenForCode));
  });

  /** Resolves once every scan so far has been handled (paying waits for it). */
  const idle = () => queue;

  return { focus: () => input.focus(), reset, idle };
}
