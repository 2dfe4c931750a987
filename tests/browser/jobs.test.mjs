// Upload → new job → watch it finish live → open the best candidate and read its metrics.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serverAndBrowser, datasetPath, uploadDataset, watchConsole } from "./harness.mjs";

const env = serverAndBrowser();

test("start a job from the data set page and watch it finish", async () => {
  const file = datasetPath("titanic.csv");
  const page = await env.browser.newPage();
  const errors = watchConsole(page);
  await page.goto(env.server.url + "/");
  await page.setInputFiles("#upload-file", file);
  await page.fill("#upload-target", "Survived");
  await page.click("#upload-form button[type=submit]");
  await page.waitForSelector("#summary", { timeout: 60000 });

  await page.click("#new-job-link");
  await page.waitForSelector("#new-job");
  assert.equal(await page.inputValue("#job-target"), "Survived");
  assert.match(await page.textContent("#inferred"), /BinaryClassification/);
  // Ids and constants are not offered as features; the target is not either.
  const features = await page.$$eval("input[name=features]", (xs) => xs.map((x) => x.value));
  assert.ok(!features.includes("PassengerId") && features.includes("Sex"), features.join(","));
  await page.screenshot({ path: `${env.server.dataDir}/new-job.png`, fullPage: true });
  await page.fill("#job-runtime", "15");
  await page.fill("input[name=max_candidates]", "8");
  await page.click("#start-job");
  await page.waitForURL(/\/jobs\/[^/]+$/, { timeout: 15000 });

  // Live updates: a marker set now survives until the job is done (no full reload).
  await page.evaluate(() => { window.__sameDocument = true; });
  await page.waitForFunction(
    () => document.getElementById("job-status")?.textContent.trim() === "Completed",
    null,
    { timeout: 90000 },
  );
  assert.equal(await page.evaluate(() => window.__sameDocument), true, "updated without reloading");
  const rows = await page.locator("#leaderboard tbody tr").count();
  assert.ok(rows >= 3, `leaderboard rows: ${rows}`);
  assert.equal(await page.locator("#leaderboard tr.best").count(), 1, "the best is marked");
  assert.equal(await page.locator("#stop-job").count(), 0, "no Stop button once finished");
  await page.screenshot({ path: `${env.server.dataDir}/job.png`, fullPage: true });

  // Sort by a metric, then open the best candidate.
  await page.locator("#leaderboard th", { hasText: "AUC" }).click();
  await page.locator("#leaderboard tr.best td a").first().click();
  await page.waitForSelector("#candidate-metrics");
  const metrics = await page.textContent("#candidate-metrics");
  assert.match(metrics, /F1\s*0\.\d{4}/);
  assert.match(metrics, /AUC\s*0\.\d{4}/);
  assert.match(await page.textContent("#candidate-definition"), /Algorithm:/);
  await page.screenshot({ path: `${env.server.dataDir}/candidate.png`, fullPage: true });
  await page.click("#back-to-job");
  await page.waitForSelector("#leaderboard");
  // Every page is reachable from the home page through the navigation.
  await page.goto(env.server.url + "/");
  await page.click("nav a[href='/jobs']");
  await page.waitForSelector("#jobs");
  assert.ok((await page.locator("#jobs tbody tr").count()) >= 1);
  assert.deepEqual(errors, []);
});

test("form errors are shown on the form", async () => {
  const id = await uploadDataset(env.server, "titanic.csv", "Survived");
  const page = await env.browser.newPage();
  await page.goto(`${env.server.url}/datasets/${id}`);
  await page.click("#new-job-link");
  await page.fill("#job-name", "bad name!");
  await page.click("#start-job");
  await page.waitForSelector("#job-error");
  assert.match(await page.textContent("#job-error"), /AutoMLJobName/);
  assert.equal(await page.inputValue("#job-name"), "bad name!", "the form keeps what was typed");
});

test("review generated candidates, train the chosen ones, read the notebook", async () => {
  const id = await uploadDataset(env.server, "titanic.csv", "Survived");
  const page = await env.browser.newPage();
  const errors = watchConsole(page);
  await page.goto(`${env.server.url}/datasets/${id}`);
  await page.click("#new-job-link");
  await page.fill("#job-name", "titanic-review");
  await page.fill("input[name=max_candidates]", "4");
  await page.check("input[name=candidates_only]");
  await page.click("#start-job");
  await page.waitForURL(/\/jobs\/titanic-review$/, { timeout: 15000 });
  // The job stops at its definitions; the live view then loads the page with the review.
  await page.waitForSelector("#review-form", { timeout: 60000 });
  assert.equal(await page.textContent("#job-secondary"), "CandidateDefinitionsGenerated");
  const offered = await page.$$eval("input[name=candidate]", (xs) => xs.map((x) => x.value));
  assert.ok(offered.length >= 6, offered.join(","));
  // Keep a booster and a linear model only (the names come from the job); narrow the
  // booster's learning rate.
  const booster = offered.find((n) => n.endsWith("-gbdt-dpp0"));
  const linear = offered.find((n) => n.includes("-linear-"));
  assert.ok(booster && linear, offered.join(","));
  for (const name of offered) {
    if (name !== booster && name !== linear) {
      await page.uncheck(`input[name=candidate][value="${name}"]`);
    }
  }
  const gbdt = page.locator(`.definition[data-candidate="${booster}"]`);
  await gbdt.locator("summary").click();
  await gbdt.locator(`input[name="range.${booster}.learning_rate.low"]`).fill("0.05");
  await gbdt.locator(`input[name="range.${booster}.learning_rate.high"]`).fill("0.08");
  await page.screenshot({ path: `${env.server.dataDir}/review.png`, fullPage: true });
  await page.click("#train-chosen");
  await page.waitForURL(/\/jobs\/titanic-review$/, { timeout: 15000 });
  await page.waitForFunction(
    () => document.getElementById("job-status")?.textContent.trim() === "Completed",
    null,
    { timeout: 120000 },
  );
  const names = await page.$$eval("#leaderboard tbody tr td:nth-child(2) a", (as) => as.map((a) => a.textContent));
  assert.ok(names.includes(booster) && names.includes(linear), names.join(","));
  assert.ok(!names.some((n) => /random-forest|extra-trees|knn|mlp/.test(n)), `only chosen arms: ${names}`);
  assert.equal(await page.locator("#review-form").count(), 0, "the review is over");

  // Notebooks: view the candidate notebook in the browser; the download link serves it.
  await page.waitForSelector("#notebooks");
  const href = await page.getAttribute("#download-candidate-definition", "href");
  const nb = await (await fetch(env.server.url + href)).json();
  assert.equal(nb.nbformat, 4);
  await page.click("#view-candidate-definition");
  await page.waitForSelector("#notebook");
  const text = await page.textContent("#notebook");
  assert.ok(text.includes(booster), "the notebook defines the chosen booster");
  assert.match(text, /ColumnTransformer/);
  assert.ok((await page.locator("#notebook .nb-code").count()) > 5);
  assert.ok((await page.locator("#notebook .nb-markdown table").count()) >= 1, "markdown tables render");
  await page.screenshot({ path: `${env.server.dataDir}/notebook.png`, fullPage: true });
  assert.deepEqual(errors, []);
});
