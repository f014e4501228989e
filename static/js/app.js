// Small progressive enhancements; every page works without them.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// A reading the page makes by itself, not the user (the pages' scripts call it): same-origin, never
// cached, and marked X-Clinic-Background so that it does not keep the session alive. Resolves to
// the response, or to null when the server answers with an error or a redirect (signed out).
window.clinicBackgroundFetch = async function (url, accept) {
  const response = await fetch(url, {
    credentials: "same-origin",
    headers: { "X-Requested-With": "fetch", "X-Clinic-Background": "1", Accept: accept || "application/json" },
    cache: "no-store",
  });
  return response.ok && !response.redirected ? response : null;
};
