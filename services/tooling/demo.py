"""Demo data for `make run`: complaints in every state of the lifecycle, made through the
public HTTP interfaces exactly as channels, the national admin, agencies and reporters would.

Runs once per database: the first filing carries an Idempotency-Key, and a replay of it means
the demo data is already there. To show escalation and closing on silence, it moves the demo
clock forward (never possible in production).
Kept in one module: the demo is one scripted story, read in order.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import httpx

ADMIN = {"X-API-Key": "demo-national-admin"}
DEMO_REPORTER = {
    "name": "Warga Demo",
    "phone": "+62 812 0000 0000",
    "email": "warga.demo@contoh.id",
}
"""Every demo reporter's contact (the open-data test looks for it in the export)."""
DEMO_TEXT = "Mohon segera ditindaklanjuti."
CHANNEL_KEY = "demo-channel-web"


def _key(agency: str) -> dict[str, str]:
    return {"X-API-Key": f"demo-{agency}"}


class Demo:
    """A small client of the running system."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls
        self.http = httpx.Client(timeout=15)
        self.filed: dict[str, dict[str, Any]] = {}

    def file(self, name: str, **fields: Any) -> dict[str, Any]:
        body = {
            "channel": "web",
            "description": DEMO_TEXT,
            "reporter": DEMO_REPORTER,
            **fields,
        }
        if body.get("anonymous"):
            body.pop("reporter", None)
        response = self._post(
            f"{self.urls['intake']}/v1/complaints",
            json=body,
            headers={"Idempotency-Key": f"demo-{name}", "X-API-Key": CHANNEL_KEY},
        )
        response.raise_for_status()
        filed = response.json() | {
            "replayed": response.headers.get("Idempotent-Replayed") == "true"
        }
        self.filed[name] = filed
        return filed

    def _post(self, url: str, **kwargs: Any) -> httpx.Response:
        # A polite client: over a rate limit, wait as told and try again.
        while True:
            response = self.http.post(url, **kwargs)
            if response.status_code != 429:
                return response
            time.sleep(float(response.headers.get("Retry-After", "1")))

    def status(self, name: str) -> dict[str, Any]:
        filed = self.filed[name]
        response = self.http.get(
            f"{self.urls['intake']}/v1/complaints/{filed['tracking_id']}",
            headers={"X-Access-Token": filed["access_token"]},
        )
        response.raise_for_status()
        return response.json()

    def wait(self, name: str, *statuses: str, timeout_s: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            view = self.status(name)
            if view["status"] in statuses:
                return view
            if time.monotonic() > deadline:
                raise RuntimeError(f"demo {name}: still {view['status']}, wanted {statuses}")
            time.sleep(0.2)

    def wait_held(self, name: str, agency: str, timeout_s: float = 60) -> None:
        """Until followup knows the agency holds it (its queue is fed by the event stream)."""
        cid = self.filed[name]["complaint_id"]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            response = self.http.get(
                f"{self.urls['followup']}/v1/agency/complaints/{cid}", headers=_key(agency)
            )
            if response.status_code == 200:
                return
            time.sleep(0.2)
        raise RuntimeError(f"demo {name}: never reached {agency}")

    def admin(self, name: str, command: str, body: dict[str, Any] | None = None) -> None:
        cid = self.filed[name]["complaint_id"]
        response = self.http.post(
            f"{self.urls['routing']}/v1/complaints/{cid}/{command}", json=body or {}, headers=ADMIN
        )
        response.raise_for_status()

    def agency(self, name: str, agency: str, **body: Any) -> None:
        cid = self.filed[name]["complaint_id"]
        self.wait_held(name, agency)
        response = self.http.post(
            f"{self.urls['followup']}/v1/agency/complaints/{cid}/replies",
            json=body,
            headers=_key(agency),
        )
        response.raise_for_status()

    def propose_fix(self, name: str, agency: str, message: str) -> None:
        """The agency proposes a resolution (fixed): the complaint rests as resolved."""
        self.agency(
            name, agency, action="propose_resolution", message=message, resolution_code="fixed"
        )

    def reporter(
        self, name: str, action: str, message: str | None = None, rating: int | None = None
    ) -> None:
        filed = self.filed[name]
        response = self._post(
            f"{self.urls['intake']}/v1/complaints/{filed['tracking_id']}/replies",
            json={"action": action, "message": message, "rating": rating},
            headers={"X-Access-Token": filed["access_token"]},
        )
        response.raise_for_status()

    def past_the_follow_up(self, name: str, days: float) -> str:
        """`days` after the complaint's running follow-up deadline, as ISO 8601."""
        due = datetime.fromisoformat(self.status(name)["deadlines"]["follow_up"])
        return (due + timedelta(days=days)).isoformat()

    def advance(self, days: float) -> None:
        response = self.http.post(
            f"{self.urls['followup']}/v1/clock/advance",
            json={"days": days},
            headers=ADMIN,
        )
        response.raise_for_status()


def seed(urls: dict[str, str]) -> bool:
    """File the demo complaints unless they exist; True when it seeded now."""
    demo = Demo(urls)
    first = demo.file(
        "ombudsman", title="Izin usaha tidak diproses", category="perizinan", region_code="35.15"
    )
    if first["replayed"]:
        return False
    _past_the_resolution_limit(demo)
    _missed_deadlines(demo)
    # Every other state, on the (moved) platform clock.
    _before_disposition(demo)
    _file_for_agencies(demo)
    _agencies_act(demo)
    _appealed(demo)
    _tagged(demo)
    return True


def _tagged(demo: Demo) -> None:
    """The national admin tags some with national priority programmes and strategic issues,
    so that the dashboards' filter shows something."""
    for name, tags in [
        ("resolved", ["jaminan-kesehatan-nasional"]),
        ("refused", ["infrastruktur-jalan"]),
        ("followed-up", ["infrastruktur-jalan"]),
        ("awaiting-confirmation", ["infrastruktur-jalan"]),
        ("extended", ["infrastruktur-jalan", "bencana"]),
        ("reopened", ["administrasi-kependudukan", "pungutan-liar"]),
    ]:
        demo.admin(name, "tags", {"tags": tags})


def _past_the_resolution_limit(demo: Demo) -> None:
    """Nobody follows up for 61 days: the Ombudsman takes the complaint over by itself and
    reports a first step."""
    demo.wait("ombudsman", "disposed")
    demo.advance(days=61)
    demo.wait("ombudsman", "referred_to_ombudsman")
    demo.agency(
        "ombudsman",
        "ombudsman-ri",
        action="interim_findings",
        message="Ombudsman RI meminta klarifikasi tertulis dari dinas terkait.",
    )


def _missed_deadlines(demo: Demo) -> None:
    """Work that misses its deadlines once the demo clock moves 20 days on: follow-ups are
    late, the silent reporter's 10 working days are over."""
    demo.file(
        "late-unit",
        title="Puskesmas Kenjeran sering tutup sebelum jam layanan",
        category="kesehatan",
        region_code="35.78",
    )
    demo.file(
        "late-city", title="Jalan Cibaduyut rusak parah", category="jalan", region_code="32.73"
    )
    demo.file(
        "silent",
        title="Antrean KTP-el sangat panjang",
        category="kependudukan",
        region_code="31.74",
    )
    demo.wait("late-unit", "disposed")
    demo.agency(
        "late-unit", "kota-surabaya", action="forward", unit_code="kota-surabaya.dinas-kesehatan"
    )
    demo.wait("late-city", "disposed")
    demo.wait("silent", "disposed")
    demo.agency(
        "silent",
        "kota-jakarta-selatan",
        action="follow_up",
        message="Loket tambahan dibuka mulai Senin.",
    )
    demo.wait("silent", "followed_up")
    demo.wait("late-unit", "forwarded_to_unit")
    demo.advance(days=20)
    demo.wait("late-unit", "escalated")
    demo.wait("late-city", "escalated")
    demo.wait("silent", "closed")


def _before_disposition(demo: Demo) -> None:
    """Reports resting with the national admin: new, archived, deferred, awaiting the
    reporter, verified."""
    demo.file(
        "new",
        title="Dugaan pungutan liar di kantor kelurahan",
        kind="whistleblowing",
        anonymous=True,
        confidential=True,
    )
    demo.file("spam", title="Promo pulsa murah", description="Hubungi kami segera.")
    demo.admin("spam", "archive", {"reason": "spam"})
    demo.file("deferred", title="Usulan taman kota baru", kind="aspiration")
    demo.admin("deferred", "defer", {"reason": "menunggu rencana tata ruang"})
    demo.file("needs-info", title="Bantuan tidak pernah diterima")
    demo.admin(
        "needs-info",
        "request-information",
        {"question": "Program bantuan apa dan di kelurahan mana?"},
    )
    demo.file("verified", title="Informasi jadwal vaksinasi", kind="information_request")
    demo.admin("verified", "verify", {"category": "lainnya", "region_code": "73.71"})


_FOR_AGENCIES = (
    ("refused", "Jembatan jalan nasional retak", "jalan", "32.01"),
    ("twice-refused", "Sekolah kekurangan guru", "pendidikan", "73.06"),
    ("acknowledged", "Sampah menumpuk di pasar", "lingkungan", "32.01"),
    ("forwarded", "Guru sering tidak hadir", "pendidikan", "31.75"),
    ("followed-up", "Saluran air tersumbat", "jalan", "35.15"),
    ("reopened", "Kartu keluarga belum terbit", "kependudukan", "32.73"),
    ("resolved", "Tagihan BPJS ganda", "jkn", "35.78"),
    ("awaiting-confirmation", "Trotoar rusak di depan pasar", "jalan", "32.73"),
    ("extended", "Drainase jalan protokol", "jalan", "32.73"),
    ("asked-by-agency", "Pohon tumbang menutup jalan", "jalan", "32.73"),
)
"""The reports the agencies then act on: name, title, category, region code."""


def _file_for_agencies(demo: Demo) -> None:
    """Reports the rules dispose at once."""
    demo.file(
        "disposed",
        title="Lampu lalu lintas mati di Jl. Sudirman",
        category="transportasi",
        region_code="31.74",
        anonymous=True,
    )
    for name, title, category, region_code in _FOR_AGENCIES:
        demo.file(name, title=title, category=category, region_code=region_code)


def _agencies_act(demo: Demo) -> None:
    """Agencies refuse, acknowledge, forward and follow up; reporters answer."""
    demo.agency(
        "refused",
        "kab-bogor",
        action="refuse",
        reason="Jalan nasional, bukan wewenang kabupaten",
        suggested_agency_code="kemenpu",
    )
    demo.agency(
        "twice-refused",
        "kab-gowa",
        action="refuse",
        reason="Guru SMA adalah wewenang provinsi",
        suggested_agency_code="prov-sulawesi-selatan",
    )
    demo.agency(
        "twice-refused",
        "prov-sulawesi-selatan",
        action="refuse",
        reason="Sekolah dasar, wewenang kabupaten",
    )
    demo.agency("acknowledged", "prov-jawa-barat", action="acknowledge")
    demo.agency(
        "forwarded",
        "kota-jakarta-timur",
        action="forward",
        unit_code="kota-jakarta-timur.dinas-pendidikan",
    )
    demo.agency("followed-up", "kab-sidoarjo", action="acknowledge")
    demo.agency(
        "followed-up",
        "kab-sidoarjo",
        action="follow_up",
        message="Petugas dijadwalkan membersihkan saluran.",
    )
    demo.agency("reopened", "kota-bandung", action="follow_up", message="Berkas sudah diproses.")
    demo.wait("reopened", "followed_up")
    demo.reporter("reopened", "not_satisfied", "Sudah dua bulan belum ada kabar.")
    demo.propose_fix("resolved", "bpjs-kesehatan", "Tagihan ganda dibatalkan.")
    demo.wait("resolved", "resolved")
    demo.reporter("resolved", "satisfied", "Terima kasih, sudah beres.")
    demo.reporter("resolved", "rate", "Cepat ditangani.", rating=5)
    # Resting as resolved until the reporter confirms, disputes or stays silent.
    demo.propose_fix("awaiting-confirmation", "kota-bandung", "Trotoar sudah diperbaiki.")
    demo.wait("extended", "disposed")
    demo.agency(
        "extended",
        "kota-bandung",
        action="request_extension",
        reason="Menunggu alat berat dari provinsi",
        extend_until=demo.past_the_follow_up("extended", days=3),
    )
    demo.agency(
        "asked-by-agency",
        "kota-bandung",
        action="request_information",
        message="Di sisi jalan yang mana pohonnya?",
    )


def _appealed(demo: Demo) -> None:
    """A closure the reporter appeals: the province above the city reviews it."""
    demo.file("appealed", title="Lampu jalan padam", category="jalan", region_code="32.73")
    demo.propose_fix("appealed", "kota-bandung", "Lampu sudah diganti.")
    demo.wait("appealed", "resolved")
    demo.reporter("appealed", "satisfied")
    demo.wait("appealed", "closed")
    demo.reporter("appealed", "appeal", "Lampu padam lagi sehari setelahnya.")
