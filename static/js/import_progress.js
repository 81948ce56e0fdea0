// Live progress of a response import: polls the status JSON (poll_status.js) and reloads when
// it finishes. The page works without this file (it offers a refresh link).
(() => {
  const box = document.getElementById("import-progress");
  if (!box) return;
  const bar = box.querySelector("progress");
  const phase = box.querySelector("[data-role=phase]");
  const counts = box.querySelector("[data-role=counts]");
  const percent = box.querySelector("[data-role=percent]");
  const live = box.querySelector("[data-role=live]");
  window.cxauditPoll(box.dataset.statusUrl, live, (data) => {
    bar.value = data.percent;
    percent.textContent = String(data.percent);
    phase.textContent = data.phase_label || data.status_label;
    counts.textContent = `${data.processed_rows} of ${data.total_rows} rows`;
    if (!data.finished) return false;
    live.textContent = `${data.status_label}. Loading the result…`;
    window.location.reload();
    return true;
  });
})();
