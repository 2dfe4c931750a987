// Upload titanic.csv through the page and read the dashboard as a person would.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serverAndBrowser, datasetPath, watchConsole } from "./harness.mjs";

const env = serverAndBrowser();

test("upload titanic, pick the target, read the dashboard", async () => {
  const file = datasetPath("titanic.csv");
  const page = await env.browser.newPage();
  const errors = watchConsole(page);
  await page.goto(env.server.url + "/");
  assert.match(await page.textContent("h1"), /Explore a data set/);

  // Upload with the progress bar. The upload is throttled so progress events arrive
  // while it runs; the bar's values are kept in sessionStorage across the navigation.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 40 * 1024,
  });
  await page.evaluate(() => {
    const bar = document.getElementById("upload-progress");
    const wrap = document.querySelector(".progress-wrap");
    sessionStorage.setItem("progress", "[]");
    new MutationObserver(() => {
      const seen = JSON.parse(sessionStorage.getItem("progress"));
      seen.push(Number(bar.value));
      sessionStorage.setItem("progress", JSON.stringify(seen));
    }).observe(bar, { attributes: true });
    new MutationObserver(() => {
      if (!wrap.hidden) sessionStorage.setItem("progressShown", "1");
    }).observe(wrap, { attributes: true });
  });
  await page.setInputFiles("#upload-file", file);
  await page.click("#upload-form button[type=submit]");
  await page.waitForURL(/\/datasets\/[0-9a-f]{16}$/, { timeout: 30000 });
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
  });
  const progress = JSON.parse(await page.evaluate(() => sessionStorage.getItem("progress")));
  assert.equal(await page.evaluate(() => sessionStorage.getItem("progressShown")), "1", "progress bar shown");
  assert.equal(Math.max(...progress), 100, `progress reached 100%: ${progress}`);
  assert.ok(progress.some((v) => v > 0 && v < 100), `intermediate progress seen: ${progress}`);

  // Profiling finishes and the page reloads itself into the dashboard.
  await page.waitForSelector("#summary", { timeout: 60000 });
  const summary = await page.textContent("#summary");
  assert.match(summary, /Rows\s*891/);
  assert.match(summary, /Columns\s*12/);

  // Choose the target; the page re-profiles and shows the target chart.
  // Moving through the list (keyboard) changes nothing until the button is pressed.
  await page.focus("#target-select");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  await page.waitForTimeout(500);
  assert.equal(await page.locator("#target-chart").count(), 0, "no profile started by the arrow keys");
  await page.selectOption("#target-select", "Survived");
  await page.click("#choose-target");
  await page.waitForSelector("#target-chart svg", { timeout: 60000 });
  assert.match(await page.textContent("#target h2"), /Target: Survived/);
  assert.match(await page.textContent("#target"), /BinaryClassification/);
  const bars = await page.locator("#target-chart svg rect").count();
  assert.ok(bars >= 3, `expected bars in the target chart, found ${bars} rects`);
  assert.match(await page.textContent("#target"), /549/);

  const insights = await page.locator("#insights li.insight").count();
  assert.ok(insights >= 1, "at least one insight");
  assert.match(await page.textContent("#insights"), /PassengerId/);

  // The column table sorts by prediction power when its heading is clicked.
  const powerHead = page.locator("#columns-table th", { hasText: "Prediction power" });
  await powerHead.click();
  await powerHead.click();
  // Name first (its words hold the titles Mr, Mrs, Miss, Master: sex and age), then Sex.
  const firstRows = await page.$$eval("#columns-table tbody tr td:first-child", (tds) =>
    tds.slice(0, 2).map((td) => td.textContent.trim()));
  assert.deepEqual(firstRows, ["Name", "Sex"], "the most predictive columns of titanic");

  assert.ok(await page.locator("#heatmap svg").count() === 1, "correlation heat map");
  assert.ok(await page.locator("#distributions svg").count() >= 4, "histograms");
  assert.match(await page.textContent("#sample"), /Braund, Mr. Owen Harris/);
  await page.screenshot({ path: `${env.server.dataDir}/dashboard.png`, fullPage: true });
  assert.deepEqual(errors, [], "no errors in the browser console");
});

test("a broken file shows its error on the page", async () => {
  const page = await env.browser.newPage();
  const errors = watchConsole(page);
  await page.goto(env.server.url + "/");
  await page.setInputFiles("#upload-file", {
    name: "ragged.csv",
    mimeType: "text/csv",
    buffer: Buffer.from("a,b,c\n1,2,3\n4,5\n"),
  });
  await page.click("#upload-form button[type=submit]");
  await page.waitForURL(/\/datasets\//, { timeout: 30000 });
  await page.waitForSelector("#dataset-error", { timeout: 30000 });
  assert.match(await page.textContent("#dataset-error"), /ragged\.csv line 3: expected 3 fields, found 2/);
  // The home page lists both data sets with their status.
  await page.goto(env.server.url + "/");
  const table = await page.textContent("#datasets");
  assert.match(table, /titanic\.csv/);
  assert.match(table, /Failed/);
  assert.deepEqual(errors, []);
});
