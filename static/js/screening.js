// Preparation sheet: a print button (the page prints fine from the browser menu without it).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) {
    window.print();
  }
});
