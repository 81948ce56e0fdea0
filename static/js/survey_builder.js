// Question builder: show only the settings that apply to the chosen question type.
// Progressive enhancement: without this file every setting is shown and the server ignores
// or rejects the ones that do not apply.
(() => {
  const form = document.getElementById("question-form");
  if (!form) return;
  const type = form.querySelector("select[name=type]");
  const update = () => {
    form.querySelectorAll("[data-types]").forEach((el) => {
      el.hidden = !el.dataset.types.split(" ").includes(type.value);
    });
  };
  type.addEventListener("change", update);
  update();
})();
