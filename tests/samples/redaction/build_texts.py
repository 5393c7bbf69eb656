# ruff: noqa: E501  (the sentences are data, kept whole on their lines)
"""One-off: combine hand-written complaint sentences with hand-written personal data in the
forms people type, into a labelled set (tests/samples/redaction/texts.jsonl)."""

import json
import random
from collections import Counter
from pathlib import Path

PHONES = [
    "081234567890",
    "0812-3456-7890",
    "0812 3456 7890",
    "+62 812 3456 7890",
    "+6281234567890",
    "62 813 1122 3344",
    "0857.2233.4455",
    "(022) 7234567",
    "021-5551234",
    "0274 512345",
    "08211234567",
    "+62-878-9900-1122",
    "0813 1234 567",
    "6289612345678",
    "+1 415 555 0134",
    "+44 20 7946 0958",
    "+65 6123 4567",
    "0896-7788-9900",
    "0811 222 333 4",
    "(0361) 224466",
]
EMAILS = [
    "budi.santoso@gmail.com",
    "siti_aminah88@yahoo.co.id",
    "rina.w@mail.ugm.ac.id",
    "andi [at] gmail [dot] com",
    "dewi(at)yahoo(dot)com",
    "agus.h@diskominfo.bandung.go.id",
    "pak.rt05@outlook.com",
    "kontak+lapor@ptmaju.co.id",
    "yusuf_1990@hotmail.com",
    "ibu.lina @ gmail.com",
]
NIKS = [
    "3273012504900003",
    "3171054708850002",
    "3578101203770001",
    "5171016909920004",
    "1271032211800005",
    "3374115506880006",
    "7371020101950007",
    "6471034412000008",
    "3201 0215 0390 0009",
    "3509.1108.0776.0010",
]
ACCOUNTS = [
    ("rek BCA", "1234567890"),
    ("no. rekening BRI", "0123-01-004567-50-3"),
    ("rekening Mandiri", "137-00-1234567-8"),
    ("transfer ke BNI", "0987654321"),
    ("norek", "7001234567"),
    ("virtual account", "8808123456789012"),
    ("rek. BSI", "7123456789"),
    ("account number", "004 1234 5678"),
]
PLATES = [
    "D 1234 ABC",
    "B 1234 XYZ",
    "AB 123 CD",
    "L 4567 KM",
    "BK 8899 AA",
    "F 1201 GH",
    "DK 3344 QW",
    "N 7788 BB",
    "H 1 A",
    "KT 2345 AB",
]
NAMES = ["Budi", "Siti", "Rina", "Agus", "Dewi", "Andi", "Yusuf", "Lina", "Hendra", "Wati"]

WITH = {
    "phone": [
        "Mohon segera ditindaklanjuti, saya bisa dihubungi di {phone}.",
        "Jalan di depan rumah saya berlubang sudah 3 bulan, tolong hubungi saya {phone} kalau petugas datang.",
        "Pak, ini nomor WA saya {phone}, saya siap kasih foto lokasinya.",
        "Lampu PJU mati di Jl. Merdeka No. 12, RT 05 RW 03. Kontak: {phone}",
        "Sampah menumpuk di pasar sejak Senin 12/05/2024. Hub. {phone} (ketua RT).",
        "Please call me at {phone}, the streetlight near my house has been off for two weeks.",
        "Petugas kelurahan minta uang Rp 150.000 untuk surat pengantar. Telp saya {phone}.",
        "saya sdh lapor 2x tp ga ada respon. hp {phone}",
        "Air PDAM tidak mengalir 5 hari di Perumahan Griya Asri blok C7. Nomor saya {phone}, atas nama {name}.",
        "Kalau butuh keterangan tambahan silakan telepon ke {phone} pada jam kerja.",
        "Antrean BPJS di RSUD sangat panjang, ibu saya menunggu 6 jam. Hubungi {phone}.",
        "Tolong pak, banjir setinggi 50 cm di gang kami. WA: {phone}",
    ],
    "email": [
        "Balasan bisa dikirim ke email saya {email}.",
        "Saya sudah mengirim bukti ke {email} tapi belum ada jawaban dari dinas.",
        "Surat keberatan saya tembuskan juga, email: {email}",
        "My email is {email}, please send the follow-up there.",
        "Mohon informasi perkembangan laporan ke {email}, terima kasih.",
        "kirim aja ke {email} ya min",
        "Pengurusan KTP elektronik saya tertunda 4 bulan. Mohon kabari lewat {email}.",
        "Saya {name}, warga Kel. Sukajadi, email {email}, melaporkan pungli di kantor kecamatan.",
    ],
    "nik": [
        "NIK saya {nik}, tapi data di Dukcapil masih salah nama.",
        "Bansos tidak cair padahal NIK {nik} terdaftar di DTKS.",
        "Data KTP: {nik} atas nama {name}, mohon dicek kenapa ditolak.",
        "Saya sudah daftar vaksin dengan nomor induk kependudukan {nik} tetapi sertifikat tidak keluar.",
        "nik ibu sy {nik} gak bisa dipake daftar BPJS",
        "Kartu Indonesia Pintar anak saya tidak aktif. NIK anak {nik}.",
        "My national ID (NIK) is {nik} and the system says it is already used.",
        "Mohon bantuan, {nik} adalah NIK saya yang dipakai orang lain untuk pinjol.",
    ],
    "bank_account": [
        "Dana bantuan UMKM belum masuk ke {acctcue} {acct} sejak Maret.",
        "Saya diminta transfer biaya pembuatan SIM, bukti ada. Saya kirim dari {acctcue} {acct}.",
        "Pengembalian dana retribusi mohon dikirim ke {acctcue} {acct} a.n. {name}.",
        "Gaji honorer belum dibayar 3 bulan, {acctcue} {acct}.",
        "Tolong kembalikan uang pendaftaran ke {acctcue} {acct}",
    ],
    "vehicle_plate": [
        "Truk sampah dengan plat {plate} membuang sampah ke sungai setiap malam.",
        "Mobil dinas {plate} dipakai untuk keperluan pribadi di akhir pekan.",
        "Angkot nopol {plate} ngetem sembarangan dan bikin macet.",
        "Motor saya {plate} ditilang tanpa surat tilang resmi, petugas minta damai Rp 200.000.",
        "Bus {plate} ugal-ugalan di jalur Pantura kemarin sore.",
    ],
}
MIXED = [
    "Saya {name}, HP {phone}, email {email}. Jalan rusak di Desa Sukamaju belum diperbaiki.",
    "NIK {nik}, telp {phone}. Bantuan PKH keluarga kami dihentikan tanpa alasan.",
    "Kendaraan {plate} milik dinas parkir di trotoar. Saya bisa dihubungi di {email}.",
    "Mohon dicek: NIK {nik}, {acctcue} {acct}, bantuan belum diterima.",
    "Hubungi {phone} atau {email} untuk foto-foto kerusakan jembatan.",
]
NEGATIVE = [
    "Jalan Raya Bogor KM 32 rusak parah sejak tahun 2019, sudah lebih dari 20 lubang.",
    "Biaya pembuatan akta kelahiran diminta Rp 1.500.000 padahal seharusnya gratis.",
    "Laporan saya nomor lpr-2024-0001-abcd belum ditanggapi selama 14 hari kerja.",
    "Puskesmas tutup pukul 12.00 padahal jadwalnya sampai 14.00.",
    "Pada tanggal 17-08-2024 terjadi pemadaman listrik di 3 RW sekaligus.",
    "Harga beras di pasar naik jadi Rp12.500 per kg, tolong dipantau.",
    "Sekolah SDN 045 kekurangan 7 guru dan 120 meja.",
    "Saluran air di RT 05 RW 03 tersumbat, air meluap ke 15 rumah.",
    "The bridge on route 12 has been closed for 3 months without notice.",
    "Pelayanan di kantor samsat lambat, antre nomor 157 baru dipanggil jam 3 sore.",
    "Tahun 2023 anggaran Rp 2,5 miliar untuk jalan desa tidak jelas penggunaannya.",
    "Sudah 2 kali lapor ke 112 tapi ambulans datang setelah 45 menit.",
    "Gedung B lantai 4 ruang 401 AC mati sejak September.",
    "Pemohon izin usaha menunggu 60 hari, melebihi SLA 14 hari.",
    "Kuota internet bantuan 10 GB tidak pernah masuk ke siswa kelas 6.",
    "Pasien BPJS kelas 3 ditolak dengan alasan kamar penuh, padahal ada 5 kamar kosong.",
    "Call centre 1500 600 tidak pernah diangkat.",
    "Lampu lalu lintas di simpang 4 Jl. Sudirman mati total.",
    "Jadwal KRL 06.15 sering terlambat 20 menit.",
    "Ruas tol KM 19+400 arah Jakarta berlubang.",
]

random.seed(20261208)
rows = []


def label(template, values):
    text = template
    pii = []
    for slot, kind in (
        ("{phone}", "phone"),
        ("{email}", "email"),
        ("{nik}", "nik"),
        ("{acct}", "bank_account"),
        ("{plate}", "vehicle_plate"),
    ):
        if slot in text:
            pii.append({"kind": kind, "value": values[slot]})
    text = text.replace("{acctcue}", values["{acctcue}"]).replace("{name}", values["{name}"])
    for slot in ("{phone}", "{email}", "{nik}", "{acct}", "{plate}"):
        text = text.replace(slot, values[slot])
    return {"text": text, "pii": pii}


def values(i):
    cue, acct = ACCOUNTS[i % len(ACCOUNTS)]
    return {
        "{phone}": PHONES[i % len(PHONES)],
        "{email}": EMAILS[i % len(EMAILS)],
        "{nik}": NIKS[i % len(NIKS)],
        "{acct}": acct,
        "{acctcue}": cue,
        "{plate}": PLATES[i % len(PLATES)],
        "{name}": NAMES[i % len(NAMES)],
    }


i = 0
for kind, templates in WITH.items():
    repeat = {"phone": 5, "email": 4, "nik": 4, "bank_account": 5, "vehicle_plate": 4}[kind]
    for template in templates:
        for _ in range(repeat):
            rows.append(label(template, values(i)))
            i += 7
for template in MIXED:
    for _ in range(4):
        rows.append(label(template, values(i)))
        i += 3
for text in NEGATIVE:
    rows.append({"text": text, "pii": []})
with open(Path(__file__).with_name("texts.jsonl"), "w") as out:
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")

print(len(rows), Counter(p["kind"] for r in rows for p in r["pii"]))
