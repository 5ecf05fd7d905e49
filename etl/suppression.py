"""Statistical disclosure control for published social-services counts.

Social-services counts are sensitive: a published "2 users" of a dormitory in a
small area can identify people. Every count table that leaves the warehouse
(``mart.social_usage_monthly``, ``mart.bed_occupancy_daily``) goes through
:func:`suppress` once, and every channel (charts, downloads, API, reports)
reads only that suppressed table, so no channel can leak a raw count.

The rule (Sistan deontological rules, Istat "Metodi e norme" n. 20, ESSnet
handbook; see docs/data-model.md, "Statistical disclosure control"):

1. **Primary suppression**: a cell with ``1 <= n < threshold`` is suppressed.
   The threshold is 5, and may be raised per row (``threshold`` given as a
   column name), e.g. 10 for GDPR art. 9 special categories such as disability.
   Zeros are published: an empty cell identifies nobody.
2. **Secondary (complementary) suppression**: a *group* is a set of cells whose
   total is published or derivable (a row, column or area total of the same
   table; ``margins`` names them). A group that holds exactly one suppressed
   cell would give that cell away by subtraction, so the next-smallest cell of
   the group is suppressed too, preferring non-zero cells; repeated until no
   group of any margin holds exactly one suppressed cell.
3. **Stable pattern**: every group lies inside one ``partition`` (the month or
   the day), and ties are broken by the cell keys, so adding a new month never
   changes what was suppressed in earlier months and the same input always
   gives the same pattern (no differencing between releases).
4. A suppressed cell keeps its row, with the value NULL and ``flag = 'c'``
   (Eurostat's "confidential"); other cells have ``flag`` NULL.

Totals must be computed from the suppressed table (they are then lower bounds
where a group holds suppressed cells), never from staging. A group with a
single cell cannot be protected by a complement: its total *is* the cell, so no
such total may be published separately.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

PRIMARY_THRESHOLD = 5
#: threshold for GDPR art. 9 special categories (health, disability)
SPECIAL_CATEGORY_THRESHOLD = 10
FLAG_CONFIDENTIAL = "c"
_SUPPRESSED = "__suppressed"
_ROW = "__row"


def default_margins(dims: Sequence[str], partition: Sequence[str] = ()) -> list[list[str]]:
    """One-dimensional totals along every non-partition dimension.

    For a table ``month x municipio x service x group`` partitioned by month this
    is the three totals "all municipi", "all services", "all groups" of each
    month. Checking these suffices for every coarser total too: if any coarser
    group held exactly one suppressed cell, so would the line through that cell.
    """
    free = [d for d in dims if d not in partition]
    return [list(partition) + [d for d in free if d != drop] for drop in free]


def suppress(
    frame: pl.DataFrame,
    value: str,
    dims: Sequence[str],
    *,
    partition: Sequence[str] = (),
    margins: Sequence[Sequence[str]] | None = None,
    threshold: int | str = PRIMARY_THRESHOLD,
    flag: str = "flag",
) -> pl.DataFrame:
    """Return ``frame`` with small counts and their complements set NULL and flagged 'c'.

    ``dims`` identify a cell (unique together); ``partition`` are the dims no
    group crosses (the release period); ``margins`` lists the key columns of
    each published or derivable total (default: :func:`default_margins`);
    ``threshold`` is an int or the name of a column holding per-row thresholds.
    Column order and row order of ``frame`` are preserved.
    """
    dims = list(dims)
    missing = [c for c in [value, *dims, *partition] if c not in frame.columns]
    if missing:
        raise ValueError(f"suppress: unknown column(s) {', '.join(missing)}")
    if frame.select(dims).is_duplicated().any():
        raise ValueError(f"suppress: cells are not unique on ({', '.join(dims)})")
    if frame[value].null_count():
        raise ValueError(f"suppress: {value} holds NULLs before suppression")
    if (frame[value] < 0).any():
        raise ValueError(f"suppress: {value} holds negative counts")
    margins = [list(m) for m in (margins if margins is not None
                                 else default_margins(dims, partition))]
    for m in margins:
        if not set(partition) <= set(m):
            raise ValueError(f"suppress: margin {m} crosses the partition {list(partition)}")

    limit = pl.col(threshold) if isinstance(threshold, str) else pl.lit(threshold)
    work = frame.with_row_index(_ROW).with_columns(
        ((pl.col(value) >= 1) & (pl.col(value) < limit)).alias(_SUPPRESSED))

    order = [pl.col(value) == 0, pl.col(value), *[pl.col(d) for d in dims]]
    while True:
        added: list[pl.Series] = []
        for margin in margins:
            lonely = (work.group_by(margin)
                      .agg(pl.col(_SUPPRESSED).sum().alias("__n"))
                      .filter(pl.col("__n") == 1)
                      .drop("__n"))
            if lonely.is_empty():
                continue
            complement = (work.filter(~pl.col(_SUPPRESSED))
                          .join(lonely, on=margin, how="semi", nulls_equal=True)
                          .sort(order, nulls_last=True)
                          .group_by(margin, maintain_order=True)
                          .first())
            if not complement.is_empty():
                added.append(complement[_ROW])
        if not added:
            break
        rows = pl.concat(added).unique()
        work = work.with_columns(
            (pl.col(_SUPPRESSED) | pl.col(_ROW).is_in(rows.implode())).alias(_SUPPRESSED))

    return (work.with_columns(
        pl.when(pl.col(_SUPPRESSED)).then(None).otherwise(pl.col(value)).alias(value),
        pl.when(pl.col(_SUPPRESSED)).then(pl.lit(FLAG_CONFIDENTIAL))
        .otherwise(pl.lit(None, dtype=pl.String)).alias(flag))
        .sort(_ROW)
        .drop(_ROW, _SUPPRESSED))
