/* The manager's overview: PIN lock-outs (an alert, refreshed every minute), stock and alerts, failed events (dead
   letters), users. Its words come translated
   from the page (#page-texts); suppliers, products, intakes and payouts have their own server-rendered pages. */
"use strict";
(() => {
  const { api, dateTime, items, loadTable, showError, notice, formData } = Sentra;
  const $ = id => document.getElementById(id);
  const T = JSON.parse($("page-texts").textContent);
  let products = [];

  async function loadSupplierSelect() {
    try {
      const suppliers = items(await api("GET", "/api/suppliers/suppliers"));
      for (const select of document.querySelectorAll(".supplier-select")) {
        select.textContent = "";
        if (select.dataset.optional) select.add(new Option("—", ""));
        for (const s of suppliers) select.add(new Option(s.business_name, s.id));
      }
    } catch (err) { showError(err); }
  }

  async function loadStock() {
    try { products = items(await api("GET", "/api/inventory/products")); } catch (err) { products = []; }
    loadTable("stock-list", "/api/inventory/stock", [
      { key: "name", label: T.product },
      { key: "on_hand", label: T.on_hand, num: true },
      { key: "reorder_point", label: T.reorder_point, num: true },
      { key: r => (r.flagged_for_count ? T.needs_count : ""), label: "" },
    ], T.no_stock);
    loadTable("alert-list", "/api/inventory/alerts", [
      { key: r => T.alert_kinds[r.kind] || r.kind, label: T.kind }, { key: r => productName(r.product_id), label: T.product },
      { key: "raised_at", label: T.since, format: dateTime },
    ], T.no_alerts);
  }

  function productName(id) {
    const product = products.find(p => p.id === id);
    return product ? product.name : T.unknown_product;
  }

  /** Approval by PIN locked after too many wrong PINs (for a manager's name, or by a cashier): an alert. */
  async function loadPinLockouts() {
    let users = [];
    try { users = items(await api("GET", "/api/users")); } catch (err) { users = []; }
    const nameOf = id => { const user = users.find(u => u.id === id); return user ? user.name || user.username : T.unknown_user; };
    const lockouts = await loadTable("pin-lockout-list", "/api/pos/approval-lockouts", [
      { key: r => T.lockout_kinds[r.kind] || "", label: T.locked },
      { key: r => (r.kind === "cashier" ? nameOf(r.who) : r.who), label: T.who },
      { key: "failures", label: T.wrong_pins, num: true },
      { key: "locked_at", label: T.since, format: dateTime },
      { key: "locked_until", label: T.until, format: dateTime },
    ], T.no_lockouts);
    const alert = $("pin-lockout-alert");
    alert.textContent = T.lockouts_in_force.replace("{count}", lockouts.length);
    alert.hidden = lockouts.length === 0;
  }

  async function loadDeadLetters() {
    const container = $("dead-letter-list");
    const rows = [];
    const problems = [];
    for (const service of ["inventory", "pos", "suppliers"]) {
      try { for (const row of items(await api("GET", `/api/${service}/dead-letters`))) rows.push(Object.assign({ service }, row)); }
      catch (err) { problems.push(`${service}: ${err.message}`); }
    }
    Sentra.table(container, rows, [
      { key: "service", label: T.service }, { key: "event_type", label: T.event }, { key: "consumer", label: T.consumer },
      { key: "error", label: T.error }, { key: "attempts", label: T.attempts, num: true },
      { key: "created_at", label: T.time, format: dateTime },
      { key: r => retryButton(r), label: "" },
    ], problems.length ? "" : T.no_dead_letters);
    if (problems.length) {
      const p = document.createElement("p"); p.className = "muted"; p.textContent = `${T.cannot_load} — ${problems.join("; ")}`;
      container.appendChild(p);
    }
  }

  function retryButton(deadLetter) {
    if (deadLetter.status && deadLetter.status !== "open") return deadLetter.status;
    const button = document.createElement("button");
    Object.assign(button, { type: "button", className: "secondary", textContent: T.retry });
    button.addEventListener("click", async () => {
      showError(null);
      try {
        await api("POST", `/api/${deadLetter.service}/dead-letters/${deadLetter.id}/retry`);
        notice(T.retried); loadDeadLetters();
      } catch (err) { showError(err); }
    });
    return button;
  }

  function loadUsers() {
    loadTable("user-list", "/api/users", [
      { key: "username", label: T.user }, { key: "name", label: T.name },
      { key: r => T.roles[r.role] || r.role, label: T.role },
      { key: r => (r.active ? T.active : T.inactive), label: T.status },
      { key: r => userActions(r), label: "" },
    ], T.no_users);
  }

  function userActions(user) {
    const span = document.createElement("span");
    if (user.id === document.body.dataset.userId) return span;  // no self-lockout from the page
    const toggle = document.createElement("button");
    Object.assign(toggle, { type: "button", className: "secondary", textContent: user.active ? T.deactivate : T.activate });
    toggle.addEventListener("click", () => changeUser(user.id, { active: !user.active }, T.status_changed));
    const reset = document.createElement("button");
    Object.assign(reset, { type: "button", className: "secondary", textContent: T.reset_password });
    reset.addEventListener("click", () => {
      const password = prompt(T.new_password_for.replace("{user}", user.username));
      if (password) changeUser(user.id, { password }, T.password_reset);
    });
    span.append(toggle, " ", reset);
    return span;
  }

  async function changeUser(id, changes, message) {
    showError(null);
    try { await api("PATCH", `/api/users/${id}`, changes); notice(message); loadUsers(); } catch (err) { showError(err); }
  }

  $("user-form").addEventListener("submit", async event => {
    event.preventDefault(); showError(null);
    const form = event.target;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const user = await api("POST", "/api/users", formData(form));
      notice(T.user_created.replace("{user}", user.username)); form.reset(); loadUsers();
    } catch (err) { showError(err); } finally { button.disabled = false; }
  });
  $("reload-stock").addEventListener("click", loadStock);

  loadPinLockouts(); loadSupplierSelect(); loadStock(); loadDeadLetters(); loadUsers();
  setInterval(loadPinLockouts, 60000);
})();
