"""ponmetro-milano: PON Metro 2014-2020 monitoring dashboards and open-data hub for Milan."""

__version__ = "0.1.0"
