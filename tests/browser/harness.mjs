// Shared helpers for browser tests: start a real glassbox server and a headless Chromium.
import { spawn } from "node:child_process";
import { mkdtempSync, existsSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { before, after } from "node:test";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, "..", "..");
export const DATASETS = resolve(ROOT, "..", "shared", "datasets");

/// A shared data set's path; throws, saying where it looked, when it is missing, so a
/// test that needs it fails instead of passing silently.
export function datasetPath(name) {
  const p = join(DATASETS, name);
  if (!existsSync(p)) throw new Error(`${p} not found: the browser tests need ../shared/datasets`);
  return p;
}

/// Upload a shared data set through the REST API (with `target`, when given) and wait
/// until it is profiled; returns its id. Tests that are not about uploading start from
/// their own data set this way, so none depends on what another left behind.
export async function uploadDataset(server, name, target) {
  const form = new FormData();
  if (target) form.append("target", target);
  form.append("file", new Blob([readFileSync(datasetPath(name))]), name);
  const r = await fetch(`${server.url}/api/datasets`, { method: "POST", body: form });
  if (r.status !== 201) throw new Error(`upload of ${name}: ${r.status} ${await r.text()}`);
  const id = (await r.json()).DatasetId;
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline) {
    const ds = await (await fetch(`${server.url}/api/datasets/${id}`)).json();
    if (ds.DatasetStatus === "Ready") return id;
    if (ds.DatasetStatus === "Failed") throw new Error(`${name}: ${ds.FailureReason}`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
  throw new Error(`${name} was not profiled within 60 s`);
}

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on("error", fail);
  });
}

export async function startServer() {
  const target = process.env.CARGO_TARGET_DIR || join(ROOT, "target");
  const bin = process.env.GLASSBOX_BIN || join(target, "debug", "glassbox");
  if (!existsSync(bin)) throw new Error(`${bin} not found: build it first`);
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "glassbox-browser-"));
  const log = openSync(join(dataDir, "server.log"), "a");
  const proc = spawn(bin, ["serve", "--addr", `127.0.0.1:${port}`, "--data-dir", dataDir], {
    stdio: ["ignore", log, log],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) return { url, proc, dataDir, stop: () => proc.kill("SIGTERM") };
    } catch (_) {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill("SIGKILL");
  throw new Error("glassbox did not answer /healthz within 30 s");
}

export async function launchBrowser() {
  // playwright gives every launch a fresh, empty profile of its own.
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

/// Collect console errors and page errors, so a test can assert there are none.
export function watchConsole(page) {
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  return errors;
}

/// Start a server and a browser before a test file's tests, and stop both after them.
/// The returned object's `server` and `browser` are set once `before` has run.
export function serverAndBrowser() {
  const env = {};
  before(async () => {
    env.server = await startServer();
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    env.server?.stop();
  });
  return env;
}

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/// The serious or critical axe-core (WCAG 2.2 A/AA) violations on the open page.
async function axeViolations(page) {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] },
    });
    return r.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
  });
}

/// Visit each path (in a 390 px wide page) and list what is wrong: axe violations, and
/// anything wider than the screen.
export async function pageProblems(page, url, paths) {
  const problems = [];
  for (const path of paths) {
    await page.goto(url + path);
    for (const v of await axeViolations(page)) problems.push(`${path}: ${v}`);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width > 390) problems.push(`${path}: ${width} px wide at a 390 px viewport`);
  }
  return problems;
}
