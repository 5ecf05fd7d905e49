/* PON Metro Milano: small browser helpers (no network, no third parties). */
window.ponmetroMap = {
  /* Choropleth style: each NIL feature carries its fill colour in properties._fill. */
  style: function (feature) {
    var p = feature.properties || {};
    return {fillColor: p._fill || "#dfe6ee", fillOpacity: p._fill ? 0.75 : 0.35,
            color: "#4d5c6b", weight: 1};
  },
  line: function () { return {color: "#b30059", weight: 5, opacity: 0.9}; }
};
/* The IT/EN switch keeps the current filters: rewrite its href from the live URL. */
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[data-lang]");
  if (!link) { return; }
  var url = new URL(window.location.href);
  url.searchParams.set("lang", link.getAttribute("data-lang"));
  link.setAttribute("href", url.pathname + url.search + url.hash);
}, true);
