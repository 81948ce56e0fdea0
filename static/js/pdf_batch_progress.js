// Live progress of a zip of PDF report cards: polls the status JSON (poll_status.js) and reloads
// when it is done. The page works without this file (it offers a refresh link).
(() => {
  const box = document.getElementById("batch-progress");
  if (!box) return;
  const bar = box.querySelector("progress");
  const state = box.querySelector("[data-role=state]");
  const counts = box.querySelector("[data-role=counts]");
  const percent = box.querySelector("[data-role=percent]");
  const live = box.querySelector("[data-role=live]");
  window.cxauditPoll(box.dataset.statusUrl, live, (data) => {
    bar.value = data.percent;
    percent.textContent = String(data.percent);
    state.textContent = data.state_label;
    counts.textContent = `${data.done} of ${data.total} report cards`;
    if (!data.finished) return false;
    live.textContent = `${data.state_label}. Loading…`;
    window.location.reload();
    return true;
  });
})();
