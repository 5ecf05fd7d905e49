"""The warehouse domains, in build order.

Each domain is a package exposing the same four things, so the build never
special-cases one:

* ``CONTRACTS``: the landing contracts it reads (``etl.contracts.Contract``);
* ``generate(ctx: etl.demo.DemoContext)``: writes its synthetic landing files;
* ``MARTS``: its ``mart.*`` tables as :class:`etl.marts.Mart` records (SQL, what a row
  is, and for published ones the catalogue entry with column docs), in build order;
* ``build_marts(con, ctx: etl.build.BuildContext)``: checks the cross-column rules
  (``etl.checks``) and creates ``MARTS`` from ``staging.*``.

Later domains may read earlier marts (programme projects before housing works).
"""

from __future__ import annotations

import re
from dataclasses import replace
from types import ModuleType

from etl.catalog import Dataset
from etl.contracts import Contract
from etl.domains import geography, housing, mobility, programme, social
from etl.marts import reads

DOMAINS: tuple[ModuleType, ...] = (geography, programme, housing, social, mobility)


def all_contracts() -> list[Contract]:
    return [c for d in DOMAINS for c in d.CONTRACTS]


def datasets() -> tuple[Dataset, ...]:
    """Every published dataset, in domain and mart order, gathered from the mart records."""
    return tuple(replace(m.dataset, domain=d.__name__.rsplit(".", 1)[-1])
                 for d in DOMAINS for m in d.MARTS if m.dataset is not None)


_STAGED = re.compile(r"\bstaging\.(\w+)")


def dataset_contracts() -> dict[str, tuple[str, ...]]:
    """The landing contracts each published dataset is made from, read from its mart's SQL
    and the marts that SQL reads (``meta.dataset_contracts``: an ingest of a contract
    changes exactly these datasets' ``modified`` and their data-quality findings)."""
    marts = {m.name: m for d in DOMAINS for m in d.MARTS}

    def sources(name: str, seen: frozenset[str]) -> set[str]:
        sql = marts[name].sql
        found = set(_STAGED.findall(sql))
        for other in marts:
            if other not in seen and reads(sql, marts[other]):
                found |= sources(other, seen | {other})
        return found

    return {m.dataset.id: tuple(sorted(sources(m.name, frozenset({m.name}))))
            for d in DOMAINS for m in d.MARTS if m.dataset is not None}
