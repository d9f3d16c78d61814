"""Reading import files (CSV with commas or semicolons, Excel) into the rows the services' import endpoints take,
and the templates: what the gateway does before any service is asked."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from services.gateway import imports

SUPPLIER_ID = "6f1d3c1e-8a51-4a57-9b62-0c2e8c6f0a11"
REFS = imports.References(suppliers={"keripik bu sari": SUPPLIER_ID}, categories={"makanan": "makanan"})


def test_a_semicolon_csv_of_suppliers_becomes_service_rows_with_bank_and_commission():
    content = (
        "\ufeffNama_Usaha;nama_pemilik;telepon;bank;nomor_rekening;komisi_persen\n"
        "Keripik Bu Sari;Sari;081234567890;bri;123401000123567;12,5\n"
        ";;;;;\n"
        "Batik Cikarang;Budi;081298765432;014;;\n"
        "Kue Bu Ani;Ani;081298765433;Mandiri;;\n"
    ).encode()
    rows, problems = imports.parse("suppliers", "pemasok.csv", content, imports.References())
    assert problems == {}
    assert rows == [
        {
            "business_name": "Keripik Bu Sari",
            "owner_name": "Sari",
            "phone": "081234567890",
            "bank_name": "BRI",
            "bank_account_number": "123401000123567",
            "agreement": {"commission_bps": 1250},
        },
        {"business_name": "Batik Cikarang", "owner_name": "Budi", "phone": "081298765432", "bank_name": "BCA"},
        {"business_name": "Kue Bu Ani", "owner_name": "Ani", "phone": "081298765433", "bank_name": "Bank Mandiri"},
    ]


def test_cells_that_cannot_be_turned_are_problems_of_their_row_and_field():
    content = (
        b"pemasok,nama,kategori,satuan,harga\n"
        b"Keripik Bu Sari,Keripik Pedas,Makanan,pcs,18.000\n"
        b"Toko Lain,Keripik Manis,Minuman,PCS,delapan ribu\n"
    )
    rows, problems = imports.parse("products", "produk.csv", content, REFS)
    assert rows[0] == {
        "supplier_id": SUPPLIER_ID,
        "name": "Keripik Pedas",
        "category": "makanan",
        "unit": "pcs",
        "price": 18_000,
    }
    assert rows[1] == {"name": "Keripik Manis", "unit": "pcs"}
    assert set(problems) == {"1"} and set(problems["1"]) == {"supplier_id", "category", "price"}


def test_an_excel_file_is_read_like_a_csv_and_numbers_lose_their_decimal_point():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["pemasok", "nama", "kategori", "satuan", "harga", "titik_pesan_ulang"])
    sheet.append(["Keripik Bu Sari", "Keripik Pedas", "makanan", "pcs", 18000.0, 5])
    out = io.BytesIO()
    workbook.save(out)
    rows, problems = imports.parse("products", "produk.xlsx", out.getvalue(), REFS)
    assert problems == {} and rows[0]["price"] == 18_000 and rows[0]["reorder_point"] == 5


@pytest.mark.parametrize(
    "filename,content,reason",
    [
        ("produk.txt", b"nama\n", "Choose a CSV or Excel"),
        ("produk.csv", "nama;harga\nx;1\n".encode("utf-16"), "UTF-8"),
        ("produk.csv", b"nama,harga\nDodol,1000\n", "missing: pemasok, kategori, satuan"),
        ("produk.csv", b"pemasok,nama,kategori,satuan,harga\n", "no rows"),
        ("produk.csv", b"", "empty"),
        ("produk.xlsx", b"not a workbook", "Excel file cannot be read"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(filename, content, reason):
    with pytest.raises(imports.ImportFileProblem) as refused:
        imports.parse("products", filename, content, REFS)
    assert reason in str(refused.value)


def test_the_templates_have_every_column_and_read_back_without_problems_of_this_side():
    for kind in imports.KINDS:
        headers = [c.header for c in imports.KINDS[kind].columns]
        csv_text = imports.template_csv(kind).decode("utf-8-sig")
        assert csv_text.splitlines()[0].split(",") == headers
        sheet = load_workbook(io.BytesIO(imports.template_xlsx(kind))).worksheets[0]
        assert [c.value for c in sheet[1]] == headers
    rows, problems = imports.parse("suppliers", "t.csv", imports.template_csv("suppliers"), imports.References())
    assert problems == {} and rows[0]["agreement"] == {"commission_bps": 1500}
