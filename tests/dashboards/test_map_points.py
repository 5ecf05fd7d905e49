"""Map points travel as one GeoJSON layer that holds every station, site and project."""

from __future__ import annotations

import sys

import dash_leaflet as dl
import pytest


def page_module(name: str):
    import dash

    for page in dash.page_registry.values():
        if page["module"].endswith(f"pages.{name}"):
            return sys.modules[page["module"]]
    raise LookupError(name)


def layers(component) -> list:
    """Every dash-leaflet layer inside a component tree."""
    found, stack = [], [component]
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(node)
            continue
        if isinstance(node, dl.GeoJSON | dl.CircleMarker | dl.LayerGroup):
            found.append(node)
        children = getattr(node, "children", None)
        if children is not None:
            stack.append(children)
    return found


def point_layer(component) -> dl.GeoJSON:
    points = [layer for layer in layers(component)
              if isinstance(layer, dl.GeoJSON) and str(layer.id).endswith("-points")]
    assert len(points) == 1, "one GeoJSON layer for all the points of a map"
    assert not [layer for layer in layers(component)
                if isinstance(layer, dl.CircleMarker | dl.LayerGroup)]
    assert points[0].pointToLayer == {"variable": "ponmetroMap.point"}
    return points[0]


@pytest.mark.parametrize("municipio", [None, 1, 8])
def test_station_layer_has_every_station_at_its_place(app, municipio):
    from dashboards import warehouse as door
    from dashboards.queries import mobility

    mobility_page = page_module("mobility")
    layer = point_layer(mobility_page.stations_map(municipio, 1, 8, "it"))
    features = layer.data["features"]
    expected = door.query(
        "SELECT station_id, name, lat, lon FROM mart.mobility_bike_stations "
        "WHERE lat IS NOT NULL AND (? IS NULL OR municipio_id = ?) ORDER BY name",
        [municipio, municipio])
    assert expected.height > 0
    assert len(features) == expected.height
    assert [f["geometry"]["coordinates"] for f in features] == \
        [[r["lon"], r["lat"]] for r in expected.iter_rows(named=True)]
    frame = mobility.stations(municipio, None, 1, 8)
    first = frame.filter(frame["lat"].is_not_null()).row(0, named=True)
    label = features[0]["properties"]["label"]
    assert label.startswith(f"{first['name']}: ") and "bici" in label
    assert {f["properties"]["color"] for f in features} <= {"#d1344c", "#a66300", "#008055",
                                                              "#4d5c6b"}


def test_site_and_project_maps_use_the_point_layer(app):
    from dashboards import warehouse as door

    sites = page_module("social").sites_block(None, "en")
    assert len(point_layer(sites).data["features"]) == door.query(
        "SELECT count(*) AS n FROM mart.social_sites WHERE lat IS NOT NULL")["n"][0]
    the_map, _list = page_module("home").map_and_list(None, None, "en")
    assert len(point_layer(the_map).data["features"]) == door.query(
        "SELECT count(*) AS n FROM mart.programme_projects WHERE lat IS NOT NULL")["n"][0]


def test_point_labels_are_data_not_markup():
    """A hostile name stays a plain string property; the browser sets it as text."""
    from dashboards.components import maps

    feature = maps.point(45.46, 9.19, "<img src=x onerror=alert(1)>", "#0066cc", 6)
    assert feature == {"type": "Feature",
                       "geometry": {"type": "Point", "coordinates": [9.19, 45.46]},
                       "properties": {"label": "<img src=x onerror=alert(1)>",
                                      "color": "#0066cc", "radius": 6}}
