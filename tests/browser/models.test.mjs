// The registry and endpoints in Chromium: create a group, register a candidate from its
// page, approve it, deploy it, call the endpoint, and read its counts on its page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serverAndBrowser, uploadDataset, watchConsole, pageProblems } from "./harness.mjs";

const env = serverAndBrowser();

test("register, approve and deploy a model, then watch its endpoint answer", async () => {
  const { url } = env.server;
  const ds = await uploadDataset(env.server, "sklearn_iris.csv");
  let r = await fetch(`${url}/api/automl-jobs`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      AutoMLJobName: "iris-reg",
      InputDataConfig: [{ DataSource: { DatasetId: ds }, TargetAttributeName: "target" }],
      AutoMLJobConfig: { CompletionCriteria: { MaxCandidates: 2, MaxAutoMLJobRuntimeInSeconds: 60 } },
    }),
  });
  assert.equal(r.status, 201);
  let job;
  for (const deadline = Date.now() + 120000; Date.now() < deadline;) {
    job = await (await fetch(`${url}/api/automl-jobs/iris-reg`)).json();
    if (job.AutoMLJobStatus !== "InProgress") break;
    await new Promise((ok) => setTimeout(ok, 300));
  }
  const best = job.BestCandidate.CandidateName;

  const page = await env.browser.newPage();
  const errors = watchConsole(page);
  await page.goto(`${url}/models`);
  await page.fill("#new-group-form input[name=name]", "iris-models");
  await page.click("#create-group");
  await page.waitForURL(`${url}/models/iris-models`);

  await page.goto(`${url}/jobs/iris-reg/candidates/${best}#panel-artifacts`);
  await page.click("#tab-artifacts");
  await page.click("#register-link");
  await page.selectOption("select[name=test_dataset]", ds);
  await page.click("#register");
  await page.waitForURL(`${url}/models/iris-models`);
  assert.match(await page.textContent("#versions tbody tr"), /PendingManualApproval/);
  assert.equal(await page.locator("#deploy-1").count(), 0, "not deployable before approval");
  await page.fill("input[aria-label='comment on version 1']", "looks right on the test set");
  await page.click("#approve-1");
  await page.waitForURL(`${url}/models/iris-models`);
  const row = await page.textContent("#versions tbody tr");
  assert.match(row, /Approved/);
  assert.match(row, /looks right on the test set/);
  await page.fill("input[aria-label='endpoint name for version 1']", "iris-live");
  await page.click("#deploy-1");
  await page.waitForURL(`${url}/endpoints/iris-live`);
  assert.equal(await page.textContent("#endpoint-status"), "InService");
  assert.equal(await page.textContent("#stat-requests"), "0");

  for (let i = 0; i < 3; i++) {
    r = await fetch(`${url}/endpoints/iris-live/invocations`, {
      method: "POST", headers: { "Content-Type": "text/csv" }, body: "5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n",
    });
    assert.equal(r.status, 200, await r.text());
  }
  await page.reload();
  assert.equal(await page.textContent("#stat-requests"), "3");
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, /glassbox_endpoint_requests_total\{endpoint="iris-live"\} 3/);
  // A second version, then both side by side: the better value of each metric starred,
  // and what differs between them marked.
  const cands = (await (await fetch(`${url}/api/automl-jobs/iris-reg/candidates`)).json()).Candidates
    .filter((c) => c.CandidateStatus === "Completed" && c.CandidateName !== best);
  r = await fetch(`${url}/api/model-packages`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ModelPackageGroupName: "iris-models",
      SourceCandidate: { AutoMLJobName: "iris-reg", CandidateName: cands[0].CandidateName } }),
  });
  assert.equal(r.status, 201, await r.text());
  await page.goto(`${url}/models/iris-models`);
  await page.check("input[aria-label='compare version 1']");
  await page.check("input[aria-label='compare version 2']");
  await page.click("#compare-button");
  await page.waitForURL(/\/models\/iris-models\/compare\?v=/);
  const heads = await page.locator("#version-compare thead th").allTextContents();
  assert.deepEqual(heads.slice(1), ["version 1", "version 2"]);
  assert.ok(await page.locator("#version-compare td.best").count() >= 1, "a better value is marked");
  assert.match(await page.textContent("#version-compare"), /≠/);
  assert.deepEqual(errors, []);

  const phone = await env.browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true });
  const problems = await pageProblems(await phone.newPage(), url, [
    "/models", "/models/iris-models", "/endpoints/iris-live", `/models/register?job=iris-reg&candidate=${best}`,
    "/endpoints/iris-live/drift", "/models/iris-models/compare?v=1&v=2",
  ]);
  await phone.close();
  assert.deepEqual(problems, []);
});
