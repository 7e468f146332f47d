"""The JSON schema of `price_adjustment_rules`: demand- and time-based steps of a dynamic tier.

    {
      "demand_steps": [{"min_percent_sold": 50, "adjust_percent": 10},
                       {"min_percent_sold": 80, "adjust_percent": 25}],
      "time_steps":   [{"hours_before_start_lt": 24, "adjust_percent": 15}]
    }

- demand: the step with the highest `min_percent_sold` <= the linked section's
  percent sold applies;
- time: the step with the lowest `hours_before_start_lt` > the hours left
  before the event starts applies;
- the two adjustments add up (10 + 15 = +25 %) and apply to `current_price`;
  the result is clamped to `[min_price, max_price]`. A negative
  `adjust_percent` lowers the price.
See docs/pricing.md.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

AdjustPercent = Annotated[Decimal, Field(gt=-100, le=1000, max_digits=7, decimal_places=2)]


class DemandStep(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_percent_sold: Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
    adjust_percent: AdjustPercent


class TimeStep(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hours_before_start_lt: Annotated[Decimal, Field(gt=0, le=87600, max_digits=7, decimal_places=2)]
    adjust_percent: AdjustPercent


class AdjustmentRules(BaseModel):
    """`price_adjustment_rules` of a dynamic tier; both lists optional, at most 20 steps each."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    demand_steps: Annotated[list[DemandStep], Field(max_length=20)] = []
    time_steps: Annotated[list[TimeStep], Field(max_length=20)] = []

    @field_validator("demand_steps")
    @classmethod
    def _distinct_demand(cls, steps: list[DemandStep]) -> list[DemandStep]:
        if len({s.min_percent_sold for s in steps}) != len(steps):
            raise ValueError("min_percent_sold values must be distinct")
        return sorted(steps, key=lambda s: s.min_percent_sold)

    @field_validator("time_steps")
    @classmethod
    def _distinct_time(cls, steps: list[TimeStep]) -> list[TimeStep]:
        if len({s.hours_before_start_lt for s in steps}) != len(steps):
            raise ValueError("hours_before_start_lt values must be distinct")
        return sorted(steps, key=lambda s: s.hours_before_start_lt)

    def demand_adjustment(self, percent_sold: Decimal | None) -> Decimal | None:
        """The percent of the highest demand step reached, or None."""
        if percent_sold is None:
            return None
        reached = [s for s in self.demand_steps if percent_sold >= s.min_percent_sold]
        return reached[-1].adjust_percent if reached else None

    def time_adjustment(self, hours_left: Decimal | None) -> Decimal | None:
        """The percent of the tightest time step the event is inside of, or None."""
        if hours_left is None:
            return None
        hours_left = max(hours_left, Decimal(0))
        inside = [s for s in self.time_steps if hours_left < s.hours_before_start_lt]
        return inside[0].adjust_percent if inside else None

    def as_json(self) -> dict[str, list[dict[str, Decimal]]]:
        return {
            "demand_steps": [s.model_dump() for s in self.demand_steps],
            "time_steps": [s.model_dump() for s in self.time_steps],
        }
