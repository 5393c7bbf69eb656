"""The shipped agency registry and responsibility rules: shape, links, candidates, escalation."""

from __future__ import annotations

import pytest

from events import Tier
from services.kernel.registry import Registry, load_registry, registry_from_data

REGISTRY = load_registry()


def of_kind(*kinds: str) -> list[str]:
    return [a.code for a in REGISTRY if a.kind in kinds]


# -- the shipped data ---------------------------------------------------------------------------


def test_the_registry_has_several_ministries_and_work_units():
    assert len(of_kind("ministry")) >= 3
    assert len(of_kind("work_unit")) >= 3
    assert {"kemenkes", "kemenpu", "kemenhub"} <= set(of_kind("ministry"))


def test_at_least_three_provinces_each_with_two_regencies_or_cities():
    provinces = of_kind("province")
    assert len(provinces) >= 3
    for province in provinces:
        local = [a for a in REGISTRY if a.kind in ("regency", "city") and a.parent == province]
        assert len(local) >= 2, province
        # A regency or city lies inside its province's region.
        region = REGISTRY.agencies[province].region_code
        assert region is not None
        for agency in local:
            assert agency.region_code is not None
            assert agency.region_code.startswith(region + "."), agency.code


def test_every_parent_link_resolves():
    for agency in REGISTRY:
        if agency.parent is not None:
            assert agency.parent in REGISTRY.agencies, agency.code
            assert agency.parent != agency.code


def test_work_units_sit_under_an_agency_and_top_level_agencies_have_no_parent():
    for agency in REGISTRY:
        if agency.kind == "work_unit":
            parent = REGISTRY.get(agency.parent)
            assert parent is not None, agency.code
            assert parent.kind != "work_unit", agency.code
        elif agency.kind in ("ministry", "agency", "province", "ombudsman"):
            assert agency.parent is None, agency.code
        else:
            assert REGISTRY.agencies[agency.parent].kind == "province", agency.code


def test_every_rule_names_an_existing_agency_or_a_tier_and_a_known_category():
    assert REGISTRY.rules
    for rule in REGISTRY.rules:
        assert (rule.agency is None) != (rule.tier is None), rule.id
        if rule.agency is not None:
            assert rule.agency in REGISTRY.agencies, rule.id
            assert REGISTRY.disposable(rule.agency), rule.id  # not a work unit or the Ombudsman
        assert rule.category in REGISTRY.categories, rule.id
    assert len({rule.id for rule in REGISTRY.rules}) == len(REGISTRY.rules)


def test_units_of_lists_the_direct_work_units():
    units = {u.code for u in REGISTRY.units_of("kota-bandung")}
    assert "kota-bandung.dinas-pupr" in units
    assert all(REGISTRY.agencies[u].parent == "kota-bandung" for u in units)
    assert REGISTRY.units_of("kota-bandung.dinas-pupr") == []


# -- candidates -----------------------------------------------------------------------------------


def test_the_most_specific_region_prefix_comes_first():
    assert REGISTRY.candidates("transportasi", "31.74") == [
        ("transportasi-jakarta", "prov-dki-jakarta"),
        ("transportasi-nasional", "kemenhub"),
    ]


def test_a_regional_rule_does_not_apply_outside_its_region():
    assert REGISTRY.candidates("transportasi", "32.73") == [("transportasi-nasional", "kemenhub")]


@pytest.mark.parametrize(
    ("category", "region", "expected"),
    [
        ("jalan", "32.73", ("jalan-daerah", "kota-bandung")),
        ("jalan", "32.73.05", ("jalan-daerah", "kota-bandung")),  # a district of Bandung
        ("kependudukan", "35.15", ("adminduk", "kab-sidoarjo")),
        ("kesehatan", "73.06", ("kesehatan-daerah", "kab-gowa")),
        ("lingkungan", "32.73", ("lingkungan-provinsi", "prov-jawa-barat")),
        ("pendidikan-menengah", "73.71", ("pendidikan-menengah", "prov-sulawesi-selatan")),
        ("lingkungan", "31", ("lingkungan-provinsi", "prov-dki-jakarta")),
    ],
)
def test_tier_rules_resolve_to_the_regency_city_or_province_of_the_region(
    category, region, expected
):
    assert REGISTRY.candidates(category, region) == [expected]


@pytest.mark.parametrize(
    ("category", "region"),
    [
        ("jalan", None),  # no region: no tier candidate
        ("lingkungan", None),
        ("jalan", "32"),  # a province code does not name a regency or city
        ("jalan", "99.01"),  # a region the registry does not cover
        ("lingkungan", "99"),
        ("lainnya", "32.73"),  # a category without a rule
        ("no-such-category", "32.73"),
    ],
)
def test_no_candidate(category, region):
    assert REGISTRY.candidates(category, region) == []


def test_no_category_no_candidate():
    assert REGISTRY.candidates(None, "32.73") == []
    assert REGISTRY.candidates("", "32.73") == []


def test_named_agencies_need_no_region():
    assert REGISTRY.candidates("jkn", None) == [("jkn-bpjs", "bpjs-kesehatan")]
    assert REGISTRY.candidates("transportasi", None) == [("transportasi-nasional", "kemenhub")]


def test_candidates_have_no_repeats():
    registry = registry_from_data(
        {
            "agencies": [
                {"code": "prov-a", "name": "A", "kind": "province", "region_code": "31"},
            ]
        },
        {
            "categories": ["x"],
            "rules": [
                {
                    "id": "named",
                    "category": "x",
                    "region_prefix": "31",
                    "target": {"agency": "prov-a"},
                },
                {
                    "id": "tier",
                    "category": "x",
                    "region_prefix": None,
                    "target": {"tier": "province"},
                },
            ],
        },
    )
    assert registry.candidates("x", "31.74") == [("named", "prov-a")]


# -- escalation and queues -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("kota-bandung.dinas-pupr", (Tier.AGENCY, "kota-bandung")),
        ("kota-bandung", (Tier.PROVINCE, "prov-jawa-barat")),
        ("kab-bogor", (Tier.PROVINCE, "prov-jawa-barat")),
        ("prov-jawa-barat.dinas-pendidikan", (Tier.PROVINCE, "prov-jawa-barat")),
        ("prov-jawa-barat", (Tier.NATIONAL_ADMIN, None)),
        ("kemenkes.ditjen-yankes", (Tier.AGENCY, "kemenkes")),
        ("kemenkes", (Tier.NATIONAL_ADMIN, None)),
        ("bpjs-kesehatan", (Tier.NATIONAL_ADMIN, None)),
        ("no-such-agency", (Tier.NATIONAL_ADMIN, None)),
        (None, (Tier.NATIONAL_ADMIN, None)),
    ],
)
def test_escalation_target(code, expected):
    assert REGISTRY.escalation_target(code) == expected


def test_the_escalation_chain_goes_unit_agency_province_national_admin():
    chain: list[tuple[Tier, str | None]] = []
    code: str | None = "kota-surabaya.dinas-kesehatan"
    while code is not None:
        tier, code = REGISTRY.escalation_target(code)
        chain.append((tier, code))
    assert chain == [
        (Tier.AGENCY, "kota-surabaya"),
        (Tier.PROVINCE, "prov-jawa-timur"),
        (Tier.NATIONAL_ADMIN, None),
    ]


def test_every_escalation_chain_reaches_the_national_admin():
    for agency in REGISTRY:
        code: str | None = agency.code
        for _ in range(4):
            tier, code = REGISTRY.escalation_target(code)
            if code is None:
                assert tier is Tier.NATIONAL_ADMIN
                break
        else:
            pytest.fail(f"{agency.code}: no national admin within four steps")


def test_queue_owner_of_a_unit_is_its_parent():
    assert REGISTRY.queue_owner("kota-bandung.dinas-pupr") == "kota-bandung"
    assert REGISTRY.queue_owner("kemenkes.ditjen-yankes") == "kemenkes"
    assert REGISTRY.queue_owner("kota-bandung") == "kota-bandung"
    assert REGISTRY.queue_owner("prov-jawa-barat") == "prov-jawa-barat"
    assert REGISTRY.queue_owner("unknown-agency") == "unknown-agency"


# -- broken data is refused ---------------------------------------------------------------------


def test_a_broken_parent_link_is_refused():
    with pytest.raises(ValueError, match="unknown parent"):
        registry_from_data(
            {"agencies": [{"code": "u", "name": "U", "kind": "work_unit", "parent": "missing"}]},
            {"rules": []},
        )


def test_a_rule_naming_an_unknown_agency_is_refused():
    with pytest.raises(ValueError, match="unknown agency"):
        registry_from_data(
            {"agencies": []},
            {"rules": [{"id": "r", "category": "x", "target": {"agency": "missing"}}]},
        )


def test_the_registry_type():
    assert isinstance(REGISTRY, Registry)
    assert REGISTRY.get(None) is None
    assert REGISTRY.get("kemenkes") is REGISTRY.agencies["kemenkes"]
