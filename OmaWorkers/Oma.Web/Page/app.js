// The live replication page. Everything from the server is put into the page as text (textContent, attributes set
// through the DOM), never as markup: names, errors and log lines come from outside and may hold anything.
"use strict";

const jobs = new Map();
let selected = null;

const el = (tag, props = {}, children = []) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "text") node.textContent = value;
    else if (key === "className") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
};

const bytes = (n) => {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = Number(n) || 0, unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
};

const duration = (seconds) => {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${r}s` : `${r}s`;
};

const bar = (percent, label, className) => {
  const p = Math.max(0, Math.min(100, Number(percent) || 0));
  const fill = el("div", { className: "fill" });
  fill.style.width = `${p}%`;
  return el("div", { className, "data-percent": String(p) }, [fill, el("span", { className: "text", text: label })]);
};

function renderRow(job) {
  const disks = (job.disks || []).map((d) =>
    bar(d.sync_progress_percent, `${d.label || d.disk_id} ${Number(d.sync_progress_percent).toFixed(1)}%`, "bar disk"));
  const row = el("tr", { className: "job", "data-job-id": job.id, "data-status": job.status, "data-version": String(job.version) }, [
    el("td", { text: job.id }),
    el("td", { text: job.vm_name }),
    el("td", { className: "status", text: job.status }),
    el("td", { className: "stage", text: job.current_operation || "" }),
    el("td", { className: "bars" }, [bar(job.progress_percent,
      `${Number(job.progress_percent).toFixed(1)}% · ${bytes(job.bytes_transferred)} of ${bytes(job.total_bytes)}`, "bar job"), ...disks]),
    el("td", { className: "throughput", text: job.status === "streaming" ? `${bytes(job.transfer_speed_bps)}/s` : "–" }),
    el("td", { className: "eta", "data-eta": job.eta_seconds === null || job.eta_seconds === undefined ? "" : String(job.eta_seconds), text: duration(job.eta_seconds) }),
    el("td", { className: "error", text: job.error_message || "" }),
  ]);
  if (job.id === selected) row.classList.add("selected");
  row.addEventListener("click", () => select(job.id));
  return row;
}

function renderAll() {
  const body = document.querySelector("#jobs tbody");
  const ordered = [...jobs.values()].sort((a, b) => (b.created_at || "").localeCompare(a.created_at || "") || a.id.localeCompare(b.id));
  body.replaceChildren(...ordered.map(renderRow));
  document.getElementById("empty").hidden = ordered.length > 0;
}

async function select(id) {
  selected = id;
  renderAll();
  await loadDetail(id);
}

async function loadDetail(id) {
  const response = await fetch(`/api/v1/jobs/${encodeURIComponent(id)}`);
  if (!response.ok || selected !== id) return;
  const detail = await response.json();
  const section = document.getElementById("detail");
  section.hidden = false;
  section.setAttribute("data-job-id", id);
  document.getElementById("detail-title").textContent = `${detail.job.id} · ${detail.job.vm_name}`;
  document.getElementById("timeline").replaceChildren(...detail.stages.map((s) =>
    el("li", { className: s.passed_between_polls ? "passed" : "", title: s.at, text: `${s.stage} ${new Date(s.at).toLocaleTimeString()}` })));
  document.querySelector("#history tbody").replaceChildren(...detail.cbt_history.map((h) => el("tr", {}, [
    el("td", { text: h.disk_id }), el("td", { text: h.sync_type }), el("td", { text: bytes(h.bytes_transferred) }),
    el("td", { text: String(h.sync_duration_seconds) }), el("td", { text: h.sync_success ? "yes" : "no" }), el("td", { text: h.change_id || "" }),
  ])));
  document.getElementById("log").replaceChildren(...detail.job_log.map((e) =>
    el("li", { "data-level": e.level, text: `${e.at} ${e.level} ${e.event_kind}: ${e.message}` })));
}

function connect() {
  const status = document.getElementById("connection");
  const source = new EventSource("/api/v1/jobs/events");
  source.addEventListener("open", () => { status.dataset.state = "live"; status.textContent = "live"; });
  source.addEventListener("error", () => { status.dataset.state = "lost"; status.textContent = "reconnecting…"; });
  source.addEventListener("jobs", (event) => {
    jobs.clear();
    for (const job of JSON.parse(event.data)) jobs.set(job.id, job);
    renderAll();
    if (selected) loadDetail(selected);
  });
  source.addEventListener("job", (event) => {
    const job = JSON.parse(event.data);
    jobs.set(job.id, job);
    renderAll();
    if (job.id === selected) loadDetail(job.id);
  });
  source.addEventListener("database-error", (event) => {
    status.dataset.state = "lost";
    status.textContent = JSON.parse(event.data).message;
  });
}

connect();
