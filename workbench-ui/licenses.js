// Writes static/editor.LICENSES.txt: the licence of every package the bundle contains
// (CodeMirror, Lezer and their small helpers are MIT), so the wheel carries them.
const fs = require("fs");
const path = require("path");
const lock = require("./package-lock.json");
const out = [];
for (const [where, info] of Object.entries(lock.packages)) {
  if (!where || where.includes("esbuild")) continue;
  const folder = path.join(__dirname, where);
  const file = fs.readdirSync(folder).find((f) => /^licen[sc]e/i.test(f));
  const text = file ? fs.readFileSync(path.join(folder, file), "utf8").trim() : info.license;
  out.push(`== ${where.replace(/^node_modules\//, "")} ${info.version} (${info.license})\n\n${text}\n`);
}
fs.writeFileSync(path.join(__dirname, "../kaohe_rules/workbench/serve/static/editor.LICENSES.txt"), out.join("\n"));
