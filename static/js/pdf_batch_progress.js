// Live progress of a zip of PDF report cards: polls the status JSON and reloads when it is done.
// The page works without this file (it offers a refresh link).
(() => {
  const box = document.getElementById("batch-progress");
  if (!box) return;
  const url = box.dataset.statusUrl;
  const bar = box.querySelector("progress");
  const state = box.querySelector("[data-role=state]");
  const counts = box.querySelector("[data-role=counts]");
  const percent = box.querySelector("[data-role=percent]");
  const live = box.querySelector("[data-role=live]");
  let failures = 0;

  const poll = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      failures = 0;
      bar.value = data.percent;
      percent.textContent = String(data.percent);
      state.textContent = data.state_label;
      counts.textContent = `${data.done} of ${data.total} report cards`;
      if (data.finished) {
        live.textContent = `${data.state_label}. Loading…`;
        window.location.reload();
        return;
      }
    } catch (error) {
      failures += 1;
      live.textContent = "Could not fetch the progress; retrying…";
      if (failures > 20) return;
    }
    window.setTimeout(poll, 1000);
  };
  window.setTimeout(poll, 500);
})();
