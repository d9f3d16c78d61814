/** Money rules of the counter, pure functions on integer rupiah (no DOM, unit-testable). */

/** ``1250000`` → ``Rp1.250.000`` (Bahasa Indonesia) or ``Rp1,250,000`` (English), like the server's pages. */
export function rupiah(amount, lang = "id") {
  if (amount === null || amount === undefined || amount === "" || Number.isNaN(Number(amount))) return "–";
  const n = Math.round(Number(amount));
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, lang === "en" ? "," : ".");
  return (n < 0 ? "-Rp" : "Rp") + digits;
}

/** What a cashier typed as an amount (``50.000``, ``Rp50000``, ``50000``) as integer rupiah; ``null`` when empty. */
export function parseRupiah(text) {
  const digits = String(text ?? "").replace(/[^0-9]/g, "");
  return digits ? parseInt(digits, 10) : null;
}

const NOTES = [20_000, 50_000, 100_000];
const ROUND_STEPS = [5_000, 10_000, 50_000, 100_000];

/** Quick cash amounts for ``due``: the exact amount, then the next round amounts and the usual notes above it,
 *  ascending, without repeats (at most ``limit``). */
export function quickAmounts(due, limit = 6) {
  if (!(due > 0)) return [];
  const above = new Set();
  for (const step of ROUND_STEPS) {
    const next = Math.ceil(due / step) * step;
    if (next > due) above.add(next);
  }
  for (const note of NOTES) if (note > due) above.add(note);
  return [due, ...[...above].sort((a, b) => a - b)].slice(0, limit);
}

/** Change for cash ``tendered`` against ``due`` (never negative). */
export function change(tendered, due) {
  return Math.max(0, (tendered || 0) - (due || 0));
}

/** The total of ``counts`` ({denomination: how many}) in rupiah. */
export function countDenominations(counts) {
  return Object.entries(counts).reduce((sum, [value, n]) => sum + Number(value) * (parseInt(n, 10) || 0), 0);
}

/** Rupiah notes and coins in use, largest first (for counting the drawer). */
export const DENOMINATIONS = [100_000, 50_000, 20_000, 10_000, 5_000, 2_000, 1_000, 500, 200, 100];
