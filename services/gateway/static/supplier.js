/* A supplier's own page: balance, stock at the centre, sales, statements, payouts. */
"use strict";
(() => {
  const { api, rupiah, dateTime, loadTable, showError } = Sentra;
  const $ = id => document.getElementById(id);

  async function loadBalance() {
    try {
      const balance = await api("GET", "/api/suppliers/me/balance");
      for (const el of document.querySelectorAll("#balance [data-key]")) el.textContent = rupiah(balance[el.dataset.key]);
    } catch (err) { showError(err); }
  }

  function isoDate(d) { return d.toISOString().slice(0, 10); }

  function statementLinks() {
    const from = $("statement-from").value, to = $("statement-to").value;
    const query = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    $("statement-pdf").href = `/api/suppliers/me/statements?${query}&format=pdf`;
    $("statement-csv").href = `/api/suppliers/me/statements?${query}&format=csv`;
  }

  const today = new Date();
  $("statement-to").value = isoDate(today);
  $("statement-from").value = isoDate(new Date(today.getFullYear(), today.getMonth(), 1, 12));
  for (const id of ["statement-from", "statement-to"]) $(id).addEventListener("change", statementLinks);
  statementLinks();

  const from = isoDate(new Date(today.getTime() - 30 * 86400000));
  loadBalance();
  loadTable("stock", "/api/suppliers/me/stock", [
    { key: r => r.name || r.product_name || r.product_id, label: "Produk" },
    { key: "on_hand", label: "Stok", num: true },
    { key: "sold", label: "Terjual", num: true },
    { key: r => r.near_expiry ? `${r.near_expiry_lots || ""} lot hampir kedaluwarsa` : "", label: "Kedaluwarsa" },
    { key: r => (r.due_for_pickup ? "perlu diambil" : ""), label: "Retur" },
  ], "Belum ada stok di sentra.");
  loadTable("sales", `/api/suppliers/me/sales?from=${from}&to=${isoDate(today)}`, [
    { key: "day", label: "Tanggal", format: dateTime },
    { key: r => r.product_name || r.product_id, label: "Produk" },
    { key: "qty", label: "Jml", num: true },
    { key: "gross", label: "Penjualan", num: true, format: rupiah },
  ], "Belum ada penjualan 30 hari terakhir.");
  loadTable("payouts", "/api/suppliers/me/payouts", [
    { key: r => r.paid_at || r.due_date, label: "Tanggal", format: dateTime },
    { key: "amount", label: "Jumlah", num: true, format: rupiah },
    { key: "status", label: "Status" },
    { key: "reference", label: "Referensi" },
  ], "Belum ada pembayaran.");
})();
