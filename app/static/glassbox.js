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
        if (body.DatasetStatus && body.DatasetStatus !== "Profiling") {
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

function sortableTables(root = document) {
  root.querySelectorAll("table.sortable").forEach((table) => {
    const heads = table.querySelectorAll("thead th");
    heads.forEach((th, col) => {
      th.tabIndex = 0;
      th.classList.add("sort-head");
      const sort = () => {
        const asc = th.getAttribute("aria-sort") !== "ascending";
        if (table.id) sortState.set(table.id, { col, asc });
        sortTable(table, col, asc);
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", (e) => { if (e.key === "Enter") sort(); });
    });
    const saved = table.id && sortState.get(table.id);
    if (saved) sortTable(table, saved.col, saved.asc);
  });
}

// Job pages: refresh the live part while the job runs, without reloading the page.
function liveJob() {
  const el = document.querySelector("[data-live]");
  if (!el || !el.dataset.live) return;
  const url = el.dataset.live;
  const tick = async () => {
    try {
      const r = await fetch(url, { headers: { Accept: "text/html" } });
      if (r.ok) {
        el.innerHTML = await r.text();
        sortableTables(el);
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

function autosubmit() {
  document.querySelectorAll("select[data-autosubmit]").forEach((s) => {
    s.addEventListener("change", () => s.form.submit());
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

document.addEventListener("DOMContentLoaded", () => {
  confirmForms();
  uploadForm();
  pollWhileBusy();
  sortableTables();
  autosubmit();
  liveJob();
});
