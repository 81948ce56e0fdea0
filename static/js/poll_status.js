// The polling the progress pages share: fetch a status JSON half a second after the page loads,
// then once a second, handing each answer to `update`, until `update` says the work finished
// (it returns true). A failed fetch is said in `live` and tried again, up to 20 in a row.
window.cxauditPoll = (url, live, update) => {
  let failures = 0;
  const poll = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      failures = 0;
      if (update(data)) return;
    } catch (error) {
      failures += 1;
      live.textContent = "Could not fetch the progress; retrying…";
      if (failures > 20) return;
    }
    window.setTimeout(poll, 1000);
  };
  window.setTimeout(poll, 500);
};
