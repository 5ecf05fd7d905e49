"""Housing (ERP): the municipal public-housing stock managed by MM SpA.

Contracts in ``contracts``, the synthetic extract in ``demo``, the marts
(``mart.housing_*``, ``mart.housing_renovations``) in ``marts``.
"""

from etl.domains.housing.contracts import CONTRACTS
from etl.domains.housing.demo import generate
from etl.domains.housing.marts import MARTS, build_marts

__all__ = ["CONTRACTS", "MARTS", "build_marts", "generate"]
