// Contracts in the browser: the registrar's queue at the demo site with working-day deadlines and
// overdue flags; the bureau's statistics page with its charts, a figure opened as the list of
// contracts behind it, and that list's Excel export. Screenshots land in artifacts/screenshots/.
//
//   CHENGGUO_URL=http://127.0.0.1:PORT node --test
//
// against `chengguo serve --demo`.

import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';

import { DEMO_PASSWORD, assertNoBrowserErrors, excerpt, launchBrowser, login, logoutForm, newPage, screenshot, url, sequentialSteps, visit } from './lib.mjs';

describe('contracts: registrar queue, statistics, drill-down, export', () => {
  let browser;
  let page;
  const step = sequentialSteps(() => page, 'contracts-');

  before(async () => {
    browser = await launchBrowser();
    page = await newPage(browser);
  });

  after(async () => {
    await browser?.close();
  });

  step('the registrar queue shows deadlines and what is overdue', async () => {
    await login(page, 'registrar', DEMO_PASSWORD);
    await visit(page, '/contracts/queue');
    const rows = page.locator('table#queue tbody tr');
    assert.ok((await rows.count()) >= 1, `empty queue: ${await excerpt(page)}`);
    assert.ok((await page.locator('table#queue .overdue-flag').count()) >= 1, 'the demo queue has overdue contracts');
    assertNoBrowserErrors(page);
    await screenshot(page, 'contracts-queue');
    await Promise.all([page.waitForLoadState('load'), logoutForm(page).locator('button[type=submit]').click()]);
  });

  step('the bureau statistics page draws its charts', async () => {
    await login(page, 'bureau', DEMO_PASSWORD);
    await visit(page, '/stats/contracts');
    assert.ok((await page.locator('section svg, .panel svg').count()) >= 3, `charts missing: ${await excerpt(page)}`);
    assert.ok((await page.locator('a.stat').count()) >= 3, 'headline figures link to their records');
    assertNoBrowserErrors(page);
    await screenshot(page, 'contracts-stats');
  });

  step('a figure opens as its contracts and exports to Excel', async () => {
    const figure = page.locator('a.stat').first();
    const href = await figure.getAttribute('href');
    assert.match(href, /\/stats\/contracts\/records\?/);
    await Promise.all([page.waitForURL(/\/stats\/contracts\/records\?/), figure.click()]);
    const rows = page.locator('table.data tbody tr');
    assert.ok((await rows.count()) >= 1, `no contracts behind the figure: ${await excerpt(page)}`);
    const exportHref = await page.locator('a.button[href*="records.xlsx"]').getAttribute('href');
    const resp = await page.request.get(url(exportHref));
    assert.equal(resp.status(), 200);
    assert.match(resp.headers()['content-type'] ?? '', /spreadsheetml/);
    const body = await resp.body();
    assert.equal(body.subarray(0, 2).toString(), 'PK', 'an XLSX file is a zip archive');
  });
});
