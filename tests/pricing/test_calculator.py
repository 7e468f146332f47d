"""The one price function: rules, precedence, rounding, and its properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from event_service.pricing.calculator import Tier, breakdown, to_cents, unit_price
from event_service.pricing.rules import AdjustmentRules

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
D = Decimal


def test_the_seeds_example_costs_248_40_in_total_and_124_20_per_ticket() -> None:
    tier = Tier(base_price=D("100.00"), service_fee=D("10.00"), facility_fee=D("5.00"), tax_rate=D("0.08"))
    figures = breakdown(tier, 2, NOW)
    assert figures.base_price == D("200.00")
    assert figures.service_fee == D("20.00")
    assert figures.facility_fee == D("10.00")
    assert figures.subtotal == D("230.00")
    assert figures.tax == D("18.40")
    assert figures.total == D("248.40")
    assert figures.per_ticket == D("124.20")
    assert figures.rule == "base"
    assert str(figures.total) == "248.40"


def test_a_tier_is_built_from_a_database_row() -> None:
    row = {
        "base_price": D("50.00"),
        "service_fee": D("5.00"),
        "facility_fee": D("2.50"),
        "tax_rate": D("0.0800"),
        "currency": "EUR",
        "is_dynamic": True,
        "min_price": D("40.00"),
        "max_price": D("80.00"),
        "current_price": D("60.00"),
        "price_adjustment_rules": {"demand_steps": [{"min_percent_sold": 50, "adjust_percent": 10}]},
        "group_size_min": 5,
        "group_discount_percentage": D("10.00"),
        "is_active": True,
    }
    tier = Tier.from_row(row)
    assert tier.currency == "EUR"
    assert tier.adjustment_rules is not None
    assert unit_price(tier, 1, NOW, percent_sold=D(60)) == (D("66.0000"), "dynamic+demand")


def test_early_bird_price_applies_before_early_bird_ends_at() -> None:
    tier = Tier(base_price=D("50.00"), early_bird_price=D("40.00"), early_bird_ends_at=NOW + timedelta(days=1))
    assert unit_price(tier, 1, NOW) == (D("40.00"), "early_bird")
    assert unit_price(tier, 1, NOW + timedelta(days=1)) == (D("50.00"), "base")


def test_last_minute_price_applies_from_last_minute_starts_at() -> None:
    tier = Tier(base_price=D("50.00"), last_minute_price=D("65.00"), last_minute_starts_at=NOW)
    assert unit_price(tier, 1, NOW - timedelta(seconds=1)) == (D("50.00"), "base")
    assert unit_price(tier, 1, NOW) == (D("65.00"), "last_minute")


def test_early_bird_wins_over_last_minute_and_both_win_over_dynamic() -> None:
    tier = Tier(
        base_price=D("50.00"),
        is_dynamic=True,
        min_price=D("10.00"),
        max_price=D("100.00"),
        current_price=D("70.00"),
        early_bird_price=D("30.00"),
        early_bird_ends_at=NOW + timedelta(hours=1),
        last_minute_price=D("90.00"),
        last_minute_starts_at=NOW - timedelta(hours=1),
    )
    assert unit_price(tier, 1, NOW)[1] == "early_bird"
    assert unit_price(tier, 1, NOW + timedelta(hours=2)) == (D("90.00"), "last_minute")
    no_windows = Tier(
        base_price=D("50.00"), is_dynamic=True, min_price=D("10"), max_price=D("100"), current_price=D("70")
    )
    assert unit_price(no_windows, 1, NOW) == (D("70"), "dynamic")


def test_a_dynamic_tier_uses_current_price_and_a_fixed_one_base_price() -> None:
    fixed = Tier(base_price=D("50.00"), current_price=D("45.00"))
    assert unit_price(fixed, 1, NOW) == (D("50.00"), "base")
    dynamic = Tier(base_price=D("50.00"), current_price=D("45.00"), is_dynamic=True, min_price=D(1), max_price=D(99))
    assert unit_price(dynamic, 1, NOW) == (D("45.00"), "dynamic")


def test_the_group_discount_applies_from_group_size_min_on_top_of_the_rule() -> None:
    tier = Tier(
        base_price=D("50.00"),
        early_bird_price=D("40.00"),
        early_bird_ends_at=NOW + timedelta(days=1),
        group_size_min=4,
        group_discount_percentage=D("10.00"),
    )
    assert unit_price(tier, 3, NOW) == (D("40.00"), "early_bird")
    price, rule = unit_price(tier, 4, NOW)
    assert (price, rule) == (D("36"), "early_bird+group")


def test_group_discount_is_rounded_once_at_the_end_not_per_ticket() -> None:
    tier = Tier(base_price=D("33.33"), group_size_min=3, group_discount_percentage=D("15.00"))
    figures = breakdown(tier, 100, NOW)
    assert figures.unit_price == D("28.3305")
    assert figures.base_price == D("2833.05")  # rounding the unit first would give 2833.00


def test_demand_steps_raise_a_dynamic_price_by_percent_sold_and_stay_under_max_price() -> None:
    rules = AdjustmentRules.model_validate(
        {
            "demand_steps": [
                {"min_percent_sold": 80, "adjust_percent": 50},
                {"min_percent_sold": 50, "adjust_percent": 10},
            ]
        }
    )
    tier = Tier(
        base_price=D("100.00"),
        is_dynamic=True,
        min_price=D("80.00"),
        max_price=D("120.00"),
        current_price=D("100.00"),
        adjustment_rules=rules,
    )
    assert unit_price(tier, 1, NOW, percent_sold=D(10)) == (D("100.00"), "dynamic")
    assert unit_price(tier, 1, NOW, percent_sold=D(50))[0] == D("110")
    assert unit_price(tier, 1, NOW, percent_sold=D(95)) == (D("120.00"), "dynamic+demand")


def test_time_steps_apply_by_hours_left_and_add_to_demand_steps() -> None:
    rules = AdjustmentRules.model_validate(
        {
            "demand_steps": [{"min_percent_sold": 50, "adjust_percent": 10}],
            "time_steps": [
                {"hours_before_start_lt": 72, "adjust_percent": 5},
                {"hours_before_start_lt": 24, "adjust_percent": -20},
            ],
        }
    )
    tier = Tier(
        base_price=D("100.00"),
        is_dynamic=True,
        min_price=D("50.00"),
        max_price=D("200.00"),
        adjustment_rules=rules,
    )
    assert unit_price(tier, 1, NOW, None, NOW + timedelta(hours=100)) == (D("100.00"), "dynamic")
    assert unit_price(tier, 1, NOW, None, NOW + timedelta(hours=48))[0] == D("105")
    assert unit_price(tier, 1, NOW, D(60), NOW + timedelta(hours=2)) == (D("90"), "dynamic+demand+time")


def test_a_dynamic_group_price_never_falls_below_min_price() -> None:
    tier = Tier(
        base_price=D("100.00"),
        is_dynamic=True,
        min_price=D("95.00"),
        max_price=D("150.00"),
        group_size_min=2,
        group_discount_percentage=D("50"),
    )
    assert unit_price(tier, 2, NOW) == (D("95.00"), "dynamic+group")


# --- properties ------------------------------------------------------------------------------------------------

money = st.decimals(min_value=D("0.00"), max_value=D("5000.00"), places=2)
rates = st.decimals(min_value=D("0.0000"), max_value=D("0.9999"), places=4)
percents = st.decimals(min_value=D("0.00"), max_value=D("100.00"), places=2)
adjusts = st.decimals(min_value=D("-99.00"), max_value=D("300.00"), places=2)
offsets = st.integers(min_value=-240, max_value=240).map(lambda h: NOW + timedelta(hours=h))


@st.composite
def tiers(draw: st.DrawFn) -> Tier:
    base = draw(money)
    dynamic = draw(st.booleans())
    low = draw(money)
    high = draw(money.filter(lambda m: m > low)) if dynamic else None
    rules = None
    if dynamic:
        rules = AdjustmentRules.model_validate(
            {
                "demand_steps": [
                    {"min_percent_sold": p, "adjust_percent": a}
                    for p, a in draw(st.dictionaries(percents, adjusts, max_size=3)).items()
                ],
                "time_steps": [
                    {"hours_before_start_lt": h, "adjust_percent": a}
                    for h, a in draw(st.dictionaries(st.integers(1, 500), adjusts, max_size=3)).items()
                ],
            }
        )
    group = draw(st.none() | st.integers(min_value=2, max_value=20))
    early = draw(st.none() | money.filter(lambda m: m <= base))
    late = draw(st.none() | money)
    return Tier(
        base_price=base,
        service_fee=draw(money),
        facility_fee=draw(money),
        tax_rate=draw(rates),
        is_dynamic=dynamic,
        min_price=low if dynamic else None,
        max_price=high,
        current_price=draw(money) if dynamic else base,
        adjustment_rules=rules,
        early_bird_price=early,
        early_bird_ends_at=draw(offsets) if early is not None else None,
        last_minute_price=late,
        last_minute_starts_at=draw(offsets) if late is not None else None,
        group_size_min=group,
        group_discount_percentage=draw(percents) if group is not None else None,
    )


quantities = st.integers(min_value=1, max_value=50)
sold = st.none() | percents
starts = st.none() | offsets


@settings(max_examples=200, deadline=None, database=None)
@given(tiers(), quantities, offsets, sold, starts)
def test_total_is_subtotal_plus_tax_and_nothing_is_negative(
    tier: Tier, quantity: int, at: datetime, percent_sold: Decimal | None, starts_at: datetime | None
) -> None:
    figures = breakdown(tier, quantity, at, percent_sold, starts_at)
    assert figures.subtotal == figures.base_price + figures.service_fee + figures.facility_fee
    assert figures.total == figures.subtotal + figures.tax
    for value in (figures.unit_price, figures.base_price, figures.subtotal, figures.tax, figures.total):
        assert value >= 0
    for value in (figures.base_price, figures.subtotal, figures.tax, figures.total, figures.per_ticket):
        assert value == to_cents(value)


@settings(max_examples=200, deadline=None, database=None)
@given(tiers(), quantities, offsets, sold, starts)
def test_rounding_happens_once_at_the_end(
    tier: Tier, quantity: int, at: datetime, percent_sold: Decimal | None, starts_at: datetime | None
) -> None:
    figures = breakdown(tier, quantity, at, percent_sold, starts_at)
    exact_unit, _ = unit_price(tier, quantity, at, percent_sold, starts_at)
    assert figures.unit_price == exact_unit
    assert figures.base_price == to_cents(exact_unit * quantity)
    assert figures.tax == to_cents(figures.subtotal * tier.tax_rate)
    assert figures.per_ticket == to_cents(figures.total / quantity)
    exact_total = (exact_unit + tier.service_fee + tier.facility_fee) * quantity * (1 + tier.tax_rate)
    assert abs(figures.total - exact_total) < D("0.015")


@settings(max_examples=200, deadline=None, database=None)
@given(tiers(), quantities, quantities, offsets, sold, starts)
def test_a_larger_group_never_pays_more_per_ticket_than_a_smaller_one(
    tier: Tier, q1: int, q2: int, at: datetime, percent_sold: Decimal | None, starts_at: datetime | None
) -> None:
    small, large = sorted((q1, q2))
    small_unit, _ = unit_price(tier, small, at, percent_sold, starts_at)
    large_unit, _ = unit_price(tier, large, at, percent_sold, starts_at)
    assert large_unit <= small_unit
    # Per ticket after fees and tax: the same or cheaper, up to the cent each figure is rounded to.
    small_ticket = breakdown(tier, small, at, percent_sold, starts_at).per_ticket
    large_ticket = breakdown(tier, large, at, percent_sold, starts_at).per_ticket
    assert large_ticket <= small_ticket + D("0.01")


@settings(max_examples=200, deadline=None, database=None)
@given(tiers(), quantities, offsets, sold, starts)
def test_a_dynamic_price_always_stays_inside_min_and_max(
    tier: Tier, quantity: int, at: datetime, percent_sold: Decimal | None, starts_at: datetime | None
) -> None:
    price, rule = unit_price(tier, quantity, at, percent_sold, starts_at)
    if rule.startswith("dynamic"):
        assert tier.min_price is not None and tier.max_price is not None
        assert tier.min_price <= price <= tier.max_price
