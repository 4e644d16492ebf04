// Progressive enhancement; every page is complete without it.
// - Charts arrive drawn: the HTML holds each chart as SVG made at build time. The Vega bundle
//   (~300 KB gzip) is fetched only when the reader reaches for a chart (pointer, touch, focus,
//   a range button), or, when an earlier visit already has it in the browser's cache, once the
//   browser is idle, for charts in view. A first visit thus costs no bundle at all.
// - Upgraded charts are drawn with vega-embed into a child of each `.chart`, so the container
//   keeps its own role, name and description (the library labels the element it draws into).
//   Dark systems get the dark chart config; a scheme change redraws.
// - Range buttons set the chart's `years` param (5 / 10 / max); a key's buttons its `pick`.
// - Tables that overflow sideways are focusable (keyboard scrolling) and show a hint.
// - Printing opens the collapsed data tables, and closes them again afterwards.
(function () {
  var root = document.documentElement;
  root.classList.add("js");
  var dark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  var views = {};

  function merge(into, from) {
    Object.keys(from).forEach(function (k) {
      var v = from[k];
      if (v && typeof v === "object" && !Array.isArray(v)) {
        into[k] = merge(into[k] && typeof into[k] === "object" ? into[k] : {}, v);
      } else {
        into[k] = v;
      }
    });
    return into;
  }

  function darkConfig() {
    var node = document.getElementById("chart-dark");
    return node ? JSON.parse(node.textContent) : {};
  }

  function pressedYears(el) {
    var on = document.querySelector('.range[data-chart="' + el.id + '"] button[aria-pressed="true"]');
    return on ? Number(on.getAttribute("data-years")) : null;
  }

  // The series a chart's key has pressed (null: every series at full strength).
  function pickedSeries(el) {
    var on = document.querySelector('.key[data-chart="' + el.id + '"] button[aria-pressed="true"]');
    return on ? on.getAttribute("data-series") : null;
  }

  var vegaMeta = document.querySelector('meta[name="bf-vega"]');
  var vegaSrc = vegaMeta ? vegaMeta.getAttribute("content") : null;
  var vegaLoading = null;
  var SEEN = "bf-vega";  // localStorage: the bundle URL an earlier visit fetched (cached forever)

  function loadVega() {
    if (window.vegaEmbed) { return Promise.resolve(); }
    if (!vegaLoading) {
      vegaLoading = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = vegaSrc;
        s.async = true;
        s.onload = function () {
          try { localStorage.setItem(SEEN, vegaSrc); } catch (e) { /* private mode */ }
          resolve();
        };
        s.onerror = function () { vegaLoading = null; reject(new Error("chart library unavailable")); };
        document.head.appendChild(s);
      });
    }
    return vegaLoading;
  }

  // The build-time drawing stays until Vega has drawn; if the library cannot load it simply stays.
  function upgrade(el) {
    if (el.getAttribute("data-drawn") || el.getAttribute("data-upgrading") || !vegaSrc) { return; }
    el.setAttribute("data-upgrading", "1");
    loadVega().then(function () { drawOne(el); }, function (err) {
      el.removeAttribute("data-upgrading");
      el.setAttribute("data-static-only", String(err));
    });
  }

  var idle = window.requestIdleCallback || function (fn) { return setTimeout(fn, 200); };
  var watcher = null;
  // Every other chart follows when it comes into view, one per idle moment.
  function upgradeInView() {
    if (watcher || !("IntersectionObserver" in window)) { return; }
    watcher = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (!e.isIntersecting) { return; }
        watcher.unobserve(e.target);
        idle(function () { upgrade(e.target); });
      });
    }, { rootMargin: "200px" });
    document.querySelectorAll(".chart[data-spec]").forEach(function (el) { watcher.observe(el); });
  }

  function bindUpgrades() {
    document.querySelectorAll(".chart[data-spec]").forEach(function (el) {
      var card = el.closest("section") || el;
      var go = function () { upgrade(el); upgradeInView(); };
      el.addEventListener("pointerenter", go);
      el.addEventListener("touchstart", go, { passive: true });
      card.addEventListener("focusin", go);
      if (!el.querySelector(".static")) { upgrade(el); }  // not drawn at build time: draw now
    });
    var seen = null;
    try { seen = localStorage.getItem(SEEN); } catch (e) { /* private mode */ }
    if (seen && seen === vegaSrc) { idle(upgradeInView); }
  }

  function drawOne(el) {
    var src = document.getElementById(el.getAttribute("data-spec"));
    if (!src || !window.vegaEmbed) { return; }
    var spec = JSON.parse(src.textContent);
    var isDark = !!(dark && dark.matches);
    if (isDark) { spec.config = merge(spec.config || {}, darkConfig()); }
    var target = el.querySelector(".vega-target");
    if (!target) {
      target = document.createElement("div");
      target.className = "vega-target";
      // the container is the one named image; the drawing inside says nothing more to AT
      target.setAttribute("aria-hidden", "true");
      el.appendChild(target);
    }
    var name = el.getAttribute("aria-label");
    window.vegaEmbed(target, spec, {
      actions: false, renderer: "svg", tooltip: { theme: isDark ? "dark" : "light" }
    }).then(function (res) {
      // whatever the library did to the page, the chart keeps its own name
      el.setAttribute("role", "img");
      el.setAttribute("aria-label", name);
      el.setAttribute("data-drawn", "1");
      el.removeAttribute("data-upgrading");
      var drawing = el.querySelector(".static");
      if (drawing) { drawing.remove(); }
      views[el.id] = res.view;
      var years = pressedYears(el);
      if (years !== null && years !== 5) { res.view.signal("years", years).runAsync(); }
      var picked = pickedSeries(el);
      if (picked !== null) { res.view.signal("pick", picked).runAsync(); }
    }).catch(function (err) { el.setAttribute("data-error", String(err)); });
  }

  function bindRanges() {
    document.querySelectorAll(".range[data-chart]").forEach(function (group) {
      group.querySelectorAll("button").forEach(function (b) {
        b.addEventListener("click", function () {
          group.querySelectorAll("button").forEach(function (o) { o.setAttribute("aria-pressed", "false"); });
          b.setAttribute("aria-pressed", "true");
          var view = views[group.getAttribute("data-chart")];
          if (view) { view.signal("years", Number(b.getAttribute("data-years"))).runAsync(); }
          // not drawn by Vega yet: drawOne applies the pressed range once it has drawn
          else { var el = document.getElementById(group.getAttribute("data-chart")); if (el) { upgrade(el); } }
        });
      });
    });
  }

  // A chart's key: a press isolates that series (another press, or the same one again, changes
  // or clears it). The chart is upgraded first if need be; drawOne then applies the pick.
  function bindKeys() {
    document.querySelectorAll(".key[data-chart]").forEach(function (group) {
      var buttons = group.querySelectorAll("button");
      buttons.forEach(function (b) {
        b.disabled = false;
        b.setAttribute("aria-pressed", "false");
        b.addEventListener("click", function () {
          var on = b.getAttribute("aria-pressed") !== "true";
          buttons.forEach(function (o) { o.setAttribute("aria-pressed", "false"); });
          b.setAttribute("aria-pressed", on ? "true" : "false");
          group.classList.toggle("picked", on);
          var view = views[group.getAttribute("data-chart")];
          if (view) { view.signal("pick", on ? b.getAttribute("data-series") : null).runAsync(); }
          else { var el = document.getElementById(group.getAttribute("data-chart")); if (el) { upgrade(el); } }
        });
      });
    });
  }

  // Redraw what Vega drew (a scheme change); build-time drawings follow the scheme by CSS.
  function drawAll() { document.querySelectorAll(".chart[data-drawn]").forEach(drawOne); }

  function markScrolling() {
    document.querySelectorAll(".tablebox").forEach(function (box) {
      var wrap = box.querySelector(".tablewrap");
      if (!wrap || !wrap.offsetParent) { return; }  // inside a closed <details>: checked on open
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      box.classList.toggle("scrolls", scrolls);
      if (scrolls) { wrap.setAttribute("tabindex", "0"); } else { wrap.removeAttribute("tabindex"); }
    });
  }

  var printOpened = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details.data:not([open])").forEach(function (d) {
      d.open = true; printOpened.push(d);
    });
  });
  window.addEventListener("afterprint", function () {
    printOpened.forEach(function (d) { d.open = false; });
    printOpened = [];
  });

  function start() {
    bindRanges();
    bindKeys();
    bindUpgrades();
    markScrolling();
    document.querySelectorAll("details").forEach(function (d) {
      d.addEventListener("toggle", markScrolling);
    });
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(markScrolling, 150);
    });
    if (dark && dark.addEventListener) { dark.addEventListener("change", drawAll); }
  }
  // After the first frame: the page (charts included) paints before any of this runs.
  function soon() { requestAnimationFrame(function () { setTimeout(start, 0); }); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", soon); } else { soon(); }
})();
