"""The warehouse domains, in build order.

Each domain is a package exposing the same three things, so the build never
special-cases one:

* ``CONTRACTS``: the landing contracts it reads (``etl.contracts.Contract``);
* ``generate(ctx: etl.demo.DemoContext)``: writes its synthetic landing files;
* ``build_marts(con, ctx: etl.build.BuildContext)``: turns ``staging.*`` tables
  into the ``mart.*`` tables pages, API and reports read.

Later domains may read earlier marts (programme projects before housing works).
"""

from __future__ import annotations

from types import ModuleType

from etl.contracts import Contract
from etl.domains import geography, housing, mobility, programme, social

DOMAINS: tuple[ModuleType, ...] = (geography, programme, housing, social, mobility)


def all_contracts() -> list[Contract]:
    return [c for d in DOMAINS for c in d.CONTRACTS]
