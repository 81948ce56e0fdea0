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
// A field that applies to one choice of a select only (data-shows: the id of the field's
// wrapper; data-shows-value: the choice) is shown for that choice only.
document.querySelectorAll("select[data-shows]").forEach((select) => {
  const sync = () => {
    const target = document.getElementById(select.dataset.shows);
    if (target) target.hidden = select.value !== select.dataset.showsValue;
  };
  sync();
  select.addEventListener("change", sync);
});
