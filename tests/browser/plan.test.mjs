// The plan's dashboard and a district scorecard in headless Chromium (issue #6):
//
//   CHENGGUO_URL=http://127.0.0.1:PORT node --test
//
// against `chengguo serve --demo`. Screenshots: artifacts/screenshots/dashboard-*.png,
// scorecard-*.png.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  CJK_RE,
  DEMO_PASSWORD,
  assertNoBrowserErrors,
  excerpt,
  launchBrowser,
  login,
  newPage,
  screenshot,
  url,
  visit,
} from './lib.mjs';

describe('plan: public dashboard, bureau home, district scorecard and exports', () => {
  let browser;
  let page;

  before(async () => {
    browser = await launchBrowser();
    page = await newPage(browser);
  });

  after(async () => {
    await browser?.close();
  });

  test('public dashboard shows gauges, trends, districts and the tasks board', async () => {
    await visit(page, '/dashboard');
    const text = await page.locator('body').innerText();
    assert.match(text, CJK_RE, `dashboard shows no Chinese: ${await excerpt(page)}`);
    const gauges = page.locator('svg.gauge');
    assert.ok((await gauges.count()) >= 20, `expected a gauge per objective, found ${await gauges.count()}`);
    assert.match(text, /技术合同成交额/);
    assert.equal(await page.locator('.board-col').count(), 4, 'the tasks board has four columns');
    assert.ok((await page.locator('.board-col li').count()) === 19, 'the tasks board shows the 19 tasks');
    await screenshot(page, 'dashboard-public');
  });

  test('the dashboard exports to XLSX', async () => {
    const resp = await page.request.get(url('/dashboard.xlsx'));
    assert.equal(resp.status(), 200);
    const body = await resp.body();
    assert.equal(body.subarray(0, 2).toString(), 'PK', 'an XLSX file is a zip archive');
  });

  test('the district officer sees the plan on the home page and the scorecard', async () => {
    await login(page, 'district', DEMO_PASSWORD);
    await visit(page, '/');
    assert.ok((await page.locator('.plan-panel svg.gauge').count()) >= 1, 'the home page has the plan panel');
    await screenshot(page, 'dashboard-home-district');
    await visit(page, '/scorecards/210112');
    const text = await page.locator('body').innerText();
    assert.match(text, /浑南区/);
    assert.ok((await page.locator('table.data tr:has(td)').count()) >= 5, 'the scorecard lists its indicators');
    await screenshot(page, 'scorecard-210112');
    const resp = await page.request.get(url('/scorecards/210112/export.xlsx'));
    assert.equal(resp.status(), 200);
    assert.equal((await resp.body()).subarray(0, 2).toString(), 'PK');
    await visit(page, '/scorecards');
    await screenshot(page, 'scorecards');
  });

  test('no console errors or page errors', () => {
    assertNoBrowserErrors(page);
  });
});
