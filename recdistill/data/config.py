"""The typed ``data:`` section of a run config: sources, column mapping, cleaning.

Beside the data layer that reads it (STYLE.md: typed configs beside what they
configure), so the loaders depend on nothing above them. Re-exported by
:mod:`recdistill.config`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Strict(BaseModel):
    """Base for config sections: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


Format = Literal["csv", "tsv", "parquet", "movielens", "atomic", "amazon", "sql"]


class InteractionsSource(Strict):
    """Where the interaction log comes from and which columns mean what."""

    path: str = Field(description="A file, a folder, or a database URL (format: sql).")
    format: Format = Field(description="Source layout.")
    user: str = Field("user_id", description="User id column (csv/tsv/parquet/sql).")
    item: str = Field("item_id", description="Item id column (csv/tsv/parquet/sql).")
    time: str | None = Field(
        "timestamp",
        description="Time or order column; null keeps file order. Numbers are taken as Unix "
        "seconds or order keys; strings are parsed as dates.",
    )
    time_format: str | None = Field(
        None, description="strftime format for string times (default: ISO-8601 detection)."
    )
    rating: str | None = Field(None, description="Optional rating column.")
    min_rating: float | None = Field(
        None, description="Keep only rows with rating >= this (implicit-feedback threshold)."
    )
    query: str | None = Field(None, description="sql only: a table name or a SELECT statement.")
    sep: str | None = Field(None, description="Override the field separator (csv/tsv).")


class ItemsSource(Strict):
    """An optional item catalogue with the text columns a language model reads."""

    path: str = Field(description="A file, a folder, or a database URL (format: sql).")
    format: Format = Field(description="Source layout.")
    id: str = Field("item_id", description="Item id column.")
    text: list[str] = Field(
        default_factory=lambda: ["title"],
        description="Columns joined (with ' | ') into the item text.",
    )
    title: str | None = Field(
        None, description="Display title column (default: first text column)."
    )
    category: str | None = Field(None, description="Category column (optional).")
    image: str | None = Field(
        None,
        description="Column with each item's image file (optional): a path relative to the "
        "catalogue file's folder (sql: to the working directory) or absolute; no URLs.",
    )
    query: str | None = Field(None, description="sql only: a table name or a SELECT statement.")
    sep: str | None = Field(None, description="Override the field separator (csv/tsv).")

    @field_validator("text", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


class CleanConfig(Strict):
    """Cleaning steps, applied in this order: ratings, duplicates, repeats, k-core."""

    dedupe: bool = Field(True, description="Drop exact duplicate events (same user, item, time).")
    repeats: Literal["first", "last", "keep"] = Field(
        "first",
        description="Repeated user-item pairs: keep the first, the last, or all. Full ranking "
        "masks seen items, so a repeat could never be a hit; 'keep' only makes sense with "
        "evaluation.mask_seen false.",
    )
    min_user_interactions: int = Field(
        0, ge=0, description="k-core: users need at least this many."
    )
    min_item_interactions: int = Field(
        0, ge=0, description="k-core: items need at least this many."
    )
    keep_cold_items: bool = Field(
        False, description="Keep catalogue items that have no interactions in the item universe."
    )


class DataConfig(Strict):
    name: str | None = Field(None, description="Dataset name in reports (default: from the path).")
    interactions: InteractionsSource = Field(description="The interaction log.")
    items: ItemsSource | None = Field(None, description="The item catalogue (optional).")
    clean: CleanConfig = Field(default_factory=CleanConfig, description="Cleaning steps.")
