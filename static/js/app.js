// cxaudit: progressive enhancement only; every page works without this file.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form.confirm-form");
  if (form && !window.confirm(form.dataset.confirm || "Are you sure?")) {
    event.preventDefault();
  }
});
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-action='print']")) {
    window.print();
  }
});
