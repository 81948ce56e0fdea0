// Journey pages: keep keyboard focus on the item that was just moved (print buttons: app.js).

// On "load" and after a tick: the browser's own move to the URL fragment runs before, and would
// otherwise take the focus away again (a disabled fragment target blurs to the page).
window.addEventListener("load", () => window.setTimeout(focusMovedItem, 0));

function focusMovedItem() {
  const id = decodeURIComponent(window.location.hash.slice(1));
  if (!id) return;
  let target = document.getElementById(id);
  if (!target) return;
  // A move button at the top or bottom of its list is disabled after the move: focus its twin.
  if (target.disabled) {
    const twin = id.endsWith("-up") ? id.replace(/-up$/, "-down") : id.replace(/-down$/, "-up");
    target = document.getElementById(twin) || target.closest("[tabindex='-1']");
    if (!target || target.disabled) return;
  }
  target.focus();
}
