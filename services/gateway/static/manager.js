/* The manager's page: suppliers, products, intakes, stock and alerts, payout runs, dead letters, users. */
"use strict";
(() => {
  const { api, rupiah, dateTime, items, loadTable, showError, notice, formData } = Sentra;
  const $ = id => document.getElementById(id);
  const ROLE_LABELS = { cashier: "Kasir", supplier: "Pemasok", manager: "Manajer", admin: "Admin" };
  let suppliers = [];
  let products = [];

  function fillSupplierSelects() {
    for (const select of document.querySelectorAll(".supplier-select")) {
      const chosen = select.value;
      select.textContent = "";
      if (select.dataset.optional) select.add(new Option("—", ""));
      for (const s of suppliers) select.add(new Option(s.business_name, s.id));
      select.value = chosen;
    }
    fillIntakeProducts();
  }

  function fillIntakeProducts() {
    const supplierId = document.querySelector("#intake-form [name=supplier_id]").value;
    const select = $("intake-product");
    select.textContent = "";
    for (const p of products.filter(p => !supplierId || p.supplier_id === supplierId)) select.add(new Option(p.name, p.id));
  }

  async function loadSuppliers() {
    suppliers = await loadTable("supplier-list", "/api/suppliers/suppliers", [
      { key: "business_name", label: "Nama usaha" }, { key: "owner_name", label: "Pemilik" },
      { key: "phone", label: "HP" }, { key: "status", label: "Status" }, { key: "id", label: "ID" },
    ], "Belum ada pemasok.");
    fillSupplierSelects();
  }

  async function loadProducts() {
    products = await loadTable("product-list", "/api/inventory/products", [
      { key: "name", label: "Produk" }, { key: "barcode", label: "Barcode" }, { key: "category", label: "Kategori" },
      { key: "price", label: "Harga", num: true, format: rupiah },
    ], "Belum ada produk.");
    fillIntakeProducts();
  }

  function loadStock() {
    loadTable("stock-list", "/api/inventory/stock", [
      { key: "name", label: "Produk" },
      { key: "on_hand", label: "Stok", num: true },
      { key: "reorder_point", label: "Titik pesan ulang", num: true },
      { key: r => (r.flagged_for_count ? "perlu dihitung" : ""), label: "" },
    ], "Belum ada stok.");
    loadTable("alert-list", "/api/inventory/alerts", [
      { key: "kind", label: "Jenis" }, { key: r => productName(r.product_id), label: "Produk" },
      { key: "message", label: "Keterangan" }, { key: "raised_at", label: "Sejak", format: dateTime },
    ], "Tidak ada peringatan.");
  }

  function productName(id) {
    const product = products.find(p => p.id === id);
    return product ? product.name : id;
  }

  function loadPayoutRuns() {
    loadTable("payout-list", "/api/suppliers/payout-runs", [
      { key: "cutoff_date", label: "Cut-off", format: dateTime }, { key: "status", label: "Status" },
      { key: "total", label: "Total", num: true, format: rupiah }, { key: r => (r.lines || []).length, label: "Baris", num: true },
      { key: r => { const a = document.createElement("a"); a.href = `/api/suppliers/payout-runs/${r.id}/bank-file.csv`; a.textContent = "File bank"; return a; }, label: "" },
    ], "Belum ada payout run.");
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
      { key: "service", label: "Layanan" }, { key: "event_type", label: "Event" }, { key: "consumer", label: "Penerima" },
      { key: "error", label: "Galat" }, { key: "attempts", label: "Percobaan", num: true },
      { key: "created_at", label: "Waktu", format: dateTime },
      { key: r => retryButton(r), label: "" },
    ], problems.length ? "" : "Tidak ada dead letter.");
    if (problems.length) {
      const p = document.createElement("p"); p.className = "muted"; p.textContent = "Tidak dapat dimuat — " + problems.join("; ");
      container.appendChild(p);
    }
  }

  function retryButton(deadLetter) {
    if (deadLetter.status && deadLetter.status !== "open") return deadLetter.status;
    const button = document.createElement("button");
    Object.assign(button, { type: "button", className: "secondary", textContent: "Kirim ulang" });
    button.addEventListener("click", async () => {
      showError(null);
      try {
        await api("POST", `/api/${deadLetter.service}/dead-letters/${deadLetter.id}/retry`);
        notice("Event dikirim ulang."); loadDeadLetters();
      } catch (err) { showError(err); }
    });
    return button;
  }

  function loadUsers() {
    loadTable("user-list", "/api/users", [
      { key: "username", label: "Pengguna" }, { key: "name", label: "Nama" },
      { key: r => ROLE_LABELS[r.role] || r.role, label: "Peran" },
      { key: r => (r.active ? "aktif" : "nonaktif"), label: "Status" },
      { key: r => userActions(r), label: "" },
    ], "Belum ada pengguna.");
  }

  function userActions(user) {
    const span = document.createElement("span");
    if (user.id === document.body.dataset.userId) return span;  // no self-lockout from the page
    const toggle = document.createElement("button");
    Object.assign(toggle, { type: "button", className: "secondary", textContent: user.active ? "Nonaktifkan" : "Aktifkan" });
    toggle.addEventListener("click", () => changeUser(user.id, { active: !user.active }, "Status pengguna diubah."));
    const reset = document.createElement("button");
    Object.assign(reset, { type: "button", className: "secondary", textContent: "Reset sandi" });
    reset.addEventListener("click", () => {
      const password = prompt(`Kata sandi baru untuk ${user.username}:`);
      if (password) changeUser(user.id, { password }, "Kata sandi direset.");
    });
    span.append(toggle, " ", reset);
    return span;
  }

  async function changeUser(id, changes, message) {
    showError(null);
    try { await api("PATCH", `/api/users/${id}`, changes); notice(message); loadUsers(); } catch (err) { showError(err); }
  }

  function onSubmit(formId, handler) {
    $(formId).addEventListener("submit", async event => {
      event.preventDefault(); showError(null);
      const button = event.target.querySelector("button[type=submit]");
      button.disabled = true;
      try { await handler(event.target); } catch (err) { showError(err); } finally { button.disabled = false; }
    });
  }

  onSubmit("supplier-form", async form => {
    const supplier = await api("POST", "/api/suppliers/suppliers", formData(form));
    notice(`Pemasok ${supplier.business_name} terdaftar.`); form.reset(); await loadSuppliers();
  });
  onSubmit("product-form", async form => {
    const product = await api("POST", "/api/inventory/products", formData(form, ["price"]));
    notice(`Produk ${product.name} disimpan (barcode ${product.barcode}).`); form.reset(); await loadProducts();
  });
  onSubmit("intake-form", async form => {
    const data = formData(form, ["qty"]);
    const line = { product_id: data.product_id, qty: data.qty };
    if (data.lot_code) line.lot_code = data.lot_code;
    if (data.expiry_date) line.expiry_date = data.expiry_date;
    const intake = await api("POST", "/api/inventory/intakes", { supplier_id: data.supplier_id, lines: [line] });
    notice(`Penerimaan ${intake.number || intake.id} dicatat.`); form.reset(); fillIntakeProducts(); loadStock();
  });
  onSubmit("payout-form", async form => {
    await api("POST", "/api/suppliers/payout-runs", formData(form));
    notice("Payout run dibuat."); loadPayoutRuns();
  });
  onSubmit("user-form", async form => {
    const user = await api("POST", "/api/users", formData(form));
    notice(`Pengguna ${user.username} dibuat.`); form.reset(); loadUsers();
  });
  document.querySelector("#intake-form [name=supplier_id]").addEventListener("change", fillIntakeProducts);
  $("reload-stock").addEventListener("click", loadStock);

  loadSuppliers().then(loadProducts);
  loadStock(); loadPayoutRuns(); loadDeadLetters(); loadUsers();
})();
