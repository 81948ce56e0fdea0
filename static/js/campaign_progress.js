// Live progress of a campaign: polls the status JSON and updates the figures and tables.
// The page works without this file (reload it to see the latest figures).
(() => {
  const box = document.getElementById("campaign-progress");
  if (!box) return;
  const url = box.dataset.statusUrl;
  const live = box.querySelector("[data-role=live]");
  let failures = 0;

  const cell = (tag, text, end) => {
    const node = document.createElement(tag);
    node.textContent = text;
    if (tag === "th") node.scope = "row";
    if (end) node.className = "text-end";
    return node;
  };

  const fill = (name, rows, columns) => {
    const body = box.querySelector(`[data-table=${name}]`);
    if (!body || !rows.length) return;
    body.replaceChildren(
      ...rows.map((row) => {
        const tr = document.createElement("tr");
        columns.forEach((column, i) => tr.append(cell(i === 0 ? "th" : "td", column(row), i > 0)));
        return tr;
      }),
    );
  };

  const poll = async () => {
    let fast = box.dataset.live === "fast";
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      failures = 0;
      box.querySelectorAll("[data-stat]").forEach((node) => {
        const value = data[node.dataset.stat];
        node.textContent = value === null || value === undefined ? "—" : String(value);
      });
      fill("by_location", data.by_location, [
        (r) => r.location, (r) => r.invited, (r) => r.sent, (r) => r.completed,
        (r) => (r.rate === null ? "—" : `${r.rate}%`),
      ]);
      fill("by_day", data.by_day, [(r) => r.day, (r) => r.sent, (r) => r.completed]);
      fast = data.status === "scheduled" || data.status === "sending" || data.queued > 0;
      live.textContent = "";
    } catch (error) {
      failures += 1;
      live.textContent = "Could not fetch the progress; retrying…";
      if (failures > 20) return;
    }
    window.setTimeout(poll, fast ? 2000 : 15000);
  };
  window.setTimeout(poll, 1000);
})();
