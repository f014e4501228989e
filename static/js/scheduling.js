// Booking pages: after a search or a week change, move keyboard focus to the week's heading
// so that Tab reaches the free times next. Every page works without this.
document.addEventListener("DOMContentLoaded", () => {
  const title = document.getElementById("week-title");
  if (title && document.querySelector("form.booking[data-searched]")) {
    title.setAttribute("tabindex", "-1");
    title.focus();
  }
});
