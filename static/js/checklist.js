// The case page as a working surface. Each answer is saved with a fetch of its own small form
// (answered in JSON by the server), then the case's body is put back in place from the server
// (data-body-url) with the next open item focused, so that a case is worked without a reload.
// One phase is in view at a time: a step shows it and hides the others.
// Every few seconds (data-sync-ms) the page asks whether the case changed on another tablet
// (data-sync-url: its version) and shows it if so, unless something typed is not saved yet.
// Without the script each answer is a normal form post and each step a link.
(function () {
  "use strict";

  function start() {
    const body = document.getElementById("case-body");
    if (!body || !window.fetch || !window.FormData) {
      return;
    }
    const live = document.getElementById("checklist-live");
    let busy = false;

    function view() {
      return body.querySelector("[data-case-version]");
    }

    function say(text) {
      if (live && text) {
        live.textContent = text;
      }
    }

    function phaseInView() {
      const open = body.querySelector("section.phase:not([hidden])");
      return open ? open.dataset.phase : "";
    }

    async function load(phase) {
      const url = new URL(body.dataset.bodyUrl, window.location.href);
      if (phase) {
        url.searchParams.set("phase", phase);
      }
      const response = await fetch(url, {
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch", Accept: "text/html" },
        cache: "no-store",
      });
      if (!response.ok || response.redirected) {
        throw new Error("case body " + response.status);
      }
      body.innerHTML = await response.text();
      body.dataset.updates = String(Number(body.dataset.updates || "0") + 1);
      remember(phase);
      document.dispatchEvent(new CustomEvent("case:updated"));
    }

    // The next item to answer in the phase in view (a required one first), else what was answered.
    function focusNext(fallbackId) {
      const fields = ":is(.answer, input:not([type=hidden]), select, textarea)";
      const next = body.querySelector("section.phase:not([hidden]) .item[data-open][data-required] " + fields) ||
        body.querySelector("section.phase:not([hidden]) .item[data-open] " + fields);
      const target = next || (fallbackId && document.getElementById(fallbackId));
      if (target) {
        target.focus({ preventScroll: true });
        target.scrollIntoView({ block: "nearest" });
      }
    }

    // The address names the phase in view when it is not the case's current one, for a reload.
    function remember(phase) {
      const url = new URL(window.location.href);
      const shown = view();
      if (phase && !(shown && shown.dataset.currentPhase === phase)) {
        url.searchParams.set("phase", phase);
      } else {
        url.searchParams.delete("phase");
      }
      url.hash = "";
      window.history.replaceState(null, "", url);
    }

    function show(phase, focus) {
      for (const section of body.querySelectorAll("section.phase")) {
        section.hidden = section.dataset.phase !== phase;
      }
      for (const link of body.querySelectorAll(".steps a[data-phase-link]")) {
        if (link.dataset.phaseLink === phase) {
          link.setAttribute("aria-current", "step");
        } else {
          link.removeAttribute("aria-current");
        }
      }
      remember(phase);
      const section = document.getElementById("phase-" + phase + "-section");
      if (focus && section) {
        section.querySelector("h2").focus({ preventScroll: true });
        section.scrollIntoView({ block: "nearest" });
      }
    }

    function clearError(item) {
      if (!item) {
        return;
      }
      item.classList.remove("item-failed");
      const holder = item.querySelector(".item-error");
      if (holder) {
        holder.hidden = true;
        holder.textContent = "";
      }
      for (const field of item.querySelectorAll("[aria-invalid]")) {
        field.removeAttribute("aria-invalid");
      }
    }

    function showError(item, form, answer) {
      const error = answer && answer.error;
      const holder = item.querySelector(".item-error");
      item.classList.add("item-failed");
      if (holder) {
        holder.textContent = (error && error.message) || body.dataset.textFailed;
        holder.hidden = false;
      }
      const fields = (error && error.details && error.details.fields) || {};
      for (const [name, messages] of Object.entries(fields)) {
        const field = form.querySelector("[name$='-" + name + "']");
        if (field) {
          field.setAttribute("aria-invalid", "true");
          if (messages.length && holder) {
            holder.textContent += " " + messages.join(" ");
          }
        }
      }
      const first = form.querySelector("[aria-invalid]") || form.querySelector("button, input:not([type=hidden])");
      if (first) {
        first.focus();
      }
    }

    body.addEventListener("submit", async (event) => {
      const form = event.target.closest("form.item-form");
      if (!form) {
        return;   // check-in and the like: a normal post
      }
      event.preventDefault();
      if (busy) {
        return;
      }
      busy = true;
      const item = form.closest(".item");
      const phase = form.closest("section.phase");
      // A change to a phase already complete stays on it; an answer that completes one moves on.
      const stay = phase && phase.dataset.complete === "true" ? phase.dataset.phase : "";
      const data = new FormData(form);
      if (event.submitter && event.submitter.name) {
        data.set(event.submitter.name, event.submitter.value);
      }
      clearError(item);
      form.classList.add("saving");
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body: data,
          credentials: "same-origin",
          headers: { "X-Requested-With": "fetch", Accept: "application/json" },
          cache: "no-store",
        });
        let answer = null;
        try {
          answer = await response.json();
        } catch (err) {
          answer = null;   // not JSON: a session expired, a token too old
        }
        if (!response.ok || !answer || answer.error) {
          form.classList.remove("saving");
          showError(item, form, answer);
          return;
        }
        await load(stay);
        say(answer.message);
        focusNext(item.id);
      } catch (err) {
        form.classList.remove("saving");
        showError(item, form, null);
      } finally {
        busy = false;
      }
    });

    body.addEventListener("click", (event) => {
      const link = event.target.closest("a[data-phase-link]");
      if (!link || !document.getElementById("phase-" + link.dataset.phaseLink + "-section")) {
        return;
      }
      event.preventDefault();
      show(link.dataset.phaseLink, true);
    });

    // Typed and not saved yet: a refresh would lose it.
    function typing() {
      return Array.from(body.querySelectorAll("input:not([type=hidden]), textarea"))
        .some((field) => field.value !== field.defaultValue);
    }

    async function sync(force) {
      if (busy || (!force && (document.visibilityState !== "visible" || typing()))) {
        return;
      }
      const shown = view();
      try {
        const response = await window.clinicBackgroundFetch(body.dataset.syncUrl);
        if (!response) {
          return;
        }
        const data = await response.json();
        body.dataset.syncCount = String(Number(body.dataset.syncCount || "0") + 1);
        if (busy || !shown || !data.version || data.version === shown.dataset.caseVersion) {
          return;
        }
        const open = body.querySelector("section.phase:not([hidden])");
        const focused = document.activeElement && body.contains(document.activeElement) ? document.activeElement.id : "";
        busy = true;
        try {
          await load(open && open.dataset.complete === "true" && !force ? open.dataset.phase : "");
        } finally {
          busy = false;
        }
        say(body.dataset.textChanged);
        if (focused && document.getElementById(focused)) {
          document.getElementById(focused).focus({ preventScroll: true });
        } else {
          focusNext(null);
        }
      } catch (err) {
        // Offline or server restarting: try again at the next tick.
      }
    }

    // The discharge clock ran out (or its button was pressed): the discharge items open.
    document.addEventListener("case:refresh", (event) => {
      event.preventDefault();
      window.setTimeout(() => sync(true), 1000);
    });

    window.setInterval(sync, Number(body.dataset.syncMs || 15000));
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") {
        sync(false);
      }
    });
    focusNext(null);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
