// Glassbox page behaviour: progressive enhancement only; every page works without it.
"use strict";

function uploadForm() {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const wrap = form.querySelector(".progress-wrap");
  const bar = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  const error = document.getElementById("upload-error");
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = document.getElementById("upload-file");
    const file = input.files && input.files[0];
    error.hidden = true;
    if (!file) return;
    const max = Number(form.dataset.maxBytes || 0);
    if (max && file.size > max) {
      error.textContent = `${file.name} is ${file.size} bytes, above the limit of ${max} bytes.`;
      error.hidden = false;
      return;
    }
    const data = new FormData();
    const target = document.getElementById("upload-target").value.trim();
    if (target) data.append("target", target);
    data.append("file", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/datasets");
    xhr.responseType = "json";
    wrap.hidden = false;
    bar.value = 0;
    status.textContent = "Starting…";
    form.querySelector("button[type=submit]").disabled = true;
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) {
        bar.value = (100 * e.loaded) / e.total;
        status.textContent = `${(e.loaded / 1e6).toFixed(1)} of ${(e.total / 1e6).toFixed(1)} MB sent`;
      }
    });
    xhr.upload.addEventListener("load", () => {
      bar.value = 100;
      status.textContent = "Uploaded; reading the file…";
    });
    const fail = (msg) => {
      error.textContent = msg;
      error.hidden = false;
      wrap.hidden = true;
      form.querySelector("button[type=submit]").disabled = false;
    };
    xhr.addEventListener("load", () => {
      const body = xhr.response || {};
      if (xhr.status === 201 && body.DatasetId) {
        window.location.href = `/datasets/${encodeURIComponent(body.DatasetId)}`;
      } else {
        fail(body.error || `Upload failed (HTTP ${xhr.status}).`);
      }
    });
    xhr.addEventListener("error", () => fail("The upload was interrupted (network error or file too large)."));
    xhr.send(data);
  });
}

function pollWhileBusy() {
  const el = document.querySelector("[data-poll]");
  if (!el || !el.dataset.poll) return;
  const url = el.dataset.poll;
  const tick = async () => {
    try {
      const r = await fetch(url, { headers: { Accept: "application/json" } });
      if (r.ok) {
        const body = await r.json();
        if (body.DatasetStatus && !["Profiling", "Uploading"].includes(body.DatasetStatus)) {
          window.location.reload();
          return;
        }
      }
    } catch (_) {
      /* retry on the next tick */
    }
    setTimeout(tick, 1000);
  };
  setTimeout(tick, 700);
}

// Remembered sort per table id, so a live refresh keeps the user's order.
const sortState = new Map();

function sortTable(table, col, asc) {
  const heads = table.querySelectorAll("thead th");
  const th = heads[col];
  if (!th) return;
  const numeric = th.dataset.sort === "num";
  heads.forEach((h) => h.removeAttribute("aria-sort"));
  th.setAttribute("aria-sort", asc ? "ascending" : "descending");
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  const key = (row) => {
    const cell = row.cells[col];
    if (!numeric) return cell.textContent.trim().toLowerCase();
    const v = parseFloat(cell.dataset.value);
    return Number.isNaN(v) ? -Infinity : v;
  };
  rows.sort((a, b) => {
    const ka = key(a), kb = key(b);
    const c = ka < kb ? -1 : ka > kb ? 1 : 0;
    return asc ? c : -c;
  });
  rows.forEach((r) => body.appendChild(r));
}

// Sortable tables: each heading holds a button (Enter and Space work, and screen readers
// announce it); the heading's aria-sort says the order.
function sortableTables(root = document) {
  root.querySelectorAll("table.sortable").forEach((table) => {
    const heads = table.querySelectorAll("thead th");
    heads.forEach((th, col) => {
      if (th.querySelector("button.sort")) return;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.append(...th.childNodes);
      th.append(button);
      th.classList.add("sort-head");
      button.addEventListener("click", () => {
        const asc = th.getAttribute("aria-sort") !== "ascending";
        if (table.id) sortState.set(table.id, { col, asc });
        sortTable(table, col, asc);
      });
    });
    const saved = table.id && sortState.get(table.id);
    if (saved) sortTable(table, saved.col, saved.asc);
  });
}

// The leaderboard's metric columns: a checkbox per metric. The choice is remembered (per
// browser, for every job) and survives the live refresh; until the user chooses, the
// boxes the server ticked (the objective and three more) say what shows.
function columnChooser(root = document) {
  const chooser = root.querySelector("#leaderboard-columns");
  const table = root.querySelector("#leaderboard");
  if (!chooser || !table) return;
  chooser.hidden = false;
  let saved = {};
  try {
    saved = JSON.parse(localStorage.getItem("glassbox.leaderboard.columns") || "{}");
  } catch (_) {
    saved = {};
  }
  const boxes = chooser.querySelectorAll("input[data-col]");
  const apply = () => {
    let n = 0;
    boxes.forEach((box) => {
      table.querySelectorAll(`[data-col="${CSS.escape(box.dataset.col)}"]`).forEach((cell) => {
        cell.hidden = !box.checked;
      });
      if (box.checked) n += 1;
    });
    const count = chooser.querySelector("summary");
    if (count) count.textContent = `Metrics shown (${n} of ${boxes.length})`;
  };
  boxes.forEach((box) => {
    if (!box.disabled && box.dataset.col in saved) box.checked = saved[box.dataset.col];
    box.addEventListener("change", () => {
      saved[box.dataset.col] = box.checked;
      try {
        localStorage.setItem("glassbox.leaderboard.columns", JSON.stringify(saved));
      } catch (_) {
        /* private mode: the choice lasts for this page */
      }
      apply();
    });
  });
  apply();
}

// Where keyboard focus is inside `el`, as something that survives a re-render: the id,
// the link's address, or the sort button's column.
function focusKey(el) {
  const a = document.activeElement;
  if (!a || !el.contains(a)) return null;
  if (a.id) return `#${CSS.escape(a.id)}`;
  if (a.getAttribute("href")) return `a[href="${CSS.escape(a.getAttribute("href"))}"]`;
  const th = a.closest("th");
  if (th && th.parentElement) {
    const table = a.closest("table");
    const i = Array.prototype.indexOf.call(th.parentElement.children, th);
    if (table && table.id) return `#${CSS.escape(table.id)} thead th:nth-child(${i + 1}) button`;
  }
  return null;
}

// Job pages: refresh the live part while the job runs, without reloading the page. Focus
// and scroll stay where they were; status changes are announced to screen readers.
function liveJob() {
  const el = document.querySelector("[data-live]");
  if (!el || !el.dataset.live) return;
  const url = el.dataset.live;
  const announce = document.getElementById("job-announce");
  const statusText = () => {
    const st = el.querySelector("#job-status");
    const stage = el.querySelector("#job-secondary");
    return st ? `${st.textContent.trim()}${stage ? ` (${stage.textContent.trim()})` : ""}` : "";
  };
  let said = statusText();
  const tick = async () => {
    try {
      const r = await fetch(url, { headers: { Accept: "text/html" } });
      if (r.ok) {
        const key = focusKey(el);
        const x = window.scrollX, y = window.scrollY;
        const open = el.querySelector("#leaderboard-columns")?.open;
        el.innerHTML = await r.text();
        const chooser = el.querySelector("#leaderboard-columns");
        if (chooser && open) chooser.open = true;
        columnChooser(el);
        sortableTables(el);
        if (key) el.querySelector(key)?.focus({ preventScroll: true });
        window.scrollTo(x, y);
        const now = statusText();
        if (announce && now && now !== said) announce.textContent = `Job ${now}`;
        said = now;
        if (el.querySelector("[data-final='1']")) {
          // Candidates to review: the form is part of the page, so load the page again.
          if (el.querySelector("[data-review='1']") && !document.getElementById("review-form")) {
            window.location.reload();
            return;
          }
          const stop = document.getElementById("stop-job");
          if (stop) stop.closest("form").remove();
          return;
        }
      }
    } catch (_) {
      /* retry on the next tick */
    }
    setTimeout(tick, 1500);
  };
  setTimeout(tick, 1000);
}

// Starting a job first measures whether its budget holds a candidate (a few seconds):
// the button says so meanwhile.
function startJobBusy() {
  const button = document.getElementById("start-job");
  if (!button) return;
  const label = button.textContent;
  button.closest("form").addEventListener("submit", () => {
    button.disabled = true;
    button.textContent = "Checking the budget…";
  });
  // Back to a page kept in the browser's cache: the button works again.
  window.addEventListener("pageshow", () => {
    button.disabled = false;
    button.textContent = label;
  });
}

// Forms that destroy something ask first (without the script they submit directly).
function confirmForms() {
  document.querySelectorAll("form[data-confirm]").forEach((f) => {
    f.addEventListener("submit", (e) => {
      if (!window.confirm(f.dataset.confirm)) e.preventDefault();
    });
  });
}

// The new-job form follows its target: the target is no feature (the column that was the
// target becomes one again), the inferred problem type and the positive class are those of
// the chosen column.
function jobFormFollowsTarget() {
  const target = document.getElementById("job-target");
  if (!target) return;
  let previous = target.value;
  const update = () => {
    const opt = target.selectedOptions[0];
    document.querySelectorAll("#features input[name=features]").forEach((box) => {
      if (box.value === target.value) {
        box.checked = false;
        box.disabled = true;
      } else if (box.value === previous || box.disabled) {
        box.disabled = false;
        box.checked = true;
      }
    });
    previous = target.value;
    const inferred = document.getElementById("inferred");
    if (opt && opt.value) {
      inferred.textContent = opt.dataset.problem
        ? `Inferred problem type for this target: ${opt.dataset.problem}`
        : `This column cannot be the target: ${opt.dataset.reason || "unknown"}`;
    }
    const classes = opt && opt.dataset.classes ? JSON.parse(opt.dataset.classes) : [];
    const field = document.getElementById("positive-class-field");
    const select = document.getElementById("job-positive-class");
    select.replaceChildren(...classes.map((c) => new Option(c, c)));
    field.hidden = classes.length === 0;
    select.disabled = classes.length === 0;
    const scheme = document.getElementById("scheme");
    if (scheme && opt && opt.dataset.problem) {
      const text = scheme.textContent.replace(/^stratified /, "");
      scheme.textContent = opt.dataset.problem === "Regression" ? text : `stratified ${text}`;
    }
  };
  target.addEventListener("change", update);
}

// Tabs (a candidate's reports): one panel at a time, chosen by the tab, the arrow keys or
// the address's #fragment (a panel, or anything inside one, like #bias after the bias
// form). Without JavaScript every panel shows and the tabs are links to them.
function tabs(root = document) {
  for (const list of root.querySelectorAll("[role=tablist]")) {
    const tabs = [...list.querySelectorAll("[role=tab]")];
    const panels = tabs.map((t) => document.getElementById(t.getAttribute("aria-controls")));
    const show = (i, focus) => {
      tabs.forEach((t, j) => {
        t.setAttribute("aria-selected", String(i === j));
        t.tabIndex = i === j ? 0 : -1;
        panels[j].hidden = i !== j;
      });
      if (focus) tabs[i].focus();
    };
    const fromHash = () => {
      const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
      const i = target ? panels.findIndex((p) => p === target || p.contains(target)) : -1;
      return i < 0 ? 0 : i;
    };
    tabs.forEach((t, i) => {
      t.addEventListener("click", (e) => {
        e.preventDefault();
        show(i, false);
        history.replaceState(null, "", "#" + panels[i].id);
      });
      t.addEventListener("keydown", (e) => {
        const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
        if (step) {
          e.preventDefault();
          show((i + step + tabs.length) % tabs.length, true);
        }
      });
    });
    show(fromHash(), false);
    window.addEventListener("hashchange", () => show(fromHash(), false));
  }
}

document.addEventListener("DOMContentLoaded", () => {
  tabs();
  jobFormFollowsTarget();
  startJobBusy();
  confirmForms();
  uploadForm();
  pollWhileBusy();
  columnChooser();
  sortableTables();
  liveJob();
});
