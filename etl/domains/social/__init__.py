"""Social services: sites, monthly usage and bed occupancy of the Social Policy Directorate.

Contracts in ``contracts``, the synthetic extracts in ``demo``, the marts
(``mart.social_sites``, ``mart.social_usage_monthly``, ``mart.social_bed_occupancy_daily``,
all counts after disclosure control) in ``marts``.
"""

from etl.domains.social.contracts import CONTRACTS
from etl.domains.social.demo import generate
from etl.domains.social.marts import MARTS, build_marts

__all__ = ["CONTRACTS", "MARTS", "build_marts", "generate"]
