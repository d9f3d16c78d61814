/** The counter's words in the page's language: the gateway renders them (from its message catalogue) into the
 *  ``#counter-strings`` JSON block, so the translations live in one place, the .po files. */
import { rupiah } from "./money.js";

const block = document.getElementById("counter-strings");
const data = block ? JSON.parse(block.textContent) : { strings: {}, problems: {}, statuses: {} };

export const lang = document.documentElement.lang || "id";

/** The sentence ``key`` with ``{name}`` placeholders filled from ``params``. */
export function t(key, params = {}) {
  let text = data.strings[key] ?? key;
  for (const [name, value] of Object.entries(params)) text = text.split(`{${name}}`).join(String(value));
  return text;
}

/** Integer rupiah in the page's language. */
export function money(amount) {
  return rupiah(amount, lang);
}

/** The sentence for a problem answer: by its ``code``, else by its HTTP status, else a general one. */
export function problemSentence(status, code) {
  if (code && data.problems[code]) return data.problems[code];
  if ([502, 503, 504].includes(status)) return data.problems.service_unreachable;
  return data.statuses[String(status)] || data.unknown || t("error.unknown");
}
