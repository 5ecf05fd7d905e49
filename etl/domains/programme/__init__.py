"""Programme: axes, actions, the 28 operations of Milan, money and indicators.

Landing contracts in :mod:`.contracts`, the programme facts in :mod:`.seed`,
the demo generator in :mod:`.demo`, the marts in :mod:`.marts`.
"""

from etl.domains.programme.contracts import CONTRACTS
from etl.domains.programme.demo import generate
from etl.domains.programme.marts import MARTS, build_marts

__all__ = ["CONTRACTS", "MARTS", "build_marts", "generate"]
