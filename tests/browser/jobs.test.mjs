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
  // The candidate in training is named while the job runs (recorded whenever it shows).
  await page.evaluate(() => {
    const seen = () => {
      const t = document.getElementById("job-training");
      if (t) window.__training = t.textContent;
    };
    seen();
    new MutationObserver(seen).observe(document.body, { childList: true, subtree: true });
  });
  // Keyboard focus survives the refreshes (every 1.5 s): on a sort button of the live
  // leaderboard, it is still on that button two refreshes later.
  await page.waitForSelector("#leaderboard th button.sort", { timeout: 60000 });
  await page.locator("#leaderboard th button.sort").first().focus();
  await page.waitForTimeout(3500);
  assert.equal(
    await page.evaluate(() => document.activeElement?.matches("#leaderboard th:first-child button.sort")),
    true,
    "focus kept across the live refresh",
  );
  await page.waitForFunction(
    () => document.getElementById("job-status")?.textContent.trim() === "Completed",
    null,
    { timeout: 90000 },
  );
  assert.equal(await page.evaluate(() => window.__sameDocument), true, "updated without reloading");
  const training = await page.evaluate(() => window.__training);
  assert.match(training ?? "", /Training cand-\d{3}-\S+: \S+ on dpp\d, for \d+ s so far/, "the candidate in training was shown");
  assert.equal(await page.locator("#job-training").count(), 0, "nothing in training once finished");

  // The leaderboard fits a laptop: the objective and three more metrics until the user picks.
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.waitForSelector("#leaderboard-columns summary");
  assert.match(await page.textContent("#leaderboard-columns summary"), /Metrics shown \(4 of \d+\)/);
  assert.equal(await page.locator("#leaderboard th[data-col=Precision]").isVisible(), false);
  const width = await page.evaluate(() => {
    const s = document.querySelector("#leaderboard").closest(".scroll");
    return [s.scrollWidth, s.clientWidth];
  });
  assert.ok(width[0] <= width[1], `no horizontal scroll at 1366 px: ${width}`);
  await page.click("#leaderboard-columns summary");
  await page.check("#col-Precision");
  assert.equal(await page.locator("#leaderboard th[data-col=Precision]").isVisible(), true);
  assert.equal(await page.locator("#leaderboard td[data-col=Precision]").first().isVisible(), true);
  await page.reload();
  await page.waitForSelector("#leaderboard");
  assert.equal(await page.locator("#leaderboard th[data-col=Precision]").isVisible(), true, "the choice is remembered");
  assert.equal(await page.isDisabled("#col-F1"), true, "the objective always shows");
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
  // Model quality: metrics with their spread, the confusion matrix and the curves.
  assert.match(metrics, /± 0\.\d{4}/);
  assert.equal(await page.locator("#quality-confusion tbody tr").count(), 2);
  for (const id of ["#quality-roc", "#quality-pr", "#quality-calibration"]) {
    assert.equal(await page.locator(`${id} svg`).count(), 1, id);
    assert.ok((await page.getAttribute(`${id} [role=img]`, "aria-label")).length > 20, id);
  }
  assert.equal(await page.locator("#quality-gain tbody tr").count(), 10);
  // The reports are in tabs: Performance first; the others one click (or arrow key) away.
  assert.equal(await page.getAttribute("#tab-performance", "aria-selected"), "true");
  assert.equal(await page.locator("#panel-bias").isVisible(), false);
  await page.focus("#tab-performance");
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.getAttribute("#tab-explainability", "aria-selected"), "true");
  assert.ok(await page.locator("#explain-global svg").isVisible());
  await page.click("#tab-artifacts");
  assert.equal(await page.locator("#artifacts a[data-artifact]").count(), 6);
  const csv = await (await page.request.get(new URL(await page.getAttribute("#artifacts a[data-artifact='validation_predictions.csv']", "href"), page.url()).href)).text();
  assert.match(csv, /^row,actual,predicted_label,proba_0,proba_1\n/);
  await page.click("#tab-explainability");
  // Explainability: SHAP per input column, with how it was computed.
  assert.match(await page.textContent("#explain-method"), /(TreeSHAP|LinearSHAP|ExactSHAP|PermutationSHAP): .* validation rows explained/);
  assert.equal(await page.locator("#explain-global svg").count(), 1);
  assert.ok((await page.locator("#explain-table tbody tr").count()) >= 3);
  const link = new URL(await page.getAttribute("#explainability a[download]", "href"), page.url());
  const explained = await (await page.request.get(link.href)).json();
  assert.equal(await page.locator("#explain-table tbody tr td").first().textContent(), explained.global[0].feature);
  // report.html: one file that opens and draws with the network off.
  const reportUrl = new URL(await page.getAttribute("#report-html", "href"), page.url()).href;
  const html = await (await page.request.get(reportUrl)).text();
  const offline = await env.browser.newContext({ offline: true });
  const reportPage = await offline.newPage();
  const fetched = [];
  reportPage.on("request", (r) => fetched.push(r.url()));
  await reportPage.setContent(html, { waitUntil: "load" });
  assert.deepEqual(fetched.filter((u) => !u.startsWith("data:")), [], "report.html fetches nothing");
  assert.ok(await reportPage.locator("#explain-global svg").isVisible());
  assert.ok((await reportPage.locator("#quality svg").count()) >= 1);
  await offline.close();
  // Bias on this candidate's validation rows: pick the facet, read Clarify's metrics.
  await page.click("#tab-bias");
  await page.selectOption("#bias-facet", "Sex");
  await page.fill("#bias-facet-values", "female");
  await page.click("#bias-submit");
  await page.waitForSelector("#bias-post");
  assert.match(await page.textContent("#bias-summary"), /\d+ in the sensitive facet \(Sex = female\)/);
  assert.equal(await page.locator("#bias-post tr[data-metric=DI]").count(), 1);
  assert.equal(await page.inputValue("#bias-facet-values"), "female", "the form keeps what was asked");
  assert.equal(await page.getAttribute("#tab-bias", "aria-selected"), "true", "the answer opens on the Bias tab");
  await page.screenshot({ path: `${env.server.dataDir}/candidate.png`, fullPage: true });
  await page.click("#back-to-job");
  await page.waitForSelector("#leaderboard");
  // Compare two candidates: metrics side by side, curves overlaid, importance side by side.
  const boxes = page.locator("#leaderboard input[name=c]");
  assert.ok((await boxes.count()) >= 2);
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  await page.click("#compare-submit");
  await page.waitForSelector("#compare-metrics");
  assert.equal(await page.locator("#compare-metrics thead th").count(), 3);
  assert.equal(await page.locator("#compare-roc svg").count(), 1);
  assert.match(await page.getAttribute("#compare-roc [role=img]", "aria-label"), /ROC curves of cand-/);
  assert.ok((await page.locator("#compare-importance tbody tr").count()) >= 3);
  await page.click("#back-to-job");
  await page.waitForSelector("#leaderboard");
  // Every page is reachable from the home page through the navigation.
  await page.goto(env.server.url + "/");
  await page.click("nav a[href='/jobs']");
  await page.waitForSelector("#jobs");
  assert.ok((await page.locator("#jobs tbody tr").count()) >= 1);
  assert.deepEqual(errors, []);
});

test("form errors are shown beside their field, after a redirect, keeping what was typed", async () => {
  const id = await uploadDataset(env.server, "titanic.csv", "Survived");
  const page = await env.browser.newPage();
  await page.goto(`${env.server.url}/datasets/${id}`);
  await page.click("#new-job-link");
  await page.waitForSelector("#new-job");
  const formUrl = page.url();
  await page.fill("#job-name", "bad name!");
  await page.fill("input[name=max_candidates]", "7");
  await page.uncheck("input[name=features][value=Fare]");
  await page.click("#start-job");
  await page.waitForSelector("#error-name");
  // Post/redirect/get: the error page is a GET, so Reload and Back never post again.
  assert.match(page.url(), /\/new-job\?draft=[0-9a-f]{32}$/);
  assert.match(await page.textContent("#error-name"), /letters, digits and hyphens|AutoMLJobName|name/i);
  assert.equal(await page.getAttribute("#job-name", "aria-invalid"), "true");
  assert.equal(await page.getAttribute("#job-name", "aria-describedby"), "error-name");
  assert.equal(await page.inputValue("#job-name"), "bad name!", "the form keeps what was typed");
  assert.equal(await page.inputValue("input[name=max_candidates]"), "7");
  assert.equal(await page.isChecked("input[name=features][value=Fare]"), false);
  await page.reload();
  assert.equal(await page.inputValue("#job-name"), "bad name!", "a reload shows the same form");
  await page.goBack();
  assert.equal(page.url(), formUrl, "Back returns to the empty form, without a resubmission prompt");
});

test("the form follows the target: features, problem type, positive class", async () => {
  // No target chosen at upload: the form has no default target.
  const id = await uploadDataset(env.server, "penguins.csv");
  const page = await env.browser.newPage();
  const errors = watchConsole(page);
  await page.goto(`${env.server.url}/datasets/${id}/new-job`);
  assert.equal(await page.inputValue("#job-target"), "");
  assert.equal(await page.isHidden("#positive-class-field"), true);
  const featureBox = (c) => page.locator(`input[name=features][value="${c}"]`);
  await page.selectOption("#job-target", "species");
  assert.match(await page.textContent("#inferred"), /MulticlassClassification/);
  assert.equal(await featureBox("species").isDisabled(), true);
  assert.equal(await featureBox("species").isChecked(), false);
  assert.equal(await page.isHidden("#positive-class-field"), true);
  // Switching the target gives the old target back as a feature and takes the new one out.
  await page.selectOption("#job-target", "sex");
  assert.match(await page.textContent("#inferred"), /BinaryClassification/);
  assert.equal(await featureBox("species").isDisabled(), false);
  assert.equal(await featureBox("species").isChecked(), true);
  assert.equal(await featureBox("sex").isDisabled(), true);
  assert.equal(await page.isVisible("#positive-class-field"), true);
  const classes = await page.$$eval("#job-positive-class option", (os) => os.map((o) => o.value));
  // The rarer class (165 FEMALE against 168 MALE) comes first and is the default.
  assert.deepEqual(classes, ["FEMALE", "MALE"]);
  assert.equal(await page.inputValue("#job-positive-class"), "FEMALE");
  // The user picks the other.
  await page.selectOption("#job-positive-class", "MALE");
  assert.match(await page.textContent("#scheme"), /^stratified 5-fold/);
  await page.fill("#job-name", "penguins-sex");
  await page.fill("#job-runtime", "10");
  await page.fill("input[name=max_candidates]", "2");
  await page.click("#start-job");
  await page.waitForURL(/\/jobs\/penguins-sex$/, { timeout: 15000 });
  const deadline = Date.now() + 60000;
  let d;
  do {
    d = await (await fetch(`${env.server.url}/api/automl-jobs/penguins-sex`)).json();
    if (d.ResolvedAttributes) break;
    await new Promise((ok) => setTimeout(ok, 300));
  } while (Date.now() < deadline);
  assert.equal(d.ResolvedAttributes.PositiveClass, "MALE");
  assert.deepEqual(errors, []);
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
  const booster = offered.find((n) => /^cand-\d+-gbdt-dpp0$/.test(n));
  const linear = offered.find((n) => n.includes("-linear-"));
  assert.ok(booster && linear, offered.join(","));
  for (const name of offered) {
    if (name !== booster && name !== linear) {
      await page.uncheck(`input[name=candidate][value="${name}"]`);
    }
  }
  const gbdt = page.locator(`.definition[data-candidate="${booster}"]`);
  await gbdt.locator("summary").click();
  // A range the wrong way round comes back with the error beside the form, every tick and
  // edit kept, and the message naming the candidate and hyperparameter (no API path).
  await gbdt.locator(`input[name="range.${booster}.learning_rate.low"]`).fill("0.9");
  await gbdt.locator(`input[name="range.${booster}.learning_rate.high"]`).fill("0.08");
  await page.click("#train-chosen");
  await page.waitForSelector("#review-error");
  const said = await page.textContent("#review-error");
  assert.ok(said.includes(booster) && said.includes("learning_rate"), said);
  assert.ok(!said.includes("HyperparameterRanges"), said);
  const ticked = await page.$$eval("input[name=candidate]:checked", (xs) => xs.map((x) => x.value));
  assert.deepEqual(ticked.sort(), [booster, linear].sort());
  const again = page.locator(`.definition[data-candidate="${booster}"]`);
  assert.equal(await again.locator(`input[name="range.${booster}.learning_rate.low"]`).inputValue(), "0.9");
  await again.locator("summary").click();
  await again.locator(`input[name="range.${booster}.learning_rate.low"]`).fill("0.05");
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
  assert.ok(!names.some((n) => /symmetric-gbdt|random-forest|extra-trees|knn|mlp/.test(n)), `only chosen arms: ${names}`);
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
