/** Small DOM helpers of the counter: elements, messages, dialogs, amounts typed by the cashier. */
import { parseRupiah } from "./money.js";

export const $ = id => document.getElementById(id);

function show(el, text) {
  el.textContent = text || "";
  el.hidden = !text;
}

/** The page's error line (``role=alert``); ``null`` clears it. */
export function showError(err) {
  show($("message"), err ? err.message || String(err) : "");
}

/** A short success message (``role=status``), gone after a few seconds. */
export function notice(text) {
  const el = $("notice");
  show(el, text);
  clearTimeout(notice.timer);
  notice.timer = setTimeout(() => show(el, ""), 6000);
}

/** An error line inside a dialog. */
export function fieldError(id, err) {
  show($(id), err ? err.message || String(err) : "");
}

/** Open ``dialog`` modally and put the focus on ``focus`` (an element or an id). */
export function openDialog(dialog, focus) {
  if (typeof dialog === "string") dialog = $(dialog);
  if (!dialog.open) dialog.showModal();
  const target = typeof focus === "string" ? $(focus) : focus;
  if (target) target.focus();
  return dialog;
}

export function closeDialog(dialog) {
  if (typeof dialog === "string") dialog = $(dialog);
  if (dialog.open) dialog.close();
}

/** Integer rupiah typed into ``input`` (``50.000`` and ``50000`` alike), or ``null``. */
export function amountIn(input) {
  return parseRupiah((typeof input === "string" ? $(input) : input).value);
}

/** An element with text and attributes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) node.append(child);
  return node;
}

document.addEventListener("click", event => {
  const button = event.target.closest("[data-close]");
  if (button) button.closest("dialog").close();
});
