// Material wraps wide tables in a scrolling box; make each one reachable by keyboard (Tab,
// then arrow keys) and named after the heading above it, as the main site's tables are.
(function () {
  function heading(node) {
    for (var n = node.previousElementSibling; n; n = n.previousElementSibling) {
      if (/^H[1-6]$/.test(n.tagName)) { return n.textContent.replace("¶", "").trim(); }
    }
    return "";
  }
  function label() {
    var seen = {};
    document.querySelectorAll(".md-typeset__scrollwrap").forEach(function (box) {
      if (box.hasAttribute("tabindex")) { return; }
      var name = (heading(box) || "Table") + ", table";
      seen[name] = (seen[name] || 0) + 1;
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", seen[name] > 1 ? name + " " + seen[name] : name);
    });
  }
  if (window.document$ && window.document$.subscribe) {
    window.document$.subscribe(function () { setTimeout(label, 0); });
  } else {
    document.addEventListener("DOMContentLoaded", label);
  }
})();
