// Day board: reload the table fragment every 30 seconds without a full page reload. The minutes
// of observation left of each case in monitoring (on the board and the physician's worklist) count
// down every second, from the server's time of the list (data-server-now) and the case's earliest
// discharge (data-until), so that a tablet whose clock is wrong still shows the right minutes.
(function () {
  "use strict";
  const PERIOD_MS = 30000;
  const TICK_MS = 1000;

  function instant(text) {
    const value = Date.parse(text || "");
    return Number.isNaN(value) ? null : value;
  }

  // The server's time minus the tablet's, from the list on the page (read again when it is replaced).
  let offset = null;
  let stamp = null;

  function countDown() {
    const list = document.querySelector("[data-server-now]");
    if (!list) {
      return;
    }
    if (list.dataset.serverNow !== stamp) {
      stamp = list.dataset.serverNow;
      const serverNow = instant(stamp);
      offset = serverNow === null ? null : serverNow - Date.now();
    }
    if (offset === null) {
      return;
    }
    for (const holder of document.querySelectorAll("[data-countdown]")) {
      const until = instant(holder.dataset.until);
      if (until === null) {
        continue;
      }
      const left = Math.max(0, Math.ceil((until - (Date.now() + offset)) / 60000));
      const text = left > 0 ? holder.dataset.text.replace("{minutes}", String(left)) : holder.dataset.textOver;
      if (holder.textContent !== text) {
        holder.textContent = text;
      }
      holder.dataset.minutesLeft = String(left);
    }
  }

  function start() {
    countDown();
    window.setInterval(countDown, TICK_MS);
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
        const response = await window.clinicBackgroundFetch(holder.dataset.boardUrl, "text/html");
        if (!response) {
          return;
        }
        holder.innerHTML = await response.text();
        countDown();
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
