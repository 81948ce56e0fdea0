// Live progress of the exports being built: polls the status JSON (poll_status.js), moves each
// progress bar (role=progressbar with aria-valuenow) and reloads the page when one finishes, to
// show its download link. Widths are set from JS (the strict CSP forbids inline styles).
(() => {
  const box = document.getElementById("export-list");
  if (!box) return;
  for (const bar of box.querySelectorAll("[data-role=bar]")) {
    bar.style.width = `${bar.dataset.percent}%`;
  }
  const url = box.dataset.statusUrl;
  if (!url) return;
  const live = box.querySelector("[data-role=live]");
  window.cxauditPoll(url, live, (data) => {
    let finished = false;
    for (const job of data.exports) {
      const item = box.querySelector(`[data-export-id="${job.id}"]`);
      if (!item) continue;
      const progress = item.querySelector("[role=progressbar]");
      if (job.finished) {
        if (progress) finished = true;
        continue;
      }
      if (!progress) continue;
      progress.setAttribute("aria-valuenow", String(job.percent));
      const counts = job.rows_total ? `${job.rows_done} of ${job.rows_total} rows` : "Counting the rows…";
      progress.setAttribute("aria-valuetext", job.rows_total ? counts : job.state_label);
      const bar = item.querySelector("[data-role=bar]");
      bar.style.width = `${job.percent}%`;
      bar.textContent = `${job.percent}%`;
      item.querySelector("[data-role=counts]").textContent = counts;
      item.querySelector("[data-role=state]").textContent = job.state_label;
    }
    if (!finished) return false;
    live.textContent = "An export is ready. Loading its download link…";
    window.location.reload();
    return true;
  });
})();
