/* casetracker: draws the reviewers' dashboard charts with the vendored
   Chart.js from the figures the page carries in a json_script block
   (#dashboard-data). The tables on the page show the same figures. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", fn);
    } else {
      fn();
    }
  }

  ready(function () {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var lang = document.documentElement.lang || undefined;
    var money = new Intl.NumberFormat(lang, {
      minimumFractionDigits: 2,
      maximumFractionDigits: 2,
    });
    var whole = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
    var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    var themed = document.documentElement.dataset.theme;
    if (themed === "dark") { dark = true; } else if (themed === "light") { dark = false; }
    window.Chart.defaults.color = dark ? "#ddd" : "#333";
    window.Chart.defaults.borderColor = dark ? "rgba(255,255,255,.15)" : "rgba(0,0,0,.1)";
    if (window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
      window.Chart.defaults.animation = false;
    }

    var CLAIMED = "#417690";   /* admin blue */
    var RECOVERED = "#5a9e3a";

    function numbers(values) {
      return values.map(function (value) { return Number(value); });
    }

    function draw(id, config) {
      var canvas = document.getElementById(id);
      if (canvas) {
        return new window.Chart(canvas, config);
      }
      return null;
    }

    function moneyChart(id, series) {
      if (!series.labels.length) {
        return null;
      }
      return draw(id, {
        type: "bar",
        data: {
          labels: series.labels,
          datasets: [
            { label: data.labels.claimed, data: numbers(series.claimed), backgroundColor: CLAIMED },
            { label: data.labels.recovered, data: numbers(series.recovered), backgroundColor: RECOVERED },
          ],
        },
        options: {
          indexAxis: "y",
          maintainAspectRatio: false,
          responsive: true,
          scales: {
            x: { beginAtZero: true, ticks: { callback: function (v) { return whole.format(v); } } },
          },
          plugins: {
            tooltip: {
              callbacks: {
                label: function (ctx) {
                  return ctx.dataset.label + ": " + money.format(ctx.parsed.x);
                },
              },
            },
          },
        },
      });
    }

    draw("chart-status", {
      type: "bar",
      data: {
        labels: data.status.labels,
        datasets: [{ label: data.labels.cases, data: data.status.counts, backgroundColor: CLAIMED }],
      },
      options: {
        maintainAspectRatio: false,
        responsive: true,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
    moneyChart("chart-institutions", data.institutions);
    moneyChart("chart-provinces", data.provinces);
  });
})();
