// Drives the console in headless Chromium (see console-check.sh).
const { chromium } = require("playwright-core");

(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM, args: ["--no-sandbox"] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const fail = async (message) => {
    await page.screenshot({ path: "docs/console-failure.png", fullPage: true });
    console.error("console-check: " + message);
    process.exit(1);
  };
  // A browser's GET of / gets a page that links to the console.
  await page.goto(`http://127.0.0.1:${process.env.PORT}/`);
  if (!(await page.locator("a[href='/_awsemu/console']").count())) await fail("/ does not link to the console");
  await page.goto(`http://127.0.0.1:${process.env.PORT}/_awsemu/console`);
  // The secret created through the SDK is listed; its details show rotation and one version.
  await page.locator("li.secret", { hasText: "console/db" }).click();
  await page.waitForSelector("#versions .version");
  // Description, tags, policy and replicas are shown; the accounts with data are offered.
  const detail = await page.locator("#detail").innerText();
  for (const seen of ["seen in the console", "team=core", "111122223333", "eu-west-1"]) {
    if (!detail.includes(seen)) await fail(`the secret's details lack ${seen}: ${detail}`);
  }
  if (!(await page.locator("#places").innerText()).includes("000000000000/us-east-1")) await fail("accounts with data not offered");
  // A failed invocation says why, and its long log line does not widen the page.
  await page.waitForFunction(() => document.querySelector("#functions").innerText.includes("ValueError"), null, { timeout: 10000 })
    .catch(async () => fail(`the failed invocation does not say why: ${await page.locator("#functions").innerText()}`));
  const before = await page.locator("#versions .version").allInnerTexts();
  if (!before[0].includes("AWSCURRENT")) await fail(`the first version is not AWSCURRENT: ${JSON.stringify(before)}`);
  if (!(await page.locator("#rotation").innerText()).includes("enabled")) await fail("rotation not shown as enabled");
  // The value is hidden until asked for.
  if (await page.locator("pre.value").first().isVisible()) await fail("a value was shown without a click");
  await page.locator("button.reveal").first().click();
  await page.waitForSelector("pre.value:not([hidden])");
  if (!(await page.locator("pre.value").first().innerText()).includes("first")) await fail("revealed value is wrong");
  await page.screenshot({ path: "docs/console-secret.png", fullPage: true });
  // Rotate from the console: the history shows the four steps, and the labels move.
  await page.locator("#rotate-btn").click();
  await page.waitForFunction(() => document.querySelector("#versions").innerText.includes("AWSPREVIOUS"), null, { timeout: 30000 });
  await page.waitForSelector("#history b.ok", { timeout: 30000 });
  const history = await page.locator("#history").innerText();
  for (const step of ["createSecret", "setSecret", "testSecret", "finishSecret"]) {
    if (!history.includes(step)) await fail(`history lacks ${step}`);
  }
  const versions = await page.locator("#versions .version").allInnerTexts();
  if (!versions[0].includes("AWSPREVIOUS") || !versions[versions.length - 1].includes("AWSCURRENT")) {
    await fail(`labels did not move: ${JSON.stringify(versions)}`);
  }
  await page.screenshot({ path: "docs/console-rotated.png", fullPage: true });
  await page.locator("#history details").first().evaluate((d) => { d.open = true; });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (wide > 0) await fail(`the page is ${wide}px wider than the window`);
  // The function's invocations are listed.
  await page.waitForFunction(() => document.querySelector("#functions").innerText.includes("ms"), null, { timeout: 10000 });
  // Another region: the open secret closes with the list.
  await page.fill("#region", "eu-central-1");
  await page.dispatchEvent("#region", "change");
  await page.waitForFunction(() => document.querySelector("#secrets").innerText.includes("No secrets here."));
  if ((await page.locator("#detail").innerText()).includes("console/db")) await fail("the old region's secret stayed open");
  await browser.close();
  console.log("console-check: passed (screenshots in docs/console-secret.png and docs/console-rotated.png)");
})().catch((e) => {
  console.error("console-check: " + e.message);
  process.exit(1);
});
