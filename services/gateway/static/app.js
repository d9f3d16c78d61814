/* Sentra pages: calls to /api/... (the session cookie authenticates them), rupiah, tables, messages. */
"use strict";

const Sentra = (() => {
  class ApiError extends Error {
    constructor(status, problem) {
      const fields = problem && problem.errors ? Object.entries(problem.errors)
        .map(([name, msgs]) => `${name}: ${[].concat(msgs).map(m => typeof m === "string" ? m : JSON.stringify(m)).join(" ")}`) : [];
      super([(problem && (problem.detail || problem.title)) || `HTTP ${status}`, ...fields].join(" — "));
      this.status = status;
      this.problem = problem || {};
    }
  }

  async function api(method, path, body, headers) {
    const init = { method, credentials: "same-origin",
      headers: Object.assign({ "Accept": "application/json", "X-Requested-With": "sentra" }, headers || {}) };
    if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    let response;
    try { response = await fetch(path, init); }
    catch (err) { throw new ApiError(0, { detail: "Tidak ada koneksi ke server. Coba lagi." }); }
    if (response.status === 401) { window.location.href = "/login?next=" + encodeURIComponent(location.pathname); }
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (err) { data = { detail: text.slice(0, 200) }; }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  /** Integer rupiah as Rp1.250.000 (no decimals, dots between thousands). */
  function rupiah(amount) {
    if (amount === null || amount === undefined || amount === "") return "–";
    const n = Math.round(Number(amount));
    const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    return (n < 0 ? "-Rp" : "Rp") + digits;
  }

  function dateTime(iso) {
    if (!iso) return "–";
    const d = new Date(iso);
    if (isNaN(d)) return String(iso);
    return d.toLocaleString("id-ID", { timeZone: "Asia/Jakarta", dateStyle: "medium", timeStyle: iso.length > 10 ? "short" : undefined });
  }

  /** A list from a response that is either a list or an object holding one. */
  function items(data) {
    if (Array.isArray(data)) return data;
    if (data && typeof data === "object") {
      for (const key of ["items", "results", "data", "lines", "rows"]) if (Array.isArray(data[key])) return data[key];
    }
    return [];
  }

  function show(el, text, kind) {
    if (!el) return;
    el.textContent = text;
    el.hidden = !text;
    if (kind) el.className = kind;
  }

  function showError(err) { show(document.getElementById("message"), err ? (err.message || String(err)) : ""); }

  function notice(text) {
    const el = document.getElementById("notice");
    if (el) { show(el, text); setTimeout(() => { el.hidden = true; }, 5000); }
  }

  /** Fill ``container`` with a table of ``rows``; ``columns`` = [{key, label, format?}]. */
  function table(container, rows, columns, emptyText) {
    container.textContent = "";
    if (!rows.length) {
      if (!emptyText && emptyText !== undefined) return;
      const p = document.createElement("p"); p.className = "muted"; p.textContent = emptyText || "Belum ada data.";
      container.appendChild(p); return;
    }
    const t = document.createElement("table");
    const head = t.createTHead().insertRow();
    for (const c of columns) { const th = document.createElement("th"); th.textContent = c.label; if (c.num) th.className = "num"; head.appendChild(th); }
    const body = t.createTBody();
    for (const row of rows) {
      const tr = body.insertRow();
      for (const c of columns) {
        const td = tr.insertCell();
        if (c.num) td.className = "num";
        const value = typeof c.key === "function" ? c.key(row) : row[c.key];
        if (value instanceof Node) td.appendChild(value);
        else td.textContent = c.format ? c.format(value, row) : (value === null || value === undefined ? "–" : String(value));
      }
    }
    container.appendChild(t);
  }

  /** Load ``path`` into a table; a failure shows the problem's detail in place of the table. */
  async function loadTable(containerId, path, columns, emptyText) {
    const container = document.getElementById(containerId);
    try { const data = await api("GET", path); table(container, items(data), columns, emptyText); return items(data); }
    catch (err) {
      container.textContent = "";
      const p = document.createElement("p"); p.className = "error"; p.textContent = err.message; container.appendChild(p);
      return [];
    }
  }

  /** A random UUID (v4), also on plain-HTTP pages where crypto.randomUUID is unavailable. */
  function uuid() {
    if (window.crypto && crypto.randomUUID) { try { return crypto.randomUUID(); } catch (err) { /* insecure context */ } }
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, x => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** The form's non-empty fields as an object (``numeric`` names become integers). */
  function formData(form, numeric) {
    const out = {};
    for (const [key, value] of new FormData(form).entries()) {
      if (value === "") continue;
      out[key] = (numeric || []).includes(key) ? parseInt(value, 10) : value;
    }
    return out;
  }

  return { api, rupiah, dateTime, items, table, loadTable, showError, notice, uuid, formData, ApiError };
})();
