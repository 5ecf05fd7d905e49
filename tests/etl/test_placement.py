"""Point placement through the grid gives the answers of the exact STRtree path.

``Geography.polygon_of`` bins points on a raster and queries the tree only for points
in cells a border crosses; these tests place points where a raster could go wrong
(vertices, shared edges, cell edges, the bounds, non-finite coordinates) and compare
with ``exact_polygon_of``, on the demo geography of a build and on the real portal
polygons when present.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
import shapely

from etl.connectors.located import _index
from etl.domains.geography.index import CityGeography, point_index
from etl.geo import MIXED, Geography
from etl.marts import register_placement


@pytest.fixture(scope="module")
def demo(warehouse) -> CityGeography:
    """The point index a build uses, over the demo warehouse's geography."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return point_index(con)


@pytest.fixture(scope="module")
def real(realdata) -> list[Geography]:
    nil = realdata / "nil" / "administrative-nil.geo.json"
    municipi = realdata / "municipi" / "administrative-municipi.geo.json"
    if not (nil.exists() and municipi.exists()):
        pytest.skip(f"real NIL/municipi polygons not present under {realdata}")
    return [_index(nil, "ID_NIL", None), _index(municipi, "MUNICIPIO", None)]


def hard_points(geo: Geography, n: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
    """Random points in and around the bounds, every vertex, every edge midpoint, points
    on the grid's cell edges and on the bounds, and non-finite coordinates."""
    rng = np.random.default_rng(14)
    grid = geo.grid
    w, h = grid.x1 - grid.x0, grid.y1 - grid.y0
    parts = [np.column_stack([rng.uniform(grid.x0 - w / 10, grid.x1 + w / 10, n),
                              rng.uniform(grid.y0 - h / 10, grid.y1 + h / 10, n)])]
    rings = shapely.get_rings(geo.polygons)
    for ring in rings:
        xy = shapely.get_coordinates(ring)
        parts += [xy, (xy[:-1] + xy[1:]) / 2]  # vertices; midpoints of (shared) edges
    ny, nx = grid.cells.shape
    xs = grid.x0 + np.arange(nx + 1) * (w / nx)  # cell edges, as binning computes them
    ys = grid.y0 + np.arange(ny + 1) * (h / ny)
    parts += [np.column_stack([rng.choice(xs, n), rng.uniform(grid.y0, grid.y1, n)]),
              np.column_stack([rng.uniform(grid.x0, grid.x1, n), rng.choice(ys, n)]),
              np.column_stack([rng.choice(xs, n), rng.choice(ys, n)]),
              np.column_stack([np.nextafter(rng.choice(xs, n), -np.inf), rng.choice(ys, n)]),
              [[grid.x0, grid.y0], [grid.x1, grid.y1], [grid.x1, grid.y0], [grid.x0, grid.y1],
               [np.nextafter(grid.x1, np.inf), grid.y1]]]
    odd = np.array([np.nan, np.inf, -np.inf])
    parts.append(np.column_stack([np.repeat(odd, 3), np.tile(odd, 3)]))
    parts.append(np.column_stack([odd, np.full(3, (grid.y0 + grid.y1) / 2)]))
    parts.append(np.column_stack([np.full(3, (grid.x0 + grid.x1) / 2), odd]))
    xy = np.concatenate(parts)
    return xy[:, 0].copy(), xy[:, 1].copy()


def assert_same_as_exact(geo: Geography) -> None:
    lon, lat = hard_points(geo)
    fast, exact = geo.polygon_of(lon, lat), geo.exact_polygon_of(lon, lat)
    wrong = np.flatnonzero(fast != exact)
    assert not len(wrong), [(lon[i], lat[i], fast[i], exact[i]) for i in wrong[:5]]
    assert (exact >= 0).any() and (exact == -1).any()  # the points reach both answers
    assert (fast[np.isnan(lon) | np.isinf(lat)] == -1).all()


def test_demo_placement_is_exact(demo):
    assert_same_as_exact(demo)
    assert_same_as_exact(demo.municipi)


def test_real_placement_is_exact(real):
    for geo in real:
        assert_same_as_exact(geo)


def test_border_points_keep_the_first_polygon_found(demo):
    """A vertex shared by several NIL goes to the one the tree finds first, as before."""
    xy = shapely.get_coordinates(demo.polygons)
    lon, lat = xy[:, 0].copy(), xy[:, 1].copy()
    hits = demo._tree.query(shapely.points(lon, lat), predicate="intersects")[0]
    shared = np.bincount(hits, minlength=len(lon)) > 1
    assert shared.sum() > 100  # the demo NIL do share borders
    assert np.array_equal(demo.polygon_of(lon[shared], lat[shared]),
                          demo.exact_polygon_of(lon[shared], lat[shared]))


def test_empty_input(demo):
    empty = np.array([], dtype=float)
    nil, mun = demo.assign(empty, empty)
    assert nil.shape == mun.shape == (0,) and nil.dtype == np.int64


def test_most_points_skip_the_exact_path(demo):
    """The grid answers for nearly every point: only cells a border crosses are queried."""
    geo = CityGeography(demo.nil_ids, demo.municipio_ids, demo.polygons)
    rng = np.random.default_rng(7)
    g = geo.grid
    lon, lat = rng.uniform(g.x0, g.x1, 200_000), rng.uniform(g.y0, g.y1, 200_000)
    found = geo.polygon_of(lon, lat)
    assert geo.placed_points == 200_000
    assert 0 < geo.exact_points < 0.05 * geo.placed_points
    assert np.mean(g.cells == MIXED) < 0.05
    assert np.array_equal(found, geo.exact_polygon_of(lon, lat))
    # and the answers do come from the grid: a grid that says "outside" everywhere
    # leaves only the points of border cells placed
    geo.__dict__["grid"] = type(g)(g.x0, g.y0, g.x1, g.y1, np.full_like(g.cells, -1))
    assert (geo.polygon_of(lon, lat) == -1).all()


def test_udfs_compute_only_the_placement_asked(demo):
    geo = point_index_copy(demo)

    class Ctx:
        pass
    Ctx.geo = geo
    con = duckdb.connect()
    register_placement(con, Ctx)
    lon, lat = hard_points(geo, 5_000)
    con.execute("CREATE TABLE p AS SELECT unnest(?) AS lon, unnest(?) AS lat",
                [lon.tolist(), lat.tolist()])
    con.execute("INSERT INTO p VALUES (NULL, 45.46), (9.19, NULL)")
    nil = [r[0] for r in con.execute("SELECT nil_of(lon, lat) FROM p").fetchall()]
    assert geo.placed_points >= len(lon) and geo.municipi.placed_points == 0
    done = geo.placed_points
    mun = [r[0] for r in con.execute("SELECT municipio_of(lon, lat) FROM p").fetchall()]
    assert geo.placed_points == done and geo.municipi.placed_points >= len(lon)
    want_nil = demo.nil_ids[demo.exact_polygon_of(lon, lat)]
    found = demo.municipi.exact_polygon_of(lon, lat)
    want_mun = demo.municipi.nil_ids[found]
    assert nil == [int(v) if i >= 0 else None for v, i in
                   zip(want_nil, demo.exact_polygon_of(lon, lat), strict=True)] + [None, None]
    assert mun == [int(v) if i >= 0 else None for v, i in
                   zip(want_mun, found, strict=True)] + [None, None]
    assert any(v is not None for v in nil) and any(v is not None for v in mun)


def point_index_copy(demo: CityGeography) -> CityGeography:
    """A fresh index over the same polygons, with its own counters."""
    geo = CityGeography(demo.nil_ids, demo.municipio_ids, demo.polygons)
    m = demo.municipi
    geo.municipi = Geography(m.nil_ids, m.municipio_ids, m.polygons)
    return geo


def test_the_grid_is_built_once_enough_points_come(demo):
    """A few points go the exact way (a grid would cost more than it saves); from
    GRID_AFTER points on, the grid places them."""
    from etl.geo import GRID_AFTER

    geo = point_index_copy(demo)
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(9.1, 9.3, GRID_AFTER), rng.uniform(45.4, 45.55, GRID_AFTER)
    few = geo.polygon_of(lon[:100], lat[:100])
    assert "grid" not in geo.__dict__ and geo.exact_points == 100
    rest = geo.polygon_of(lon[100:], lat[100:])
    assert "grid" in geo.__dict__ and geo.exact_points < 100 + 0.05 * (GRID_AFTER - 100)
    assert np.array_equal(np.concatenate([few, rest]), geo.exact_polygon_of(lon, lat))


def test_placement_columns_cross_arrow_unchanged():
    """The UDF's Arrow in and out: a sliced or chunked DOUBLE column reads as its values
    (NULL as NaN), and -1 comes back as NULL, every other id as itself."""
    import pyarrow as pa

    from etl.marts import _floats, _ids_or_null
    values = pa.array([1.5, 2.5, 3.5, 4.5, 5.5])
    assert _floats(values.slice(2, 2)).tolist() == [3.5, 4.5]
    assert _floats(pa.chunked_array([values.slice(1, 2), values.slice(4)])).tolist() == \
        [2.5, 3.5, 5.5]
    assert np.isnan(_floats(pa.chunked_array([pa.array([1.0, None])]))).tolist() == \
        [False, True]
    ids = np.array([3, -1, 0, 7, -1, -1, -1, -1, -1, 12])
    out = _ids_or_null(ids)
    out.validate(full=True)
    assert out.type == pa.int64()
    assert out.to_pylist() == [3, None, 0, 7, None, None, None, None, None, 12]
    assert _ids_or_null(np.array([4, 5])).to_pylist() == [4, 5]
