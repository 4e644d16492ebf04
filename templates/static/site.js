// Draws every chart of the page with the locally shipped vega-embed; the HTML stays complete
// without it. Range buttons set the chart's `years` param (5 / 10 / max).
(function () {
  document.documentElement.classList.add("js");
  function draw() {
    var nodes = document.querySelectorAll(".chart[data-spec]");
    nodes.forEach(function (el) {
      var src = document.getElementById(el.getAttribute("data-spec"));
      if (!src || !window.vegaEmbed) { return; }
      var spec = JSON.parse(src.textContent);
      window.vegaEmbed(el, spec, { actions: false, renderer: "svg", tooltip: { theme: "light" } })
        .then(function (res) {
          el.setAttribute("data-drawn", "1");
          var group = document.querySelector('.range[data-chart="' + el.id + '"]');
          if (!group) { return; }
          group.querySelectorAll("button").forEach(function (b) {
            b.addEventListener("click", function () {
              group.querySelectorAll("button").forEach(function (o) { o.setAttribute("aria-pressed", "false"); });
              b.setAttribute("aria-pressed", "true");
              res.view.signal("years", Number(b.getAttribute("data-years"))).runAsync();
            });
          });
        })
        .catch(function (err) { el.setAttribute("data-error", String(err)); });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
