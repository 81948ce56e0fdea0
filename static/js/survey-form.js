// cxaudit form engine: skip logic, section paging, autosave with a local backup, evidence
// uploads and a submit that never loses input. The page works without this file (all sections
// on one page, the server applies skip logic and validation); this only makes it better.
(function () {
  "use strict";

  // After a successful submission the receipt page clears the local backup.
  const receipt = document.querySelector("[data-submitted-client-id]");
  if (receipt) {
    try { localStorage.removeItem("cxaudit:draft:" + receipt.dataset.submittedClientId); } catch (e) { /* private mode */ }
    return;
  }

  const form = document.getElementById("survey-form");
  const configNode = document.getElementById("survey-engine");
  if (!form || !configNode) return;
  const config = JSON.parse(configNode.textContent);
  const preview = config.mode === "preview";
  const urls = config.urls || {};
  const storageKey = config.clientId ? "cxaudit:draft:" + config.clientId : null;
  const statusNode = document.getElementById("autosave-status");
  // Words in the page's language when the server gives them (the customer's pages); English
  // otherwise. t("key", "English with %(name)s", {name: ...}).
  const words = config.messages || {};
  function t(key, fallback, params) {
    const text = words[key] || fallback;
    return text.replace(/%\((\w+)\)s/g, (all, name) => (params && name in params ? String(params[name]) : all));
  }
  const notice = document.getElementById("engine-notice");
  form.noValidate = true; // validated here, section by section (hidden sections cannot show bubbles)

  // ---- reading answers, mirroring surveys.cleaning for what skip logic compares -------------

  const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
  const UNANSWERED = { answered: false };

  function fieldInputs(code) {
    return Array.from(form.querySelectorAll('[name="q-' + CSS.escape(code) + '"]'));
  }

  function rawValues(code) {
    return fieldInputs(code)
      .filter((el) => !el.disabled && (el.type === "radio" || el.type === "checkbox" ? el.checked : true))
      .map((el) => el.value.trim())
      .filter((v) => v !== "");
  }

  function parseDuration(text) {
    if (NUMBER_RE.test(text)) return parseFloat(text);
    const parts = text.split(":");
    if (parts.length < 2 || parts.length > 3 || !parts.every((p) => /^\d+(\.\d+)?$/.test(p))) return null;
    return parts.reduce((total, part) => total * 60 + parseFloat(part), 0);
  }

  // The answer as the canonical JSON value the server would store ("NA" for N/A).
  function answerOf(code) {
    const type = config.questions[code].type;
    const values = rawValues(code);
    if (type === "multi_choice") return values.length ? { answered: true, value: values } : UNANSWERED;
    if (!values.length) return UNANSWERED;
    const raw = values.includes("NA") ? "NA" : values[0];
    if (raw.toLowerCase() === "na" || raw.toLowerCase() === "n/a") {
      if (!["short_text", "long_text"].includes(type)) return { answered: true, value: "NA" };
    }
    switch (type) {
      case "yes_no": case "yes_no_na": {
        const word = raw.toLowerCase();
        if (["yes", "y", "true", "1"].includes(word)) return { answered: true, value: true };
        if (["no", "n", "false", "0"].includes(word)) return { answered: true, value: false };
        return UNANSWERED;
      }
      case "rating": case "nps": case "csat": case "ces": case "number":
        return NUMBER_RE.test(raw) ? { answered: true, value: parseFloat(raw) } : UNANSWERED;
      case "duration": {
        const seconds = parseDuration(raw);
        return seconds === null ? UNANSWERED : { answered: true, value: seconds };
      }
      default:
        return { answered: true, value: raw };
    }
  }

  // ---- skip logic, mirroring surveys.scoring.condition_met / visible_codes ------------------

  function matches(type, answer, target) {
    if (answer === "NA" || target === "NA") return answer === "NA" && target === "NA";
    if (type === "multi_choice") return target.every((t) => answer.includes(t));
    return answer === target;
  }

  function conditionMet(cond, shown) {
    const ref = config.questions[cond.question];
    if (!ref || !shown.has(cond.question)) return false;
    const answer = answerOf(cond.question);
    if (!answer.answered) return false;
    const a = answer.value;
    const t = cond.targets;
    switch (cond.operator) {
      case "answered": return a !== "NA";
      case "equals": return t.length > 0 && matches(ref.type, a, t[0]);
      case "not_equals": return t.length > 0 && !matches(ref.type, a, t[0]);
      case "in": return t.some((x) => matches(ref.type, a, x));
      case "gt": return a !== "NA" && t[0] !== "NA" && a > t[0];
      case "lt": return a !== "NA" && t[0] !== "NA" && a < t[0];
      default: return true;
    }
  }

  function visibleSets() {
    const shown = new Set();
    const sections = new Set();
    for (const section of config.sections) {
      const sectionShown = !section.showIf || conditionMet(section.showIf, shown);
      if (sectionShown) sections.add(section.key);
      for (const code of section.questions) {
        const cond = config.questions[code].showIf;
        if (sectionShown && (!cond || conditionMet(cond, shown))) shown.add(code);
      }
    }
    return { shown, sections };
  }

  function setDisabled(wrap, hidden) {
    wrap.hidden = hidden;
    wrap.querySelectorAll("input, textarea, select").forEach((el) => {
      if (el.type === "file" && preview) return;
      el.disabled = hidden;
    });
  }

  let visible = { shown: new Set(), sections: new Set() };
  function applySkipLogic() {
    // Re-evaluate until stable: enabling a question may reveal answers others depend on.
    for (let i = 0; i < 5; i++) {
      visible = visibleSets();
      let changed = false;
      form.querySelectorAll("[data-question]").forEach((wrap) => {
        const hidden = !visible.shown.has(wrap.dataset.question);
        if (wrap.hidden !== hidden) { setDisabled(wrap, hidden); changed = true; }
      });
      if (!changed) break;
    }
    form.querySelectorAll("[data-section]").forEach((section) => {
      section.classList.toggle("section-skipped", !visible.sections.has(section.dataset.section));
    });
    updatePager();
  }

  // "Not applicable" beside a free-entry field: the field is off while it is ticked.
  function applyNaBoxes() {
    form.querySelectorAll("[data-na-for]").forEach((box) => {
      const wrap = box.closest("[data-question]");
      if (wrap.hidden) return;
      wrap.querySelectorAll("input, textarea").forEach((el) => {
        if (el !== box && el.type !== "hidden") el.disabled = box.checked;
      });
    });
  }

  // ---- paging: one section at a time, all inside the one form --------------------------------

  const sectionNodes = Array.from(form.querySelectorAll("[data-section]"));
  const paged = config.paging === "sections" && sectionNodes.length > 1;
  let current = 0;
  const pager = form.querySelector("[data-pager]");
  const backButton = form.querySelector('[data-action="back"]');
  const nextButton = form.querySelector('[data-action="next"]');
  const submitButton = form.querySelector('[data-action="submit"]');

  function pageSections() {
    return sectionNodes.filter((node) => visible.sections.has(node.dataset.section) && node.querySelector("[data-question]:not([hidden])"));
  }

  function updatePager() {
    if (!paged) {
      sectionNodes.forEach((node) => { node.hidden = node.classList.contains("section-skipped"); });
      return;
    }
    const pages = pageSections();
    if (current >= pages.length) current = Math.max(0, pages.length - 1);
    sectionNodes.forEach((node) => { node.hidden = node !== pages[current]; });
    pager.classList.remove("d-none");
    const total = Math.max(pages.length, 1);
    pager.querySelector("#progress-text").textContent = t("section_of", "Section %(current)s of %(total)s", { current: current + 1, total: total });
    const percent = Math.round(((current + 1) / total) * 100);
    pager.querySelector("[data-progress-bar]").style.width = percent + "%";
    pager.querySelector('[role="progressbar"]').setAttribute("aria-valuenow", String(percent));
    backButton.classList.toggle("d-none", current === 0);
    const last = current >= pages.length - 1;
    nextButton.classList.toggle("d-none", last);
    submitButton.classList.toggle("d-none", !last);
  }

  function go(index, focus) {
    current = index;
    updatePager();
    const node = pageSections()[current];
    if (node && focus) {
      node.querySelector(".section-title").focus();
      node.scrollIntoView({ block: "start" });
    }
  }

  function firstInvalid(scope) {
    return Array.from(scope.querySelectorAll("input, textarea")).find((el) => !el.disabled && !el.checkValidity());
  }

  function showInvalid(el) {
    const pages = pageSections();
    const index = pages.findIndex((node) => node.contains(el));
    if (paged && index >= 0 && index !== current) go(index, false);
    el.reportValidity();
  }

  backButton.addEventListener("click", () => go(Math.max(0, current - 1), true));
  nextButton.addEventListener("click", () => {
    const bad = firstInvalid(pageSections()[current]);
    if (bad) { showInvalid(bad); return; }
    save("next");
    go(current + 1, true);
  });

  // ---- autosave: server draft every 10 s when changed, on leaving a field; local backup ------

  let dirty = false;
  let saving = null;
  let lastServerSave = config.serverSavedAt || 0;

  function formEntries() {
    const data = new FormData(form);
    for (const key of Array.from(data.keys())) if (key.startsWith("f-")) data.delete(key);
    return data;
  }

  function answersSnapshot() {
    const snapshot = {};
    for (const [key, value] of formEntries().entries()) {
      if (!key.startsWith("q-")) continue;
      (snapshot[key] = snapshot[key] || []).push(value);
    }
    return snapshot;
  }

  function writeBackup(synced) {
    if (!storageKey || preview) return;
    try {
      localStorage.setItem(storageKey, JSON.stringify({ at: Date.now(), synced: synced, answers: answersSnapshot() }));
    } catch (e) { /* storage full or disabled: the server draft still works */ }
  }

  function setStatus(text) { if (statusNode) statusNode.textContent = text; }

  function showNotice(html) {
    notice.replaceChildren();
    notice.append(...html);
    notice.classList.remove("d-none");
  }

  function hideNotice() { notice.classList.add("d-none"); }

  function loginNotice() {
    const link = document.createElement("a");
    link.href = urls.login || "/accounts/login/";
    link.target = "_blank";
    link.rel = "noopener";
    link.className = "alert-link";
    link.textContent = t("session_link", "log in again in a new tab");
    showNotice([
      t("session_ended", "Your session has ended, so your latest answers are not saved on the server yet. They are kept in this page and this browser:") + " ",
      link,
      t("session_after", ", then come back here — saving resumes by itself."),
    ]);
  }

  async function refreshCsrf() {
    const res = await fetch(urls.csrf, { credentials: "same-origin", cache: "no-store" });
    if (!res.ok) throw new Error("csrf");
    const token = (await res.json()).token;
    form.querySelectorAll('input[name="csrfmiddlewaretoken"]').forEach((el) => { el.value = token; });
    return token;
  }

  function csrf() {
    const el = form.querySelector('input[name="csrfmiddlewaretoken"]');
    return el ? el.value : "";
  }

  // POST with the form's token; on a rotated token fetch a fresh one and retry once. Resolves to
  // {ok, status, json} or {login: true} when the session has ended (a redirect to log in).
  async function post(url, body) {
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        redirect: "manual",
        headers: { "X-CSRFToken": csrf(), Accept: "application/json" },
      });
      if (res.type === "opaqueredirect" || res.status === 401) return { login: true };
      if (res.status === 403 && attempt === 0) {
        await refreshCsrf();
        if (body instanceof FormData) body.set("csrfmiddlewaretoken", csrf());
        continue;
      }
      let json = null;
      try { json = await res.json(); } catch (e) { json = null; }
      return { ok: res.ok, status: res.status, json: json };
    }
    return { ok: false, status: 403, json: null };
  }

  async function save(reason) {
    if (preview || !urls.autosave) return true;
    if (saving) { await saving; if (!dirty && reason !== "submit") return true; }
    const wasDirty = dirty;
    dirty = false;
    saving = (async () => {
      try {
        const result = await post(urls.autosave, formEntries());
        if (result.login) { dirty = true; loginNotice(); setStatus(t("not_saved_session", "Not saved on the server yet (session ended).")); return false; }
        if (result.ok) {
          lastServerSave = result.json.saved_at_ms;
          writeBackup(!dirty);
          const refused = result.json.refused || [];
          if (refused.length) {
            // Text no form takes (an invisible control character, usually pasted): say where.
            showNotice([t("not_saved", "Not saved: %(list)s. Retype that answer; the rest is saved.", { list: refused.map((r) => "“" + r.label + "” " + r.reason).join("; ") })]);
          } else {
            hideNotice();
          }
          setStatus(t("saved_at", "Saved at %(time)s", { time: new Date(lastServerSave).toLocaleTimeString(document.documentElement.lang || [], { hour: "2-digit", minute: "2-digit", second: "2-digit" }) }));
          return true;
        }
        if (result.status === 409 && result.json && result.json.redirect) { window.location.assign(result.json.redirect); return false; }
        dirty = dirty || wasDirty;
        showNotice([t("save_failed", "Your answers could not be saved on the server just now; they are kept in this page and retried shortly.")]);
        return false;
      } catch (e) {
        dirty = dirty || wasDirty;
        setStatus(t("offline", "Offline? Your answers are kept in this browser and saved when the connection is back."));
        return false;
      }
    })();
    const ok = await saving;
    saving = null;
    return ok;
  }

  function changed() {
    dirty = true;
    writeBackup(false);
  }

  form.addEventListener("input", () => { changed(); applyNaBoxes(); applySkipLogic(); });
  form.addEventListener("change", (event) => {
    if (event.target.type === "file") return;
    changed(); applyNaBoxes(); applySkipLogic(); save("change");
  });
  form.addEventListener("focusout", () => { if (dirty) save("blur"); });
  if (!preview) {
    setInterval(() => { if (dirty) save("timer"); }, 5000);
    document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden" && dirty) save("hidden"); });
  }

  // Offer the local backup when it is newer than the server draft and differs from the page.
  function offerBackup() {
    if (!storageKey || preview) return;
    let backup = null;
    try { backup = JSON.parse(localStorage.getItem(storageKey) || "null"); } catch (e) { backup = null; }
    if (!backup || backup.synced || backup.at <= lastServerSave) return;
    if (JSON.stringify(backup.answers) === JSON.stringify(answersSnapshot())) return;
    const offer = document.getElementById("restore-offer");
    offer.querySelector("[data-restore-time]").textContent = new Date(backup.at).toLocaleString();
    offer.classList.remove("d-none");
    offer.querySelector('[data-action="restore"]').addEventListener("click", () => {
      restore(backup.answers);
      offer.classList.add("d-none");
      changed();
      save("restore");
    });
    offer.querySelector('[data-action="discard-local"]').addEventListener("click", () => {
      offer.classList.add("d-none");
      writeBackup(true);
    });
  }

  function restore(answers) {
    form.querySelectorAll("[data-question]").forEach((wrap) => setDisabled(wrap, false));
    form.querySelectorAll('[name^="q-"]').forEach((el) => {
      const values = answers[el.name] || [];
      if (el.type === "radio" || el.type === "checkbox") el.checked = values.includes(el.value);
      else el.value = values.length ? values[0] : "";
    });
    applyNaBoxes();
    applySkipLogic();
  }

  // ---- evidence uploads ----------------------------------------------------------------------

  form.querySelectorAll("[data-upload-for]").forEach((input) => {
    input.addEventListener("change", async () => {
      const file = input.files[0];
      const wrap = input.closest("[data-question]");
      const current = wrap.querySelector("[data-evidence-current]");
      if (!file || preview) return;
      if (file.size > config.maxUploadBytes) {
        current.textContent = t("too_large", "This file is too large: the limit is %(mb)s MB.", { mb: Math.round(config.maxUploadBytes / 1048576) });
        input.value = "";
        return;
      }
      current.textContent = t("uploading", "Uploading %(name)s…", { name: file.name });
      const body = new FormData();
      body.set("question", input.dataset.uploadFor);
      body.set("file", file);
      body.set("csrfmiddlewaretoken", csrf());
      try {
        const result = await post(urls.upload, body);
        if (result.login) { loginNotice(); current.textContent = t("not_uploaded", "Not uploaded: log in again, then choose the file again."); return; }
        if (!result.ok) { current.textContent = (result.json && result.json.error) || t("upload_failed", "The file could not be uploaded."); input.value = ""; return; }
        wrap.querySelector("[data-evidence-key]").value = result.json.key;
        current.textContent = t("attached", "Attached: %(name)s (%(kb)s KB)", { name: result.json.name, kb: Math.max(1, Math.round(result.json.size / 1024)) });
        input.value = ""; // uploaded: the form must not send it again
        changed();
        applySkipLogic();
        save("upload");
      } catch (e) {
        current.textContent = t("upload_lost", "The upload failed (connection?). Choose the file again to retry.");
      }
    });
  });

  // ---- submit: validate, make sure the draft (and so the session and token) is good, post ----

  let submitting = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (preview || submitting) return;
    const bad = firstInvalid(form);
    if (bad) { showInvalid(bad); return; }
    submitting = true;
    submitButton.disabled = true;
    submitButton.textContent = t("submitting", "Submitting…");
    dirty = true;
    const ok = await save("submit");
    if (!ok) {
      submitting = false;
      submitButton.disabled = false;
      submitButton.textContent = t("submit", "Submit");
      return;
    }
    writeBackup(true);
    // A native submission: the server answers with the receipt or the form with its errors.
    HTMLFormElement.prototype.submit.call(form);
  });

  // ---- start ----------------------------------------------------------------------------------

  applyNaBoxes();
  applySkipLogic();
  const summary = document.getElementById("error-summary");
  if (summary) {
    const firstError = form.querySelector(".has-error:not([hidden])");
    if (firstError && paged) {
      const index = pageSections().findIndex((node) => node.contains(firstError));
      if (index >= 0) go(index, false);
    }
    summary.focus();
    summary.querySelectorAll("a[href^='#q-']").forEach((link) => link.addEventListener("click", (event) => {
      const target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) return;
      event.preventDefault();
      const index = pageSections().findIndex((node) => node.contains(target));
      if (paged && index >= 0) go(index, false);
      const focusable = target.matches("fieldset") ? target.querySelector("input:not([disabled])") : target;
      (focusable || target).focus();
    }));
  } else if (!preview) {
    offerBackup();
  }
})();
