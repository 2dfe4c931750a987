// Team mode in Chromium: the first admin is made on the settings page, a teammate signs in
// from a second browser context, a share link opens read-only in a third, and a page on
// another site cannot make a signed-in browser change anything.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { serverAndBrowser, uploadDataset, watchConsole, pageProblems } from "./harness.mjs";

const env = serverAndBrowser();
const PASSWORD = "correct horse battery";

async function startJob(server, name, dataset) {
  const r = await fetch(`${server.url}/api/automl-jobs`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      AutoMLJobName: name,
      InputDataConfig: [{ DataSource: { DatasetId: dataset }, TargetAttributeName: "target" }],
      AutoMLJobConfig: { CompletionCriteria: { MaxCandidates: 2, MaxAutoMLJobRuntimeInSeconds: 60 } },
    }),
  });
  assert.equal(r.status, 201, await r.text());
  const deadline = Date.now() + 120000;
  while (Date.now() < deadline) {
    const j = await (await fetch(`${server.url}/api/automl-jobs/${name}`)).json();
    if (j.AutoMLJobStatus === "Completed") return;
    await new Promise((ok) => setTimeout(ok, 300));
  }
  throw new Error(`${name} did not complete`);
}

async function signIn(page, url, name) {
  await page.goto(`${url}/jobs`);
  assert.match(page.url(), /\/login\?next=%2Fjobs$/, "sent to sign in first");
  await page.fill("#username", name);
  await page.fill("#password", PASSWORD);
  await page.click("#sign-in");
  await page.waitForURL(`${url}/jobs`);
}

test("teammates sign in, share a job read-only, and cross-site forms are refused", async () => {
  const { url } = env.server;
  // Local mode: a data set and a job, made before any account exists.
  const ds = await uploadDataset(env.server, "sklearn_iris.csv");
  await startJob(env.server, "team-job", ds);

  // The admin's browser: the first account, made on the settings page.
  const admin = await env.browser.newContext();
  const a = await admin.newPage();
  const aErrors = watchConsole(a);
  await a.goto(`${url}/settings`);
  await a.fill("#first-admin-form input[name=username]", "root");
  await a.fill("#first-admin-form input[name=password]", PASSWORD);
  await a.click("#first-admin-form button[type=submit]");
  await a.waitForURL(`${url}/settings`);
  assert.match(await a.textContent("#account"), /root\s*\(admin\)/);
  // ...who adds a teammate.
  await a.fill("#add-user-form input[name=username]", "alice");
  await a.fill("#add-user-form input[name=password]", PASSWORD);
  await a.selectOption("#add-user-form select[name=role]", "member");
  await a.click("#add-user");
  assert.match(await a.textContent("#settings-message"), /Account alice added as member/);
  assert.match(await a.textContent("#account-list"), /alice\s*member/);

  // The job made in local mode is now the admin's; the admin shares it.
  await a.goto(`${url}/jobs/team-job`);
  assert.equal(await a.textContent("#created-by"), "root");
  await a.click("#share-create");
  const shareUrl = await a.inputValue("#new-share-url");
  assert.match(shareUrl, new RegExp(`^${url}/share/[0-9a-f]{40}$`));
  assert.equal(await a.locator("#shares tbody tr").count(), 1);

  // A teammate in a second browser: signs in, sees the team's job, cannot change it.
  const member = await env.browser.newContext();
  const m = await member.newPage();
  const mErrors = watchConsole(m);
  await signIn(m, url, "alice");
  const first = (await member.cookies()).find((c) => c.name === "glassbox_session");
  assert.ok(first.httpOnly && first.sameSite === "Lax", JSON.stringify(first));
  assert.match(await m.textContent("#jobs"), /team-job[\s\S]*root/);
  await m.goto(`${url}/jobs/team-job`);
  assert.equal(await m.locator("#delete-job").count(), 0, "no delete button on another's job");
  assert.equal(await m.locator("#sharing").count(), 0, "no sharing card on another's job");
  const refused = await m.evaluate(async () => (await fetch("/jobs/team-job/delete", { method: "POST" })).status);
  assert.equal(refused, 403);
  // Signing in again rotates the session.
  await m.goto(`${url}/login`);
  await m.fill("#username", "alice");
  await m.fill("#password", PASSWORD);
  await m.click("#sign-in");
  await m.waitForURL(`${url}/`);
  const second = (await member.cookies()).find((c) => c.name === "glassbox_session");
  assert.notEqual(second.value, first.value);
  // Logging out ends it.
  await m.click("#logout");
  await m.waitForURL(/\/login$/);
  await m.goto(`${url}/jobs`);
  assert.match(m.url(), /\/login/);

  // A share link in a fresh browser: the leaderboard and a report, and no controls.
  const outsider = await env.browser.newContext();
  const o = await outsider.newPage();
  const oErrors = watchConsole(o);
  await o.goto(shareUrl);
  await o.waitForSelector("#leaderboard");
  assert.match(await o.textContent("#shared-view"), /read-only/);
  assert.equal(await o.locator("form[method=post]").count(), 0);
  assert.equal(await o.locator("a[href^='/jobs'], a[href^='/api'], a[href^='/datasets']").count(), 0);
  await o.locator("#leaderboard tbody tr a").first().click();
  await o.waitForSelector("#candidate-tabs");
  assert.ok(o.url().startsWith(shareUrl + "/candidates/"), o.url());
  await o.click("#tab-performance");
  assert.ok(await o.isVisible("#candidate-metrics"));
  assert.equal(await o.locator("#download-model").count(), 0, "no model files without the data");
  const report = await o.getAttribute("#report-html", "href");
  const r = await o.request.get(new URL(report, shareUrl).href);
  assert.equal(r.status(), 200);
  assert.equal(r.headers()["referrer-policy"], "no-referrer");
  // The outsider's link opens nothing else.
  await o.goto(`${url}/jobs/team-job`);
  assert.match(o.url(), /\/login/);

  // The new pages, on a phone and to a screen reader: signed in, signed out, shared.
  const narrow = { viewport: { width: 390, height: 844 }, bypassCSP: true }; // to inject axe-core
  const phone = await env.browser.newContext({ ...narrow, storageState: await admin.storageState() });
  const problems = await pageProblems(await phone.newPage(), url, [
    "/settings", "/settings/audit", "/jobs/team-job", "/jobs",
  ]);
  const stranger = await env.browser.newContext(narrow);
  const shared = shareUrl.slice(url.length);
  problems.push(...await pageProblems(await stranger.newPage(), url, [
    "/login", shared, `${shared}/notebooks/data-exploration`, `${shared}/candidates/${await o.evaluate(() => location.pathname.split("/").pop())}`,
  ]));
  await phone.close();
  await stranger.close();
  assert.deepEqual(problems, []);

  // Revoked: the link stops working at once.
  await a.goto(`${url}/jobs/team-job`);
  await a.click("#shares button.danger");
  await o.goto(shareUrl);
  assert.match(await o.textContent("#error-message"), /revoked/);

  // A page on another site posts a form to Glassbox in the admin's browser: refused.
  const evil = createServer((req, res) => {
    res.setHeader("Content-Type", "text/html");
    res.end(`<form id="f" method="post" action="${url}/jobs/team-job/delete"></form>
      <script>document.getElementById("f").submit()</script>`);
  });
  await new Promise((ok) => evil.listen(0, "127.0.0.1", ok));
  try {
    const responses = [];
    a.on("response", (res) => { if (res.url().endsWith("/jobs/team-job/delete")) responses.push(res.status()); });
    await a.goto(`http://127.0.0.1:${evil.address().port}/`);
    await a.waitForURL(`${url}/jobs/team-job/delete`);
    assert.deepEqual(responses, [403]);
    const still = await a.request.get(`${url}/api/automl-jobs/team-job`);
    assert.equal(still.status(), 200, "the job is still there");
  } finally {
    evil.close();
  }
  // No page broke its content security policy (violations are console errors).
  assert.deepEqual(mErrors.filter((e) => !/403|Forbidden/.test(e)), [], "only the refused delete");
  assert.deepEqual(oErrors.filter((e) => !/404|Not Found/.test(e)), []);
  assert.deepEqual(aErrors.filter((e) => !/403|Forbidden/.test(e)), []);
  await admin.close();
  await member.close();
  await outsider.close();
});
