/* PON Metro Milano: small browser helpers (no network, no third parties). */
window.ponmetroMap = {
  /* Choropleth style: each NIL feature carries its fill colour in properties._fill. */
  style: function (feature) {
    var p = feature.properties || {};
    return {fillColor: p._fill || "#dfe6ee", fillOpacity: p._fill ? 0.75 : 0.35,
            color: "#4d5c6b", weight: 1};
  },
  line: function () { return {color: "#b30059", weight: 5, opacity: 0.9}; },
  /* Points (stations, sites, projects): one GeoJSON layer; properties carry colour, radius and
     the tooltip label, which is set as text (data values are never parsed as HTML). */
  point: function (feature, latlng) {
    var p = feature.properties || {};
    var marker = L.circleMarker(latlng, {radius: p.radius || 7, color: "#1a1a1a", weight: 1,
                                         fillColor: p.color || "#0066cc", fillOpacity: 0.9});
    if (p.label) {
      var text = document.createElement("span");
      text.textContent = p.label;
      marker.bindTooltip(text);
    }
    return marker;
  }
};
/* The IT/EN switch keeps the current filters: rewrite its href from the live URL. */
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[data-lang]");
  if (!link) { return; }
  var url = new URL(window.location.href);
  url.searchParams.set("lang", link.getAttribute("data-lang"));
  link.setAttribute("href", url.pathname + url.search + url.hash);
}, true);
/* Dash 4 renders dcc.RadioItems as role="listbox" with role="option" labels around native
   radio inputs, which axe reports (nested-interactive, aria-input-field-name). The native
   radios are already accessible: expose the group as a radiogroup named by its legend and
   drop the listbox/option roles. Re-applied whenever Dash re-renders. */
(function () {
  function fix(root) {
    var groups = (root.querySelectorAll ? root.querySelectorAll(".dash-radioitems") : []);
    groups.forEach(function (group) {
      if (group.getAttribute("role") !== "radiogroup") { group.setAttribute("role", "radiogroup"); }
      var legend = group.closest("fieldset") && group.closest("fieldset").querySelector("legend");
      if (legend) {
        if (!legend.id) { legend.id = group.id + "-legend"; }
        group.setAttribute("aria-labelledby", legend.id);
      }
      group.querySelectorAll("[role=option]").forEach(function (o) { o.removeAttribute("role"); });
      group.querySelectorAll("[aria-selected]").forEach(function (o) {
        o.removeAttribute("aria-selected");
      });
    });
  }
  new MutationObserver(function () { fix(document); }).observe(document.documentElement, {
    childList: true, subtree: true, attributes: true,
    attributeFilter: ["role", "aria-selected"]});
})();
/* The server's first screen (dashboards.shell) gives way to Dash's render once that holds
   the frame and the page: removed in the same frame, so nothing moves on the screen. */
(function () {
  var first = document.getElementById("pm-first-screen");
  var root = document.getElementById("react-entry-point");
  if (!first || !root) { return; }
  var observer = new MutationObserver(function () {
    if (root.querySelector("#_pages_content > *") && root.querySelector("#frame-header > *")) {
      observer.disconnect();
      first.remove();
    }
  });
  observer.observe(root, {childList: true, subtree: true});
})();
