// Live progress of a response import: polls the status JSON and reloads when it finishes.
// The page works without this file (it offers a refresh link).
(() => {
  const box = document.getElementById("import-progress");
  if (!box) return;
  const url = box.dataset.statusUrl;
  const bar = box.querySelector("progress");
  const phase = box.querySelector("[data-role=phase]");
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
      phase.textContent = data.phase_label || data.status_label;
      counts.textContent = `${data.processed_rows} of ${data.total_rows} rows`;
      if (data.finished) {
        live.textContent = `${data.status_label}. Loading the result…`;
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
