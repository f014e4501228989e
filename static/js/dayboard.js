// Day board: reload the table fragment every 30 seconds without a full page reload.
(function () {
  "use strict";
  const PERIOD_MS = 30000;

  function start() {
    const holder = document.getElementById("board");
    if (!holder || !holder.dataset.boardUrl) {
      return;
    }
    const note = document.getElementById("board-refresh-note");
    async function refresh() {
      // Do not replace the table while someone is using a control inside it.
      if (holder.contains(document.activeElement) && document.activeElement !== document.body) {
        return;
      }
      try {
        const response = await fetch(holder.dataset.boardUrl, {
          credentials: "same-origin",
          // X-Clinic-Background: a refresh nobody asked for does not keep the session alive.
          headers: { "X-Requested-With": "fetch", "X-Clinic-Background": "1", Accept: "text/html" },
          cache: "no-store",
        });
        if (!response.ok || response.redirected) {
          return;
        }
        holder.innerHTML = await response.text();
        holder.dataset.refreshCount = String(Number(holder.dataset.refreshCount || "0") + 1);
        const table = document.getElementById("board-table");
        if (note && table && table.dataset.refreshed) {
          note.dataset.refreshed = table.dataset.refreshed;
        }
      } catch (err) {
        // Offline or server restarting: keep the last board and try again at the next tick.
      }
    }
    const period = Number(holder.dataset.refreshMs || PERIOD_MS);
    window.setInterval(refresh, period);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
