// The workbench page: three views (rules, editor, results) over the server's JSON routes.
// Every text from the server is put in the page as text (textContent), never as markup.
"use strict";

const settings = JSON.parse(document.querySelector('meta[name="kaohe"]').content);
const $ = (selector) => document.querySelector(selector);
const IMPACT_PAUSE = 300; // ms after the last keystroke before the impact is asked for
// ms after the last keystroke before the diagnostics are asked for: kaohe lsp's pause, so
// that a keystroke's problems show within 300 ms (a check takes about 110 ms on rules/2024)
const LINT_PAUSE = 100;

const state = { ruleset: null, file: null, editor: null, impactTimer: null, impactAsked: 0 };

// --- talking to the server -----------------------------------------------------------------

async function api(method, url, body) {
  const options = { method, headers: { "X-Kaohe-CSRF": settings.csrf }, credentials: "same-origin" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  const data = await response.json().catch(() => ({ 代码: "", 消息: `服务器返回 ${response.status}` }));
  if (!response.ok) {
    const error = new Error(data.消息 || `服务器返回 ${response.status}`);
    error.status = response.status;
    error.body = data;
    throw error;
  }
  return data;
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== null && value !== undefined) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function say(text, isError = false) {
  const status = $("#status");
  status.textContent = text;
  status.className = isError ? "error-text" : "";
}

function problemText(error) {
  const body = error.body || {};
  const parts = [body.代码, error.message].filter(Boolean).join(" ");
  return body.提示 ? `${parts}（${body.提示}）` : parts;
}

// The refusal with the rule or data problems behind it (KH596 says only that there are some),
// for the views that have no room for the list.
function problemTextWithCauses(error) {
  const causes = ((error.body || {}).问题 || []).slice(0, 3).map((p) => `${p.代码} ${p.消息}`);
  return causes.length ? `${problemText(error)}：${causes.join("；")}` : problemText(error);
}

// --- views ---------------------------------------------------------------------------------

function show(view) {
  document.querySelectorAll(".view").forEach((v) => v.classList.toggle("active", v.id === `view-${view}`));
  document.querySelectorAll(".tab").forEach((t) => t.classList.toggle("active", t.dataset.view === view));
  if (view === "results") loadResults();
}

async function start() {
  document.querySelectorAll(".tab").forEach((t) => t.addEventListener("click", () => show(t.dataset.view)));
  const tree = await api("GET", "/api/tree");
  const select = $("#ruleset");
  for (const ruleset of tree.规则集) select.append(el("option", { value: ruleset.名称 }, ruleset.名称));
  select.value = tree.默认;
  state.ruleset = tree.默认;
  select.addEventListener("change", () => {
    state.ruleset = select.value;
    state.results = null;
    loadRules();
    if ($("#view-results").classList.contains("active")) loadResults();
    scheduleImpact();
  });
  renderFiles(tree.规则集);
  $("#save").addEventListener("click", save);
  $("#reload").addEventListener("click", () => state.file && openFile(state.file.path));
  $("#filter").addEventListener("input", renderResults);
  if (settings.readOnly) say("内置规则，只读");
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "s") {
      event.preventDefault(); // the browser's "save page" would save the workbench itself
      if (state.file && !settings.readOnly) save();
    }
  });
  window.addEventListener("beforeunload", (event) => {
    if (state.file && state.file.text !== state.file.saved) event.preventDefault();
  });
  loadRules();
  const wanted = new URLSearchParams(location.search);
  if (wanted.get("file")) {
    show("edit");
    await openFile(wanted.get("file"), Number(wanted.get("line") || 1));
  } else show("rules");
}

// --- rules: the manual and the inheritance -------------------------------------------------

async function loadRules() {
  const ruleset = state.ruleset;
  $("#manual").src = `/api/manual?ruleset=${encodeURIComponent(ruleset)}`;
  const box = $("#inheritance");
  box.replaceChildren(el("p", { class: "muted" }, "载入中……"));
  try {
    const found = await api("GET", `/api/inheritance?ruleset=${encodeURIComponent(ruleset)}`);
    if (!found.上一级) {
      $("#inherit-title").textContent = "继承";
      box.replaceChildren(el("p", {}, `规则集 ${ruleset} 不继承其他规则集。`));
      return;
    }
    $("#inherit-title").textContent = `规则集 ${ruleset} 相对于所继承的 ${found.上一级} 的变化（${found.变化.length} 处）`;
    box.replaceChildren(changesTable(found.变化));
  } catch (error) {
    box.replaceChildren(el("p", { class: "error-text" }, problemText(error)));
    if (error.body && error.body.问题) box.append(problemList(error.body.问题));
  }
}

// A place in a rule file: a link that opens it in the editor (the text when it lies outside
// the root).
function citeLink(link, shown) {
  if (!link || !link.文件) return shown || "";
  const where = `${link.文件}:${link.行}`;
  return el("a", { class: "cite", "data-file": link.文件, "data-line": link.行, onclick: () => openFile(link.文件, link.行) }, where);
}

function changeCite(c) {
  return citeLink(c.新出处链接, c.新出处) || citeLink(c.原出处链接, c.原出处);
}

// As kaohe diff prints a change: [领域] 类型 对象：原 → 新 〔出处〕
function changesList(changes) {
  return el("ul", { class: "change-list" }, changes.map((c) => {
    const arrow = c.类型 === "修改" || c.类型 === "改名" ? `${c.原} → ${c.新}` : c.类型 === "新增" ? c.新 : c.原;
    return el("li", {}, `[${c.领域}] ${c.类型} ${c.对象}：${arrow} `, el("span", { class: "muted" }, "〔", changeCite(c), "〕"));
  }));
}

function changesTable(changes) {
  const head = el("tr", {}, ["领域", "类型", "对象", "原", "新", "出处"].map((h) => el("th", {}, h)));
  const rows = changes.map((c) =>
    el("tr", {}, el("td", {}, c.领域), el("td", {}, c.类型), el("td", {}, c.对象), el("td", {}, c.原),
      el("td", {}, c.新), el("td", {}, changeCite(c))));
  return el("table", { class: "changes" }, el("thead", {}, head), el("tbody", {}, rows));
}

// --- the editor ----------------------------------------------------------------------------

function renderFiles(rulesets) {
  const box = $("#files");
  box.replaceChildren();
  for (const ruleset of rulesets) {
    box.append(el("h4", {}, ruleset.名称));
    for (const file of ruleset.文件) {
      box.append(el("a", { "data-path": file.路径, onclick: () => openFile(file.路径) }, file.名称));
    }
  }
}

const editorOptions = () => ({
  lint: lint,
  complete: complete,
  hover: hover,
  changed: changed,
  readOnly: settings.readOnly,
  delay: LINT_PAUSE,
});

async function openFile(path, line = 1) {
  show("edit");
  if (state.file && state.file.path !== path && state.file.text !== state.file.saved) {
    if (!confirm(`${state.file.path} 有未保存的修改，放弃这些修改并打开 ${path}？`)) return;
  }
  let found;
  try {
    found = await api("GET", `/api/file?path=${encodeURIComponent(path)}`);
  } catch (error) {
    say(problemText(error), true);
    return;
  }
  state.file = { path: found.路径, version: found.版本, saved: found.文本, text: found.文本 };
  if (!state.editor) state.editor = KaoheEditor.create($("#editor"), found.文本, editorOptions());
  else KaoheEditor.reset(state.editor, found.文本, editorOptions());
  $("#file-name").textContent = found.路径;
  document.querySelectorAll("#files a").forEach((a) => a.classList.toggle("open", a.dataset.path === found.路径));
  $("#save").disabled = settings.readOnly;
  $("#reload").disabled = false;
  $("#save-status").textContent = "";
  markDirty();
  // An answer still on its way was asked for the text this editor held before: drop it.
  clearTimeout(state.impactTimer);
  state.impactAsked++;
  renderImpact(null);
  requestAnimationFrame(() => KaoheEditor.goTo(state.editor, line));
}

function markDirty() {
  const dirty = state.file && state.file.text !== state.file.saved;
  $("#dirty").textContent = dirty ? "● 未保存" : "";
  document.body.dataset.dirty = dirty ? "1" : "0";
}

function changed(text) {
  state.file.text = text;
  markDirty();
  scheduleImpact();
}

// Code points (the server's columns) ⇄ UTF-16 units (the editor's offsets).
function codePoints(text) {
  return Array.from(text).length;
}

function offsetOf(doc, line, column) {
  const target = doc.line(Math.max(1, Math.min(line, doc.lines)));
  const units = Array.from(target.text).slice(0, Math.max(0, column - 1)).join("").length;
  return target.from + units;
}

async function lint(text) {
  const file = state.file;
  if (!file) return [];
  let found;
  try {
    found = await api("POST", "/api/diagnose", { 路径: file.path, 文本: text });
  } catch (error) {
    say(problemText(error), true);
    return [];
  }
  if (state.file !== file || file.text !== text) return []; // a newer keystroke will lint again
  renderProblems(found.问题);
  const doc = state.editor.state.doc;
  return found.问题
    .filter((p) => p.位置 && p.位置.文件 === file.path)
    .map((p) => {
      const where = p.位置;
      const from = offsetOf(doc, where.行, where.列);
      let to = where.止行 ? offsetOf(doc, where.止行, where.止列) : from;
      if (to <= from) to = Math.min(doc.length, from + 1);
      const message = `${p.代码} ${p.消息}` + (p.提示 ? `\n提示：${p.提示}` : "");
      return { from, to, severity: p.级别 === "warning" ? "warning" : "error", message, source: "kaohe" };
    });
}

function problemList(problems) {
  return el("ul", {}, problems.map((p) => problemItem(p)));
}

function problemItem(p) {
  const where = p.位置 ? `${p.位置.文件 || p.位置.显示}:${p.位置.行}:${p.位置.列}` : "";
  const item = el(
    "li",
    { class: p.级别, "data-code": p.代码, "data-file": p.位置 && p.位置.文件, "data-line": p.位置 && p.位置.行 },
    el("span", { class: "code" }, p.代码), " ", p.消息, where ? ` 〔${where}〕` : "",
    p.提示 ? el("div", { class: "muted" }, `提示：${p.提示}`) : null,
  );
  if (p.位置 && p.位置.文件) item.addEventListener("click", () => openFile(p.位置.文件, p.位置.行));
  return item;
}

function renderProblems(problems) {
  $("#problems").replaceChildren(...problems.map(problemItem));
  $("#problem-count").textContent = problems.length ? `（${problems.length}）` : "（无）";
}

async function complete(text, pos) {
  if (!state.file) return [];
  try {
    const found = await api("POST", "/api/complete", { 路径: state.file.path, 文本: text, 位置: codePoints(text.slice(0, pos)) });
    return found.候选.map((c) => ({
      label: c.标签,
      detail: [c.类别, c.说明].filter(Boolean).join(" "),
      info: c.文档 || undefined,
    }));
  } catch (error) {
    return [];
  }
}

async function hover(text, pos) {
  if (!state.file) return null;
  try {
    const found = await api("POST", "/api/hover", { 路径: state.file.path, 文本: text, 位置: codePoints(text.slice(0, pos)) });
    // The editing services write Markdown; the tooltip shows text, so drop its marks.
    return found.说明 && found.说明.replace(/\*\*(.+?)\*\*/g, "$1").replace(/`([^`]+)`/g, "$1");
  } catch (error) {
    return null;
  }
}

async function save() {
  const file = state.file;
  if (!file) return;
  const text = file.text;
  try {
    const saved = await api("PUT", "/api/file", { 路径: file.path, 文本: text, 版本: file.version });
    file.version = saved.版本;
    file.saved = text;
    $("#save-status").textContent = "已保存";
    $("#save-status").className = "";
    state.results = null;
    markDirty();
    scheduleImpact();
  } catch (error) {
    $("#save-status").textContent = problemText(error);
    $("#save-status").className = "error-text";
  }
}

// --- impact of the unsaved edit ------------------------------------------------------------

function scheduleImpact() {
  clearTimeout(state.impactTimer);
  if (!state.file) return;
  $("#impact-state").textContent = "…";
  state.impactTimer = setTimeout(askImpact, IMPACT_PAUSE);
}

async function askImpact() {
  const file = state.file;
  const asked = ++state.impactAsked;
  if (file.text === file.saved) {
    renderImpact(null);
    return;
  }
  let found;
  try {
    found = await api("POST", `/api/impact?ruleset=${encodeURIComponent(state.ruleset)}`, { 路径: file.path, 文本: file.text });
  } catch (error) {
    if (asked === state.impactAsked) {
      $("#impact").replaceChildren(el("p", { class: "error-text" }, problemText(error)));
      $("#impact-state").textContent = "";
    }
    return;
  }
  if (asked === state.impactAsked) renderImpact(found);
}

function movesList(moves, className, line) {
  return el("ul", { class: className }, moves.map((m) => el("li", { "data-unit": m.编号 }, line(m))));
}

function renderImpact(found) {
  const box = $("#impact");
  $("#impact-state").textContent = "";
  box.dataset.ready = found ? "1" : "0";
  if (!found) {
    box.replaceChildren(el("p", { class: "muted" }, "没有未保存的修改。"));
    return;
  }
  if (found.有错误) {
    box.replaceChildren(el("p", { class: "error-text" }, "修改后的规则有错误，先改正（见“问题”）。"));
    return;
  }
  const scope = el("p", { class: "muted" }, `规则集 ${state.ruleset}：修改后与已保存的相比（在页头换规则集）`);
  const parts = [scope, el("h4", {}, `规则变化 ${found.变化.length} 处`), changesList(found.变化)];
  if (!found.有数据) {
    parts.push(el("p", { class: "muted" }, "没有数据文件夹（kaohe serve --data），不计算对单位的影响。"));
  } else {
    parts.push(el("h4", { id: "impact-units-title" }, `等次或标签变化的单位 ${found.影响.length} 个`));
    parts.push(movesList(found.影响, "impact-units", (m) => {
      const shown = (v) => (v === null ? "（无此标签）" : v); // a label only one side has, as kaohe diff
      const labels = Object.entries(m.标签变化).map(([k, [a, b]]) => `${k} ${shown(a)}→${shown(b)}`).join("，");
      const tier = m.原等次 !== m.新等次 ? `${m.原等次} → ${m.新等次}` : m.新等次;
      return [el("span", { class: m.原等次 !== m.新等次 ? "tier-change" : "" }, m.名称),
        `（${m.领域} · ${m.类别}）：${tier}` + (labels ? `；${labels}` : "")];
    }));
    parts.push(el("h4", {}, "名次变化最大的单位"));
    parts.push(movesList(found.名次变化最大, "largest-moves",
      (m) => `${m.名称}（${m.领域} · ${m.类别}）：第 ${m.原名次} 名 → 第 ${m.新名次} 名`));
    if (found.数据说明) parts.push(el("p", { class: "muted" }, found.数据说明));
  }
  box.replaceChildren(...parts);
}

// --- results and explanations --------------------------------------------------------------

async function loadResults() {
  if (!settings.hasData) {
    $("#results-count").textContent = "没有数据文件夹：用 kaohe serve 规则目录 --data 数据文件夹 启动。";
    return;
  }
  if (state.results && state.results.ruleset === state.ruleset) return;
  $("#results-count").textContent = "计算中……";
  try {
    const found = await api("GET", `/api/results?ruleset=${encodeURIComponent(state.ruleset)}`);
    state.results = { ruleset: state.ruleset, header: found.表头, rows: found.行, sort: null };
    $("#results-notice").textContent = found.数据说明 || "";
    renderResults();
  } catch (error) {
    $("#results-count").textContent = problemTextWithCauses(error);
  }
}

function compareCells(a, b) {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (a === null) return 1;
  if (b === null) return -1;
  return String(a).localeCompare(String(b), "zh-CN");
}

function renderResults() {
  const results = state.results;
  if (!results) return;
  const needle = $("#filter").value.trim();
  let rows = results.rows.filter((row) => !needle || row.some((cell) => String(cell ?? "").includes(needle)));
  if (results.sort) {
    const { column, direction } = results.sort;
    rows = [...rows].sort((x, y) => direction * compareCells(x[column], y[column]));
  }
  const head = el("tr", {}, results.header.map((h, i) => {
    const sorted = results.sort && results.sort.column === i ? (results.sort.direction > 0 ? "asc" : "desc") : "";
    return el("th", { class: sorted, onclick: () => sortBy(i) }, h);
  }));
  const body = rows.map((row) =>
    el("tr", { "data-unit": row[0], onclick: (event) => explainUnit(row[0], event.currentTarget) },
      row.map((cell) => el("td", {}, cell === null ? "" : cell))));
  $("#results").replaceChildren(el("thead", {}, head), el("tbody", {}, body));
  $("#results-count").textContent = `${rows.length} / ${results.rows.length} 个单位`;
}

function sortBy(column) {
  const sort = state.results.sort;
  state.results.sort = { column, direction: sort && sort.column === column ? -sort.direction : 1 };
  renderResults();
}

const CITATION = /([^\s〔〕:：]+\.ya?ml):(\d+)/g;

async function explainUnit(unit, row) {
  document.querySelectorAll("#results tr.picked").forEach((r) => r.classList.remove("picked"));
  row.classList.add("picked");
  const box = $("#explain");
  box.className = "muted";
  box.textContent = "载入中……";
  try {
    const found = await api("GET", `/api/explain?ruleset=${encodeURIComponent(state.ruleset)}&unit=${encodeURIComponent(unit)}`);
    box.className = "";
    box.replaceChildren(...linked(found.文本, found.链接));
  } catch (error) {
    box.className = "error-text";
    box.textContent = problemTextWithCauses(error);
  }
}

function linked(text, links) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(CITATION)) {
    const path = links[match[1]];
    if (!path) continue;
    nodes.push(text.slice(last, match.index));
    const line = Number(match[2]);
    // Named by its place in the root (the text names it as kaohe explain does).
    const link = el("a", { class: "cite", "data-file": path, "data-line": line, title: match[0], onclick: () => openFile(path, line) }, `${path}:${line}`);
    nodes.push(link);
    last = match.index + match[0].length;
  }
  nodes.push(text.slice(last));
  return nodes;
}

start().catch((error) => say(problemText(error), true));
