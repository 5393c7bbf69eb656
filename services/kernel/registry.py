"""The agency registry and the responsibility rules, loaded from `services/kernel/data/*.json`.

Agencies form a hierarchy (ministry or agency; province -> regency or city; work units under
any of them) with Kemendagri region codes and parent links. Rules map category x region to the
responsible agency, either named or found by tier in the complaint's region.
"""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from events.base import Tier

AgencyKind = Literal["ministry", "agency", "province", "regency", "city", "work_unit", "ombudsman"]
NATIONAL_ADMIN = "national-admin"
"""The principal (and queue name) of the national admin (KemenPANRB)."""


@dataclass(frozen=True, slots=True)
class Agency:
    """One organisation that can receive complaints."""

    code: str
    name: str
    kind: AgencyKind
    region_code: str | None = None
    parent: str | None = None

    @property
    def tier(self) -> Tier:
        """Where the agency stands in the escalation chain."""
        if self.kind == "work_unit":
            return Tier.WORK_UNIT
        if self.kind == "province":
            return Tier.PROVINCE
        return Tier.AGENCY


@dataclass(frozen=True, slots=True)
class Rule:
    """category x region prefix -> a named agency or a tier found in the complaint's region."""

    id: str
    category: str
    region_prefix: str | None
    agency: str | None = None
    tier: Literal["regency_city", "province"] | None = None
    note: str = ""


@dataclass(frozen=True)
class Registry:
    """Agencies by code, rules in order, and the known categories."""

    agencies: Mapping[str, Agency]
    rules: tuple[Rule, ...]
    categories: frozenset[str] = field(default_factory=frozenset)

    def get(self, code: str | None) -> Agency | None:
        """The agency with that code, if any."""
        return self.agencies.get(code) if code else None

    def __iter__(self) -> Iterator[Agency]:
        return iter(self.agencies.values())

    def units_of(self, code: str) -> list[Agency]:
        """The work units directly under an agency."""
        return [a for a in self if a.parent == code and a.kind == "work_unit"]

    def with_descendants(self, code: str) -> list[str]:
        """The agency and everything under it: a province's regencies and cities, and every
        one's work units."""
        found, frontier = [code], [code]
        while frontier:
            below = [a.code for a in self if a.parent in frontier]
            found += below
            frontier = below
        return found

    def in_region(self, region_code: str, kinds: tuple[str, ...]) -> Agency | None:
        """The agency of one of `kinds` whose region code is exactly `region_code`."""
        for agency in self:
            if agency.region_code == region_code and agency.kind in kinds:
                return agency
        return None

    def candidates(self, category: str | None, region_code: str | None) -> list[tuple[str, str]]:
        """Every agency the rules name for this category and region, most specific rule first,
        as (rule id, agency code) pairs without repeats."""
        if not category:
            return []
        matching = [
            r
            for r in self.rules
            if r.category == category
            and (r.region_prefix is None or (region_code or "").startswith(r.region_prefix))
        ]
        matching.sort(key=lambda r: -len(r.region_prefix or ""))
        found: list[tuple[str, str]] = []
        for rule in matching:
            code = self._resolve(rule, region_code)
            if code and code not in {c for _, c in found}:
                found.append((rule.id, code))
        return found

    def _resolve(self, rule: Rule, region_code: str | None) -> str | None:
        if rule.agency:
            return rule.agency if rule.agency in self.agencies else None
        if not region_code:
            return None
        if rule.tier == "province":
            province = self.in_region(region_code[:2], ("province",))
            return province.code if province else None
        if rule.tier == "regency_city" and len(region_code) >= 5:
            local = self.in_region(region_code[:5], ("regency", "city"))
            return local.code if local else None
        return None

    def escalation_target(self, agency_code: str | None) -> tuple[Tier, str | None]:
        """The next tier up: work unit -> its agency -> the province for a regency or city ->
        the national admin (agency code None)."""
        agency = self.get(agency_code)
        if agency is None:
            return Tier.NATIONAL_ADMIN, None
        parent = self.get(agency.parent)
        if agency.kind == "work_unit" and parent is not None:
            return parent.tier, parent.code
        if agency.kind in ("regency", "city") and parent is not None:
            return Tier.PROVINCE, parent.code
        return Tier.NATIONAL_ADMIN, None

    def appeal_reviewer(self, agency_code: str | None) -> tuple[Tier, str | None]:
        """Who reviews an appeal against a closure by `agency_code`: the province above a
        regency or city, the national admin (None) for everyone else."""
        agency = self.get(self.queue_owner(agency_code) if agency_code else None)
        if agency is not None and agency.kind in ("regency", "city"):
            province = self.get(agency.parent)
            if province is not None and province.kind == "province":
                return Tier.PROVINCE, province.code
        return Tier.NATIONAL_ADMIN, None

    @property
    def ombudsman(self) -> str | None:
        """The Ombudsman's principal (it receives referrals, never dispositions)."""
        return next((a.code for a in self if a.kind == "ombudsman"), None)

    def disposable(self, agency_code: str | None) -> bool:
        """True for an agency a complaint may be disposed to (not a work unit, not the
        Ombudsman)."""
        agency = self.get(agency_code)
        return agency is not None and agency.kind not in ("work_unit", "ombudsman")

    def queue_owner(self, agency_code: str) -> str:
        """The agency whose key acts for `agency_code`: a work unit acts through its agency."""
        agency = self.get(agency_code)
        if agency is not None and agency.kind == "work_unit" and agency.parent:
            return agency.parent
        return agency_code


def registry_from_data(agencies: dict[str, Any], rules: dict[str, Any]) -> Registry:
    """Build a registry from the two JSON documents; raises ValueError on broken links."""
    by_code = {a["code"]: Agency(**a) for a in agencies["agencies"]}
    for agency in by_code.values():
        if agency.parent and agency.parent not in by_code:
            raise ValueError(f"agency {agency.code}: unknown parent {agency.parent}")
    loaded = []
    for raw in rules["rules"]:
        target = raw["target"]
        rule = Rule(
            id=raw["id"],
            category=raw["category"],
            region_prefix=raw.get("region_prefix"),
            agency=target.get("agency"),
            tier=target.get("tier"),
            note=raw.get("note", ""),
        )
        if rule.agency and rule.agency not in by_code:
            raise ValueError(f"rule {rule.id}: unknown agency {rule.agency}")
        loaded.append(rule)
    return Registry(by_code, tuple(loaded), frozenset(rules.get("categories", ())))


@lru_cache(maxsize=1)
def load_registry() -> Registry:
    """The registry shipped with the package (services/kernel/data); read once per process
    (it is immutable), however often topics are ensured or fakes are wired."""
    data = importlib.resources.files("services.kernel").joinpath("data")
    return registry_from_data(
        json.loads(data.joinpath("agencies.json").read_text()),
        json.loads(data.joinpath("rules.json").read_text()),
    )
