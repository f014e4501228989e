// The discharge clock of a case ("Discharge possible at 10:52, in 7 min"), counted down live.
// The page is rendered with the server's time (data-server-now) and the earliest instant of
// discharge (data-discharge-from); the minutes are counted from the offset between the server's
// time and the tablet's, so a tablet whose clock is wrong still shows the right minutes. Once a
// minute the script reads the server's clock again (data-clock-url), which also follows an end of
// procedure amended, or a discharge recorded, on another tablet. Without the script the page shows
// the minutes as they were when it was rendered. When the time runs out, or its button is pressed,
// it asks the case page's script to show the discharge items ("case:refresh"), or reloads the page
// when there is none; it starts again on the clocks the case page puts back in place ("case:updated").
(function () {
  "use strict";
  const TICK_MS = 1000;
  const SYNC_MS = 60000;
  let timers = [];
  let current = null;   // the running clocks' reading of the server, for a tab shown again

  function refreshCase() {
    // Not cancelled: no case page script is listening, so the page is reloaded.
    if (document.dispatchEvent(new CustomEvent("case:refresh", { cancelable: true }))) {
      window.location.reload();
    }
  }

  function instant(text) {
    const value = Date.parse(text || "");
    return Number.isNaN(value) ? null : value;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));
  }

  function start() {
    for (const timer of timers) {
      window.clearInterval(timer);
    }
    timers = [];
    current = null;
    const clocks = Array.from(document.querySelectorAll("[data-discharge-clock]"));
    if (!clocks.length) {
      return;
    }
    const first = clocks[0];
    const serverNow = instant(first.dataset.serverNow);
    if (serverNow === null) {
      return;
    }
    const state = {
      offset: serverNow - Date.now(),       // the server's time minus the tablet's
      until: instant(first.dataset.dischargeFrom),
      time: first.dataset.time || "",
      changed: false,
      over: false,
    };

    function minutesLeft() {
      if (state.until === null) {
        return 0;
      }
      return Math.max(0, Math.ceil((state.until - (Date.now() + state.offset)) / 60000));
    }

    function render() {
      const left = minutesLeft();
      if (left === 0 && !state.over && state.until !== null) {
        state.over = true;
        if (Number(first.dataset.minutesLeft || "0") > 0) {
          refreshCase();   // counted down on this page: the discharge items open
        }
      }
      for (const clock of clocks) {
        let text;
        if (state.changed) {
          text = clock.dataset.textChanged;
        } else if (left > 0) {
          text = fill(clock.dataset.textWait, { time: state.time, minutes: left });
        } else {
          text = clock.dataset.textOver;
        }
        const holder = clock.querySelector("[data-clock-text]");
        if (holder && holder.textContent !== text) {
          holder.textContent = text;
        }
        clock.dataset.minutesLeft = String(left);
        clock.dataset.live = "true";
        clock.classList.toggle("clock-over", left === 0);
        const reload = clock.querySelector("[data-clock-reload]");
        if (reload && (left === 0 || state.changed)) {
          reload.hidden = false;
        }
      }
    }

    async function sync() {
      const url = first.dataset.clockUrl;
      if (!url) {
        return;
      }
      try {
        const sent = Date.now();
        const response = await window.clinicBackgroundFetch(url);
        if (!response) {
          return;
        }
        const data = await response.json();
        const now = instant(data.now);
        if (now === null) {
          return;
        }
        // The server read its clock about half way between the request and the answer.
        state.offset = now - (sent + Date.now()) / 2;
        if (!data.observing) {
          state.changed = true;
        } else {
          state.until = instant(data.discharge_from);
          state.time = data.time || state.time;
        }
        for (const clock of clocks) {
          clock.dataset.syncCount = String(Number(clock.dataset.syncCount || "0") + 1);
        }
        render();
      } catch (err) {
        // Offline or server restarting: keep counting from the last reading.
      }
    }

    for (const clock of clocks) {
      const reload = clock.querySelector("[data-clock-reload]");
      if (reload) {
        reload.addEventListener("click", refreshCase);
      }
    }
    render();
    timers.push(window.setInterval(render, TICK_MS));
    timers.push(window.setInterval(sync, Number(first.dataset.syncMs || SYNC_MS)));
    current = sync;
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && current) {
      current();
    }
  });
  document.addEventListener("case:updated", start);

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
