// The duty dashboard in a real browser (Debian's Chromium, driven by playwright-core) against the running
// demo: 17 cameras from the simulator, Home Assistant, the dashboard made by the integration's action.
//
//   ./scripts/test --browser      (or: cd tests/browser && npm test)
//
// What it proves, as the officer on duty would see it: every camera in its area in the commune's order,
// with its picture; a camera that drops off the network turns red within the frame timeout (and back);
// an open alert shows with its snapshot and is acknowledged from the screen, in the officer's name; a
// camera's tile opens its page (live view, motion snapshots); the screen works on a phone.
// Screenshots go to tests/browser/screenshots/ (README_SCREENSHOT=path also writes the README's picture).

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "..", "..");
const PYTHON = path.join(REPO, ".venv", "bin", "python");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const SHOTS = process.env.SCREENSHOTS || path.join(HERE, "screenshots");
const README_SCREENSHOT = process.env.README_SCREENSHOT;
// Chromium as this machine allows it: no sandbox as root, no GPU, and nothing that calls out to the network.
const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync",
];
const STARTUP_TIMEOUT = 240_000;
const UI_SLACK = 10_000; // on top of the frame timeout: the state's way to the screen on a busy 2-core machine
const DROPPED = "Trụ sở - Cổng";

const timings = {};
const since = (start) => Math.round((performance.now() - start) / 100) / 10;

// The demo (tests/browser/demo_server.py): one READY line, then one answer per command.
class Demo {
  start() {
    this.process = spawn(PYTHON, [path.join(HERE, "demo_server.py")], { cwd: REPO, stdio: ["pipe", "pipe", "inherit"] });
    this.lines = createInterface({ input: this.process.stdout })[Symbol.asyncIterator]();
    this.exited = new Promise((resolve) => this.process.once("exit", resolve));
  }

  async next(timeout) {
    let timer;
    const expired = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error("demo did not answer")), timeout); });
    try {
      const { value, done } = await Promise.race([this.lines.next(), expired]);
      if (done) throw new Error("demo stopped");
      return value;
    } finally {
      clearTimeout(timer);
    }
  }

  async ready() {
    const line = await this.next(STARTUP_TIMEOUT);
    assert.ok(line.startsWith("READY "), `demo failed: ${line}`);
    return JSON.parse(line.slice(6));
  }

  async command(line, timeout = 150_000) {
    this.process.stdin.write(`${line}\n`);
    const answer = await this.next(timeout);
    assert.ok(answer.startsWith("ok "), `demo command ${line}: ${answer}`);
    return JSON.parse(answer.slice(3));
  }

  async stop() {
    if (!this.process || this.process.exitCode !== null) return;
    this.process.stdin.end("quit\n");
    await this.exited;
  }
}

const demo = new Demo();
let ready;
let context;
let profile;

async function api(method, apiPath, body) {
  const response = await fetch(`${ready.url}${apiPath}`, {
    method,
    headers: { Authorization: `Bearer ${ready.token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.equal(response.status, 200, `${method} ${apiPath}: ${response.status}`);
  return response.json();
}

async function shot(page, name) {
  const file = path.join(SHOTS, name);
  await page.screenshot({ path: file });
  return file;
}

async function until(check, timeout, what) {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// A heading card's text lives in its shadow root.
const headingText = (node) => node.shadowRoot.textContent.trim();

const tile = (page, name) => page.locator(`ngu-doan-camera-tile[data-name="${name}"]`);

async function openDashboard(page, name) {
  await page.goto(`${ready.url}/${ready.dashboard}`);
  try {
    await page.locator("ngu-doan-camera-tile").first().waitFor({ timeout: 60_000 });
  } catch (err) {
    await shot(page, `failed-${name}.png`); // what the browser showed instead
    throw err;
  }
}

before(async () => {
  const started = performance.now();
  mkdirSync(SHOTS, { recursive: true });
  demo.start();
  ready = await demo.ready();
  timings.demo_ready_s = since(started);
  Object.assign(timings, ready.timings);
  profile = mkdtempSync(path.join(tmpdir(), "ngu-doan-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    locale: "vi-VN", // the officer's browser: Home Assistant and the cards speak Vietnamese
    timezoneId: "Asia/Ho_Chi_Minh",
    viewport: { width: 1920, height: 1080 },
  });
  // What went wrong in the page shows in the test's output.
  context.on("console", (message) => { if (message.type() === "error") console.log(`browser console: ${message.text()}`); });
  context.on("requestfailed", (request) => {
    if (!request.url().includes("/api/hls/")) console.log(`browser request failed: ${request.url()} ${request.failure()?.errorText}`);
  });
}, { timeout: STARTUP_TIMEOUT + 60_000 });

after(async () => {
  await context?.close();
  await demo.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
  console.log(`browser test timings: ${JSON.stringify(timings)}`);
});

describe("the duty dashboard on the station's monitor", { timeout: 600_000 }, () => {
  let page;

  it("shows all 17 cameras in their areas, in the commune's order, each with its picture", async () => {
    const started = performance.now();
    page = context.pages()[0] || (await context.newPage());
    await openDashboard(page, "monitor");
    const tiles = page.locator("ngu-doan-camera-tile");
    await page.waitForFunction(() => {
      const found = [];
      const walk = (root) => root.querySelectorAll("*").forEach((node) => {
        if (node.tagName === "NGU-DOAN-CAMERA-TILE") found.push(node);
        if (node.shadowRoot) walk(node.shadowRoot);
      });
      walk(document);
      return found.length === 17 && found.every((node) => node.dataset.still === "loaded");
    }, null, { timeout: 60_000 });
    timings.dashboard_with_17_pictures_s = since(started);
    assert.equal(await tiles.count(), 17);

    const sections = page.locator("hui-grid-section");
    const shown = [];
    for (let n = 0; n < (await sections.count()); n += 1) {
      const section = sections.nth(n);
      const names = await section.locator("ngu-doan-camera-tile").evaluateAll((nodes) => nodes.map((node) => node.dataset.name));
      if (!names.length) continue;
      const heading = await section.locator("hui-heading-card").evaluate(headingText);
      const box = await section.boundingBox();
      shown.push({ area: heading, cameras: names, top: Math.round(box.y), left: Math.round(box.x) });
    }
    assert.deepEqual(shown.map(({ area, cameras }) => ({ area, cameras })), ready.groups);
    // Read top to bottom, left to right, the areas come in the commune's order.
    for (let n = 1; n < shown.length; n += 1) {
      const [before, here] = [shown[n - 1], shown[n]];
      assert.ok(here.top > before.top || (here.top === before.top && here.left > before.left), `${here.area} after ${before.area}`);
    }
    // Road 402 is one row across the screen, from the Tân Phong side to the Đại Hà side.
    const road = await Promise.all(ready.groups[0].cameras.map(async (name) => (await tile(page, name).boundingBox()).y));
    assert.equal(new Set(road.map(Math.round)).size, 1);
    await shot(page, "01-dashboard.png");
  });

  it("shows a camera that drops off the network as offline within the frame timeout", async () => {
    const dropped = tile(page, DROPPED);
    assert.notEqual(await dropped.getAttribute("data-state"), "offline");
    const started = performance.now();
    await demo.command(`drop ${DROPPED}`);
    await page.locator(`ngu-doan-camera-tile[data-name="${DROPPED}"][data-state="offline"]`)
      .waitFor({ timeout: ready.frame_timeout * 1000 + UI_SLACK });
    timings.offline_shown_after_drop_s = since(started);
    const badge = await dropped.locator(".badge").innerText();
    assert.equal(badge.trim(), "MẤT KẾT NỐI");
    // Every other camera is still streaming.
    assert.equal(await page.locator('ngu-doan-camera-tile[data-state="offline"]').count(), 1);
    await shot(page, "02-offline.png");
  });

  it("shows an open alert with its snapshot and acknowledges it from the screen", async () => {
    const snapshot = await demo.command("snapshot");
    const raised = await api("POST", "/api/services/ngu_doan_cameras/raise_alert?return_response", {
      camera: snapshot.entity,
      kind: "motion",
      message: `${snapshot.camera}: chuyển động trong giờ giám sát ban đêm`,
      snapshot: snapshot.url,
    });
    const alertId = raised.service_response.alert_id;
    const row = page.locator(`ngu-doan-alerts .alert[data-alert-id="${alertId}"]`);
    await row.waitFor({ timeout: 20_000 });
    assert.match(await row.innerText(), new RegExp(snapshot.camera));
    const picture = row.locator("img.snapshot");
    await until(() => picture.evaluate((node) => node.complete && node.naturalWidth > 0), 20_000, "the alert's snapshot shows");
    // A moment where the village is as the officer sees it: an alert open, a camera down, motion somewhere.
    await page.locator('ngu-doan-camera-tile[data-state="motion"]').first().waitFor({ timeout: 40_000 }).catch(() => {});
    const overview = await shot(page, "03-alert-offline-motion.png");
    if (README_SCREENSHOT) copyFileSync(overview, path.resolve(REPO, README_SCREENSHOT));

    const started = performance.now();
    await row.locator("button.acknowledge").click();
    await row.waitFor({ state: "detached", timeout: 20_000 });
    timings.acknowledged_on_screen_s = since(started);
    const sensor = await api("GET", "/api/states/sensor.cong_an_xa_ngu_doan_open_alerts");
    assert.equal(sensor.attributes.open.some((alert) => alert.alert_id === alertId), false);
    const done = sensor.attributes.acknowledged.find((alert) => alert.alert_id === alertId);
    assert.equal(done.acknowledged_by, "Trực ban");
  });

  it("shows the dropped camera streaming again once it is back", async () => {
    await demo.command(`restore ${DROPPED}`);
    await page.locator(`ngu-doan-camera-tile[data-name="${DROPPED}"]:not([data-state="offline"])`).waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('ngu-doan-camera-tile[data-state="offline"]').count(), 0);
  });

  it("opens a camera's page from its tile: live view, state, motion snapshots, its recordings", async () => {
    const snapshot = await demo.command("snapshot");
    await tile(page, snapshot.camera).click();
    await page.waitForURL(/\/truc-ban-[^/]+\/(?!truc-ban$)[^/]+$/, { timeout: 20_000 });
    assert.equal(await page.locator("hui-heading-card").first().evaluate(headingText), snapshot.camera);
    // The live view plays (Home Assistant's stream of the camera's main stream).
    const video = page.locator("hui-picture-entity-card video");
    const started = performance.now();
    await until(async () => (await video.count()) > 0 && (await video.first().evaluate((node) => node.currentTime > 0)), 60_000, "the live view plays");
    timings.live_view_playing_s = since(started);
    await page.locator('ngu-doan-snapshots[data-count]:not([data-count="0"]) figure img').first().waitFor({ timeout: 30_000 });
    await shot(page, "04-camera-page.png");
    // Its recordings: the media browser opens at this camera's own folder, not at the top of the tree.
    await page.locator("hui-button-card:visible").click();
    await page.waitForURL(/\/media-browser\/browser\//, { timeout: 20_000 });
    await page.locator("ha-panel-media-browser").getByText(snapshot.camera).first().waitFor({ timeout: 30_000 });
    await shot(page, "05-camera-recordings.png");
    await page.goBack();
    await page.locator("hui-picture-entity-card").waitFor({ timeout: 20_000 });
    await page.goBack();
    await page.locator("ngu-doan-camera-tile").first().waitFor({ timeout: 20_000 });
  });
});

describe("the duty dashboard on a phone", { timeout: 300_000 }, () => {
  it("shows every camera one column down, and a tap opens a camera", async () => {
    const page = await context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await openDashboard(page, "phone");
    const tiles = page.locator("ngu-doan-camera-tile");
    await page.waitForFunction(() => document.body.clientWidth <= 390);
    assert.equal(await tiles.count(), 17);
    const first = await tiles.first().boundingBox();
    assert.ok(first.x >= 0 && first.x + first.width <= 390, "tiles fit the phone's width");
    await shot(page, "06-phone.png");
    await tiles.first().click();
    await page.locator("hui-picture-entity-card").waitFor({ timeout: 20_000 });
    await page.close();
  });
});
