/* The counter: register and shift, scan to cart, cash tendered and change, checkout, close the shift. */
"use strict";
(() => {
  const { api, rupiah, items, showError, uuid } = Sentra;
  const $ = id => document.getElementById(id);
  const state = { registerId: localStorage.getItem("sentra.register") || "", shift: null, cart: [], attempt: null };

  function total() { return state.cart.reduce((sum, line) => sum + line.price * line.qty, 0); }

  function saleBody() {
    const amount = total();
    const tendered = parseInt($("tendered").value, 10);
    return { register_id: state.registerId, lines: state.cart.map(l => ({ barcode: l.barcode, qty: l.qty })),
             payments: [{ method: "cash", amount, tendered: isNaN(tendered) ? amount : tendered }] };
  }

  /** One Idempotency-Key per checkout attempt: a retry of the same cart and payment reuses it (no second
   *  sale), any change to them starts a new attempt. */
  function attemptKey(body) {
    const signature = JSON.stringify(body);
    if (!state.attempt || state.attempt.signature !== signature) state.attempt = { signature, key: uuid() };
    return state.attempt.key;
  }

  function renderCart() {
    const tbody = $("cart");
    tbody.textContent = "";
    state.cart.forEach((line, index) => {
      const tr = tbody.insertRow();
      tr.insertCell().textContent = line.name;
      const price = tr.insertCell(); price.className = "num"; price.textContent = rupiah(line.price);
      const qtyCell = tr.insertCell(); qtyCell.className = "num";
      const qty = document.createElement("input");
      Object.assign(qty, { type: "number", min: "1", step: "1", value: String(line.qty), className: "qty" });
      qty.setAttribute("aria-label", "Jumlah " + line.name);
      qty.addEventListener("change", () => { const n = parseInt(qty.value, 10); line.qty = n > 0 ? n : 1; renderCart(); });
      qtyCell.appendChild(qty);
      const sub = tr.insertCell(); sub.className = "num"; sub.textContent = rupiah(line.price * line.qty);
      const remove = document.createElement("button");
      Object.assign(remove, { type: "button", className: "secondary", textContent: "Hapus" });
      remove.addEventListener("click", () => { state.cart.splice(index, 1); renderCart(); });
      tr.insertCell().appendChild(remove);
    });
    $("total").textContent = rupiah(total());
    renderChange();
  }

  function renderChange() {
    const tendered = parseInt($("tendered").value, 10);
    $("change").textContent = isNaN(tendered) ? "Rp0" : rupiah(Math.max(0, tendered - total()));
  }

  async function loadRegisters() {
    const registers = items(await api("GET", "/api/pos/registers"));
    const select = $("register");
    select.textContent = "";
    for (const r of registers) select.add(new Option(`${r.code} · ${r.name}`, r.id));
    if (!registers.some(r => r.id === state.registerId)) state.registerId = registers.length ? registers[0].id : "";
    select.value = state.registerId;
    if (!registers.length) $("shift-status").textContent = "Belum ada mesin kasir. Minta manajer membuatnya.";
  }

  async function loadShift() {
    state.shift = null;
    if (!state.registerId) return renderShift();
    try { state.shift = await api("GET", "/api/pos/shifts/current?register_id=" + encodeURIComponent(state.registerId)); }
    catch (err) { showError(err); }
    renderShift();
  }

  function renderShift() {
    const open = !!(state.shift && state.shift.id && state.shift.status !== "closed");
    $("shift-status").textContent = open
      ? `Shift terbuka · ${state.shift.cashier_name || ""} · modal ${rupiah(state.shift.opening_float)}` : "Shift belum dibuka.";
    $("open-shift").hidden = open || !state.registerId;
    $("sale-panel").hidden = !open;
    $("close-panel").hidden = !open;
    if (open) $("barcode").focus();
  }

  $("register").addEventListener("change", async event => {
    state.registerId = event.target.value;
    localStorage.setItem("sentra.register", state.registerId);
    await loadShift();
  });

  $("open-shift").addEventListener("submit", async event => {
    event.preventDefault(); showError(null);
    try {
      state.shift = await api("POST", "/api/pos/shifts",
        { register_id: state.registerId, opening_float: parseInt($("opening-float").value, 10) || 0 });
      localStorage.setItem("sentra.register", state.registerId);
      $("close-result").hidden = true;
      renderShift();
    } catch (err) { showError(err); }
  });

  $("scan").addEventListener("submit", async event => {
    event.preventDefault(); showError(null);
    const code = $("barcode").value.trim();
    if (!code) return;
    try {
      const product = await api("GET", "/api/pos/catalogue/barcode/" + encodeURIComponent(code));
      const existing = state.cart.find(l => l.barcode === product.barcode);
      if (existing) existing.qty += 1;
      else state.cart.push({ barcode: product.barcode, name: product.name, price: product.price, qty: 1 });
      $("receipt").hidden = true;
      renderCart();
    } catch (err) { showError(err); }
    $("barcode").value = ""; $("barcode").focus();
  });

  $("tendered").addEventListener("input", renderChange);
  $("exact").addEventListener("click", () => { $("tendered").value = String(total()); renderChange(); });

  $("pay").addEventListener("submit", async event => {
    event.preventDefault(); showError(null);
    if (!state.cart.length) return showError(new Error("Keranjang masih kosong."));
    const body = saleBody();
    if (body.payments[0].tendered < body.payments[0].amount) return showError(new Error("Uang diterima kurang dari total."));
    const button = $("checkout");
    button.disabled = true;
    try {
      const sale = await api("POST", "/api/pos/sales", body, { "Idempotency-Key": attemptKey(body) });
      $("receipt-no").textContent = sale.receipt_no || sale.id;
      $("receipt-change").textContent = rupiah(sale.change);
      $("receipt-link").href = "/api/pos/receipts/" + encodeURIComponent(sale.receipt_no) + "?width=58";
      $("receipt").hidden = false;
      state.cart = []; state.attempt = null; $("tendered").value = "";
      renderCart();
    } catch (err) { showError(err); }
    finally { button.disabled = false; $("barcode").focus(); }
  });

  $("close-shift").addEventListener("submit", async event => {
    event.preventDefault(); showError(null);
    try {
      const result = await api("POST", `/api/pos/shifts/${state.shift.id}/close`,
        { counted_cash: parseInt($("counted-cash").value, 10) || 0 });
      const lines = ["Shift ditutup."];
      for (const [key, label] of [["expected_cash", "Kas seharusnya"], ["counted_cash", "Kas dihitung"], ["variance", "Selisih"]]) {
        if (result && result[key] !== undefined) lines.push(`${label}: ${rupiah(result[key])}`);
      }
      $("close-result").textContent = lines.join("\n"); $("close-result").hidden = false;
      state.shift = null; state.cart = []; renderCart(); renderShift();
    } catch (err) { showError(err); }
  });

  (async () => {
    try { await loadRegisters(); await loadShift(); }
    catch (err) { showError(err); $("shift-status").textContent = "Data kasir tidak dapat dimuat."; }
  })();
})();
