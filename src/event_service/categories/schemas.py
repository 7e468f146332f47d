"""Request models for categories."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field, field_validator

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
COLOR_PATTERN = r"^#[0-9A-Fa-f]{6}$"


class CategoryCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    slug: str | None = Field(default=None, min_length=1, max_length=100, pattern=SLUG_PATTERN)
    parent_id: uuid.UUID | None = None
    description: str | None = Field(default=None, max_length=5000)
    icon: str | None = Field(default=None, max_length=50)
    color: str | None = Field(default=None, pattern=COLOR_PATTERN, description="#RRGGBB")
    display_order: int = Field(default=0, ge=0, le=1_000_000)
    is_active: bool = True
    is_featured: bool = False
    meta_title: str | None = Field(default=None, max_length=70)
    meta_description: str | None = Field(default=None, max_length=160)


_REQUIRED_WHEN_GIVEN = ("name", "slug", "display_order", "is_active", "is_featured")


class CategoryUpdate(BaseModel):
    """Partial: only the fields sent change; `parent_id: null` moves the category to the top level."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=100)
    slug: str | None = Field(default=None, min_length=1, max_length=100, pattern=SLUG_PATTERN)
    parent_id: uuid.UUID | None = None
    description: str | None = Field(default=None, max_length=5000)
    icon: str | None = Field(default=None, max_length=50)
    color: str | None = Field(default=None, pattern=COLOR_PATTERN, description="#RRGGBB")
    display_order: int | None = Field(default=None, ge=0, le=1_000_000)
    is_active: bool | None = None
    is_featured: bool | None = None
    meta_title: str | None = Field(default=None, max_length=70)
    meta_description: str | None = Field(default=None, max_length=160)

    @field_validator(*_REQUIRED_WHEN_GIVEN)
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Runs only for fields that were sent: an explicit null is refused.
        if value is None:
            raise ValueError("may not be null")
        return value

    def changes(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.model_fields_set}
