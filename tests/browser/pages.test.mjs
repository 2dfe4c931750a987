// Every page, as a phone and a screen reader meet it: axe-core (WCAG 2.2 A/AA) finds no
// serious or critical violation, and nothing overflows a 390 px wide screen. Also the
// context a user looks for: the data set lists its jobs and says what deleting it affects,
// the jobs list and the job's settings, the status page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serverAndBrowser, uploadDataset, watchConsole, pageProblems } from "./harness.mjs";

const env = serverAndBrowser();

async function createJob(server, name, datasetId, target) {
  const body = {
    AutoMLJobName: name,
    InputDataConfig: [{ DataSource: { DatasetId: datasetId }, TargetAttributeName: target }],
    AutoMLJobConfig: {
      CompletionCriteria: { MaxCandidates: 2 },
      CandidateGenerationConfig: { AlgorithmsConfig: [{ AutoMLAlgorithms: ["linear"] }] },
    },
  };
  const r = await fetch(`${server.url}/api/automl-jobs`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  assert.equal(r.status, 201, await r.text());
  const deadline = Date.now() + 120000;
  while (Date.now() < deadline) {
    const d = await (await fetch(`${server.url}/api/automl-jobs/${name}`)).json();
    if (d.AutoMLJobStatus === "Completed") return d;
    assert.ok(["InProgress", "Stopping"].includes(d.AutoMLJobStatus), JSON.stringify(d));
    await new Promise((ok) => setTimeout(ok, 300));
  }
  throw new Error(`${name} did not complete`);
}

test("every page: no serious accessibility violation, no overflow at 390 px", async () => {
  const id = await uploadDataset(env.server, "sklearn_iris.csv", "target");
  const job = await createJob(env.server, "iris-pages", id, "target");
  const best = job.BestCandidate.CandidateName;
  const listed = await (await fetch(`${env.server.url}/api/automl-jobs/iris-pages/candidates`)).json();
  const done = listed.Candidates.filter((c) => c.CandidateStatus === "Completed").map((c) => c.CandidateName);
  const bias = "FacetName=sepal+length+%28cm%29&FacetValuesOrThreshold=%3E6&LabelName=target&LabelValuesOrThreshold=setosa";
  const pages = [
    "/", `/datasets/${id}`, `/datasets/${id}?${bias}`, `/datasets/${id}/new-job`, "/jobs", "/jobs/iris-pages",
    `/jobs/iris-pages/candidates/${best}`, "/jobs/iris-pages/notebooks/candidate-definition",
    "/jobs/iris-pages/notebooks/model-insights",
    ...["explainability", "bias", "hyperparameters", "artifacts"].map((t) => `/jobs/iris-pages/candidates/${best}#panel-${t}`),
    `/jobs/iris-pages/candidates/${best}?${bias}#bias`,
    `/jobs/iris-pages/compare?c=${done[0]}&c=${done[1]}`,
    "/status", "/no/such/page",
  ];
  // axe-core is injected as a script, which the pages' CSP would block.
  const context = await env.browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true });
  const page = await context.newPage();
  const errors = watchConsole(page);
  const problems = await pageProblems(page, env.server.url, pages);
  await context.close();
  assert.deepEqual(problems, []);
  assert.deepEqual(errors.filter((e) => !e.includes("404")), []);
});

test("the data set names its jobs, and deleting it says which it affects", async () => {
  const id = await uploadDataset(env.server, "sklearn_iris.csv", "target");
  await createJob(env.server, "iris-ctx", id, "target");
  const page = await env.browser.newPage();
  await page.goto(`${env.server.url}/datasets/${id}`);
  assert.equal(await page.locator("#dataset-jobs a[href='/jobs/iris-ctx']").count(), 1);
  // The jobs list: data set, objective, best candidate link, duration.
  await page.goto(`${env.server.url}/jobs`);
  const row = page.locator("#jobs tbody tr", { hasText: "iris-ctx" });
  assert.match(await row.textContent(), /sklearn_iris\.csv/);
  assert.match(await row.textContent(), /Accuracy \d\.\d{4}/);
  assert.equal(await row.locator("a[href^='/jobs/iris-ctx/candidates/']").count(), 1);
  // The job page shows its settings.
  await page.goto(`${env.server.url}/jobs/iris-ctx`);
  const settings = await page.textContent("#job-settings");
  for (const s of ["Target", "target", "MulticlassClassification", "Budget", "at most 2 candidates", "stratified 5-fold", "linear", "4 columns"]) {
    assert.ok(settings.includes(s), `settings lack ${s}: ${settings}`);
  }
  // Deleting asks first, naming the job; cancelling keeps everything.
  await page.goto(`${env.server.url}/datasets/${id}`);
  let asked = "";
  page.once("dialog", (d) => { asked = d.message(); d.dismiss(); });
  await page.click("#delete-dataset");
  assert.match(asked, /1 job\(s\) trained on it: iris-ctx/);
  assert.equal((await fetch(`${env.server.url}/api/datasets/${id}`)).status, 200);
  page.once("dialog", (d) => d.accept());
  await page.click("#delete-dataset");
  await page.waitForURL(env.server.url + "/");
  assert.equal((await fetch(`${env.server.url}/api/datasets/${id}`)).status, 404);
  // The job stays readable and says its data set is gone.
  await page.goto(`${env.server.url}/jobs/iris-ctx`);
  assert.match(await page.textContent(".page-head"), /its data set was deleted/);
  await page.goto(`${env.server.url}/status`);
  assert.match(await page.textContent("#status"), /Free space/);
});
