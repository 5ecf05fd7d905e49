"""The peer's filtered question asks a different value on each timed request (the API
keeps per-value totals, so asking one value 30 times would measure a lookup)."""

from __future__ import annotations

from bench import peer


def test_values_are_spread_and_start_with_the_planned_one(warehouse):
    p = peer.plan(warehouse)
    asked = peer.values(warehouse, p, 31)
    assert len(asked) == 31 and asked[0] == p.value
    assert len(set(asked)) == 31  # the demo table has more than 31 stations
    mine, theirs = peer.filtered_urls(p, "http://a", "http://b", asked[3])
    assert asked[3] in mine and asked[3] in theirs
    few = peer.values(warehouse, p, 3)
    assert few[0] == p.value and len(set(few)) == 3
