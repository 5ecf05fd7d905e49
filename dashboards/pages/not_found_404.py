"""The 404 page (Dash Pages uses a module of this name for unknown routes)."""

from dashboards import shell
from dashboards.components import errors
from dashboards.components.labels import N_

shell.register_page(__name__, path="/404", title=N_("Page not found"),
               description=N_("The address you asked for does not exist on this site."))


def layout(lang=None, **_query):
    return errors.not_found(lang)
