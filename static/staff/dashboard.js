/* The dashboard's charts, drawn with Chart.js (served locally) from the JSON that each chart's
   <script type="application/json"> carries (json_script). Without this file, or without Chart.js,
   the page still shows every figure in its table. */
(function () {
  "use strict";

  // Colours by series key, matching the state badges of staff.css where there is one.
  var COLOURS = {
    discovered: "#3b6fd1", verifying: "#d99a16", debunking: "#8a4fc4", disposing: "#c2413a",
    exposing: "#178a77", closed: "#8a94a3",
    P1: "#b42318", P2: "#e07b1a", P3: "#7c8ba1",
    opened: "#1f5fbf", closed_weekly: "#1a7f37",
    ack: "#1f5fbf", done: "#1a7f37", median: "#1f5fbf", mean: "#9db8e8",
    overdue: "#b42318", penalties: "#9b1c1c"
  };
  var PALETTE = ["#1f5fbf", "#1a7f37", "#d99a16", "#8a4fc4", "#c2413a", "#178a77", "#5b6675"];

  function colour(key, index) {
    return COLOURS[key] || PALETTE[index % PALETTE.length];
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    var spec = JSON.parse(source.textContent);
    var weekly = spec.datasets.length === 2 && spec.datasets[0].key === "opened";
    var datasets = spec.datasets.map(function (set, index) {
      var key = weekly && set.key === "closed" ? "closed_weekly" : set.key;
      var fill = spec.labelKeys.length
        ? spec.labelKeys.map(function (labelKey, j) { return colour(labelKey, j); })
        : colour(key, index);
      return { label: set.label, data: set.data, backgroundColor: fill, borderColor: fill, borderWidth: 1,
               maxBarThickness: 56 };
    });
    var valueAxis = {
      beginAtZero: true,
      stacked: spec.stacked,
      title: { display: Boolean(spec.axis), text: spec.axis },
      ticks: spec.integer ? { precision: 0 } : {}
    };
    var categoryAxis = { stacked: spec.stacked };
    var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reduceMotion ? false : undefined,
        indexAxis: spec.horizontal ? "y" : "x",
        plugins: { legend: { display: datasets.length > 1, position: "bottom" } },
        scales: spec.horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis }
      }
    });
    // The chart is drawn: its numbers can fold away (one click on "Show the numbers" brings them back).
    var figure = canvas.closest("figure");
    var numbers = figure && figure.querySelector("details.chart-numbers");
    if (numbers) numbers.open = false;
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof window.Chart === "undefined") return;
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
