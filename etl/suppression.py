"""Statistical disclosure control for published social-services counts.

Social-services counts are sensitive: a published "2 users" of a dormitory in a
small area can identify people. Every count table that leaves the warehouse
(``mart.social_usage_monthly``, ``mart.social_bed_occupancy_daily``) goes through
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
3. **Exact audit**: the "no lonely cell" rule is a heuristic; totals of several
   groups together can still pin a cell down. After it, :func:`recoverable`
   solves the question exactly (linear algebra on all group totals of each
   partition); exposed cells get more complements, and callers publishing
   when no complement can help, :class:`DisclosureError` is raised: the
   build fails closed rather than publish a recoverable cell.
   Totals over a single cell are not constraints: such a total *is* the cell
   and is never published.
4. **Stable pattern**: every group lies inside one ``partition`` (the month or
   the day), and ties are broken by the cell keys, so adding a new month never
   changes what was suppressed in earlier months and the same input always
   gives the same pattern (no differencing between releases).
5. A suppressed cell keeps its row, with the value NULL and ``flag = 'c'``
   (Eurostat's "confidential"); other cells have ``flag`` NULL.

Totals must be computed from the suppressed table (they are then lower bounds
where a group holds suppressed cells), never from staging. Protection is
against exact recomputation; published totals of few, small cells still bound
a suppressed cell to a range, which is why zeros are not preferred complements.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

PRIMARY_THRESHOLD = 5
#: threshold for GDPR art. 9 special categories (health, disability)
SPECIAL_CATEGORY_THRESHOLD = 10
FLAG_CONFIDENTIAL = "c"
_SUPPRESSED = "__suppressed"


class DisclosureError(RuntimeError):
    """The table cannot be published safely: a suppressed cell stays recoverable."""

_ROW = "__row"
_PART = "__partition"


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
    Column order and row order of ``frame`` are preserved. Raises
    :class:`DisclosureError` when no suppression pattern protects every cell.
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
        ((pl.col(value) >= 1) & (pl.col(value) < limit)).alias(_SUPPRESSED),
        pl.Series(_PART, _group_codes(frame, list(partition))))

    dirty = work[_PART].unique()  # partitions whose pattern changed since their audit
    while True:
        changed = True
        while changed:
            changed = False
            for margin in margins:
                complement = _complements(work, margin, margins, value, dims)
                if complement is not None:
                    dirty = pl.concat([dirty, work[_PART].gather(complement)]).unique()
                    work = _mark(work, complement)
                    changed = True
        # The "no lonely cell" rule is a heuristic; the exact audit catches the
        # rarer patterns where totals of several groups still pin a cell down.
        audited = work.filter(pl.col(_PART).is_in(dirty.implode()))
        exposed = audited.filter(_recoverable_mask(audited, _SUPPRESSED, margins,
                                                   [_PART, *_shared_keys(margins)]))
        if exposed.is_empty():
            break
        extra = _protect_exposed(work, exposed, [*margins, [_PART]], value, dims)
        if extra is None:
            first = exposed.row(0, named=True)
            raise DisclosureError(
                f"{exposed.height} suppressed cell(s) stay recoverable from the totals even "
                f"with every cell of their partition suppressed, e.g. "
                f"{ {d: first[d] for d in dims} }: publish fewer totals or a coarser table")
        # exposed partitions stay dirty even if this round's complements went elsewhere
        dirty = pl.concat([exposed[_PART], work[_PART].gather(extra)]).unique()
        work = _mark(work, extra)

    return (work.with_columns(
        pl.when(pl.col(_SUPPRESSED)).then(None).otherwise(pl.col(value)).alias(value),
        pl.when(pl.col(_SUPPRESSED)).then(pl.lit(FLAG_CONFIDENTIAL))
        .otherwise(pl.lit(None, dtype=pl.String)).alias(flag))
        .sort(_ROW)
        .drop(_ROW, _SUPPRESSED, _PART))


def _mark(work: pl.DataFrame, rows: pl.Series) -> pl.DataFrame:
    return work.with_columns(
        (pl.col(_SUPPRESSED) | pl.col(_ROW).is_in(rows.implode())).alias(_SUPPRESSED))


def _shared_keys(margins: list[list[str]]) -> list[str]:
    """Keys present in every margin: no group crosses them, so the audit splits on them."""
    return [k for k in margins[0] if all(k in m for m in margins)] if margins else []


def recoverable(frame: pl.DataFrame, dims: Sequence[str], *, partition: Sequence[str] = (),
                margins: Sequence[Sequence[str]] | None = None,
                flag: str = "flag") -> pl.Series:
    """Audit a published table: which flagged cells the totals of ``margins`` determine.

    Knowing every group total and every published cell, an attacker learns the
    sum of the suppressed cells of each group: a linear system whose unknowns
    are the suppressed cells. A cell is recoverable exactly when every solution
    of the homogeneous system leaves it unchanged, i.e. it is zero in every
    null-space vector. Returns one boolean per row of ``frame``.
    """
    margins = [list(m) for m in (margins if margins is not None
                                 else default_margins(dims, partition))]
    work = frame.with_columns((pl.col(flag) == FLAG_CONFIDENTIAL).fill_null(False)
                              .alias(_SUPPRESSED))
    blocks = list(dict.fromkeys([*partition, *_shared_keys(margins)]))
    return _recoverable_mask(work, _SUPPRESSED, margins, blocks).alias("recoverable")


def _recoverable_mask(work: pl.DataFrame, suppressed: str, margins: list[list[str]],
                      partition: Sequence[str]) -> pl.Series:
    mask = np.zeros(work.height, dtype=bool)
    if not margins:
        return pl.Series(mask)
    # a total over a single cell is that cell: it is never published, so it is no constraint
    sized = work.with_row_index("__pos").with_columns(
        [pl.len().over(m).alias(f"__size{i}") for i, m in enumerate(margins)])
    indexed = sized.filter(pl.col(suppressed))
    if indexed.is_empty():
        return pl.Series(mask)
    ids = [np.where(indexed[f"__size{i}"].to_numpy() > 1, _group_codes(indexed, m), -1)
           for i, m in enumerate(margins)]
    parts = _group_codes(indexed, list(partition))
    positions = indexed["__pos"].to_numpy()
    for part in np.unique(parts):
        cells = np.flatnonzero(parts == part)
        blocks = []
        for g in ids:
            keep = g[cells] >= 0
            if not keep.any():
                continue
            local = np.unique(g[cells][keep], return_inverse=True)[1]
            block = np.zeros((local.max() + 1, cells.size))
            block[local, np.flatnonzero(keep)] = 1.0
            blocks.append(block)
        if not blocks:
            continue
        system = np.vstack(blocks)
        # null(A) = null(A'A): the eigenvectors of the small Gram matrix with eigenvalue 0
        eigval, eigvec = np.linalg.eigh(system.T @ system)
        kernel = eigvec[:, eigval < 1e-8]
        pinned = (np.abs(kernel).max(axis=1) < 1e-8 if kernel.size
                  else np.ones(cells.size, dtype=bool))
        mask[positions[cells[pinned]]] = True
    return pl.Series(mask)


def _group_codes(frame: pl.DataFrame, keys: list[str]) -> np.ndarray:
    """Dense integer code of each row's group (NULL keys form their own group)."""
    if not keys:
        return np.zeros(frame.height, dtype=np.int64)
    text = frame.select(pl.concat_str([pl.col(k).cast(pl.String).fill_null("\x00")
                                       for k in keys], separator="\x1f")).to_series()
    return np.unique(text.to_numpy(), return_inverse=True)[1].astype(np.int64)


def _protect_exposed(work: pl.DataFrame, exposed: pl.DataFrame, margins: list[list[str]],
                     value: str, dims: list[str]) -> pl.Series | None:
    """For each recoverable cell, suppress the smallest published cell sharing a group."""
    if exposed.is_empty():
        return None
    order = [pl.col(value) == 0, pl.col(value), *[pl.col(d) for d in dims]]
    for margin in margins:
        chosen = (work.filter(~pl.col(_SUPPRESSED))
                  .join(exposed.select(margin).unique(), on=margin, how="semi",
                        nulls_equal=True)
                  .sort(order, nulls_last=True)
                  .group_by(margin, maintain_order=True)
                  .first())
        if not chosen.is_empty():
            return chosen[_ROW]
    return None


def _complements(work: pl.DataFrame, margin: list[str], margins: list[list[str]],
                 value: str, dims: list[str]) -> pl.Series | None:
    """Rows to suppress so no group of ``margin`` holds exactly one suppressed cell.

    In each such group the complement is the cell that does least collateral
    damage: first the one that leaves the fewest *other* groups with a single
    suppressed cell (it fixes groups holding one already, and creates no new
    ones where it can), then a non-zero cell, then the smallest value, then
    the cell keys, so the choice is deterministic.
    """
    lonely = (work.group_by(margin)
              .agg(pl.col(_SUPPRESSED).sum().alias("__n"))
              .filter(pl.col("__n") == 1)
              .drop("__n"))
    if lonely.is_empty():
        return None
    candidates = (work.filter(~pl.col(_SUPPRESSED))
                  .join(lonely, on=margin, how="semi", nulls_equal=True))
    if candidates.is_empty():
        return None  # single-cell groups: nothing can protect them (see module notes)
    damage = pl.lit(0)
    for i, other in enumerate(m for m in margins if m != margin):
        counts = work.group_by(other).agg(pl.col(_SUPPRESSED).sum().alias(f"__s{i}"))
        candidates = candidates.join(counts, on=other, how="left", nulls_equal=True)
        # 0 suppressed -> this cell would leave the group lonely; 1 -> it protects it
        damage = damage + pl.when(pl.col(f"__s{i}") == 0).then(1).when(
            pl.col(f"__s{i}") == 1).then(-1).otherwise(0)
    chosen = (candidates.with_columns(damage.alias("__damage"))
              .sort([pl.col("__damage"), pl.col(value) == 0, pl.col(value),
                     *[pl.col(d) for d in dims]], nulls_last=True)
              .group_by(margin, maintain_order=True)
              .first())
    return chosen[_ROW]
