// The recommendation page: vanilla JavaScript over the JSON API, no network but this server.
"use strict";

const TOKEN_KEY = "recdistill.token";
const K = 10;
let run = null;          // GET /v1/run
let currentUser = null;
let pending = null;      // a click waiting for the token

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("data-")) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function status(text, isError = false) {
  const s = $("status");
  s.textContent = text;
  s.classList.toggle("error", isError);
}

async function api(path, options = {}) {
  const res = await fetch(path, { headers: { Accept: "application/json" }, ...options });
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) {
    const err = new Error((body && body.detail) || `${res.status} ${res.statusText}`);
    err.status = res.status;
    throw err;
  }
  return body;
}

function bytes(n) {
  if (n == null) return "–";
  const units = ["B", "KB", "MB", "GB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

const num = (x, d = 4) => (x == null ? "–" : Number(x).toFixed(d));

function renderRun() {
  $("run-name").textContent = run.dataset.name ? `· ${run.dataset.name}` : "";
  if (run.note) { $("note").textContent = run.note; $("note").hidden = false; }
  const body = $("numbers").querySelector("tbody");
  body.replaceChildren();
  for (const slot of ["teacher", "student"]) {
    const m = run.models[slot];
    if (!m) continue;
    const h = m.headline || {};
    body.append(el("tr", { "data-testid": `headline-${slot}` },
      el("td", {}, slot), el("td", {}, `${m.name}${m.kd ? ` (kd: ${m.kd})` : ""}`),
      el("td", {}, num(h["ndcg@10"])), el("td", {}, num(h["recall@10"])),
      el("td", {}, bytes(h.serving_bytes)),
      el("td", {}, h.latency_ms_per_user == null ? "–" : `${num(h.latency_ms_per_user, 3)} ms`)));
  }
  const t = run.models.teacher, s = run.models.student;
  if (t && s && t.headline["ndcg@10"] && s.headline["ndcg@10"] && t.name !== s.name) {
    const q = (100 * s.headline["ndcg@10"]) / t.headline["ndcg@10"];
    const size = s.headline.serving_bytes && t.headline.serving_bytes
      ? ` at ${(100 * s.headline.serving_bytes / t.headline.serving_bytes).toFixed(1)}% of its size` : "";
    $("ratio").textContent = `The student keeps ${q.toFixed(1)}% of the teacher's NDCG@10${size}.`;
  }
  if (!t) $("teacher-section").hidden = true;
  const list = $("user-list");
  const samples = $("samples");
  for (const u of run.sample_users || []) {
    list.append(el("option", { value: u }));
    const b = el("button", { type: "button", class: "link", "data-testid": "sample-user" }, u);
    b.addEventListener("click", () => { $("user-input").value = u; show(u); });
    samples.append(b);
  }
}

function renderHistory(h) {
  const ol = $("history");
  ol.replaceChildren();
  const live = h.live_events;
  h.history.forEach((it, i) => {
    const isLive = i >= h.history.length - live;
    ol.append(el("li", { class: isLive ? "live" : "", "data-testid": "history-item", "data-item-id": it.item_id },
      el("span", { class: "title" }, it.title),
      el("span", { class: "meta" }, `${it.item_id} · ${it.category}${isLive ? " · new" : ""}`)));
  });
  ol.scrollTop = ol.scrollHeight;
  $("history-count").textContent = h.known
    ? `(${h.length} items${live ? `, ${live} from events` : ""}; newest last)`
    : "(unknown user: no history yet)";
}

const POLICY = {
  known_user: "from this user's history",
  history: "from an ad-hoc history",
  fallback: "unknown user: most popular items (fallback)",
};

function renderRecs(slot, doc) {
  const ol = $(slot);
  ol.replaceChildren();
  $(`${slot}-meta`).textContent = `${doc.model_name} · v${doc.model_version}`;
  $(`${slot}-policy`).replaceChildren(el("span", { class: "badge", "data-testid": `${slot}-policy` }, doc.policy),
    ` ${POLICY[doc.policy] || ""}`);
  for (const it of doc.items) {
    const li = el("li", { tabIndex: 0, "data-testid": "rec-item", "data-item-id": it.item_id, "data-model": slot,
                          title: "Record an interaction with this item" },
      el("span", { class: "score" }, num(it.score, 3)),
      el("span", { class: "title" }, it.title),
      el("span", { class: "meta" }, `${it.item_id} · ${it.category}`));
    li.addEventListener("click", () => record(it, li));
    li.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); record(it, li); } });
    ol.append(li);
  }
}

async function show(user) {
  user = user.trim();
  if (!user) return;
  currentUser = user;
  const url = new URL(window.location.href);
  url.searchParams.set("user", user);
  window.history.replaceState(null, "", url);
  const enc = encodeURIComponent(user);
  const slots = ["student"].concat(run && run.models.teacher ? ["teacher"] : []);
  try {
    const [h, ...recs] = await Promise.all([
      api(`/v1/users/${enc}?limit=50`),
      ...slots.map((s) => api(`/v1/users/${enc}/recommendations?k=${K}&model=${s}`)),
    ]);
    if (user !== currentUser) return;  // a newer request won
    renderHistory(h);
    slots.forEach((s, i) => renderRecs(s, recs[i]));
    $("main").hidden = false;
    document.body.dataset.user = user;
  } catch (e) {
    status(`Could not load user ${user}: ${e.message}`, true);
  }
}

function askToken(reason) {
  $("token-form").hidden = false;
  $("token-input").focus();
  status(reason, true);
}

async function record(item, li) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) { pending = [item, li]; askToken("Enter the API token to record clicks."); return; }
  const user = currentUser;
  li.classList.add("picked");
  try {
    const ack = await api("/v1/events", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ user_id: user, item_id: item.item_id, event_id: crypto.randomUUID ? crypto.randomUUID() : undefined }),
    });
    await show(user);
    status(`Recorded: ${user} → ${item.title} (event ${ack.seq}). Both lists updated.`);
  } catch (e) {
    li.classList.remove("picked");
    if (e.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      pending = [item, li];
      askToken("The token was refused; enter it again.");
    } else {
      status(`Not recorded: ${e.message}`, true);
    }
  }
}

async function main() {
  $("user-form").addEventListener("submit", (e) => { e.preventDefault(); show($("user-input").value); });
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const t = $("token-input").value.trim();
    if (!t) return;
    sessionStorage.setItem(TOKEN_KEY, t);
    $("token-input").value = "";
    $("token-form").hidden = true;
    status("Token saved for this tab.");
    if (pending) { const [item, li] = pending; pending = null; record(item, li); }
  });
  try {
    run = await api("/v1/run");
    renderRun();
  } catch (e) {
    status(`Could not load the run: ${e.message}`, true);
    return;
  }
  const user = new URLSearchParams(window.location.search).get("user");
  if (user) { $("user-input").value = user; await show(user); }
  document.body.dataset.ready = "1";
}

main();
