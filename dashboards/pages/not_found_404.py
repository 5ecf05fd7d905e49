"""The 404 page (Dash Pages uses a module of this name for unknown routes)."""

import dash

from dashboards.components import errors

dash.register_page(__name__, path="/404", title="Pagina non trovata – PON Metro Milano")


def layout(lang=None, **_query):
    return errors.not_found(lang)
