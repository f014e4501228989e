// The "Print" button of a printable page (procedure report, day list): shown only when the script
// runs, since it prints through the browser; without the script the browser's own print works.
(function () {
  "use strict";

  function start() {
    for (const button of document.querySelectorAll("[data-print]")) {
      button.hidden = false;
      button.addEventListener("click", () => window.print());
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
