// Contracts in the browser: the registrar's queue at the demo site with working-day deadlines and
// overdue flags; the bureau's statistics page with its charts, a figure opened as the list of
// contracts behind it, and that list's Excel export; the import upload, whose preview names the
// problems of a bad file and whose confirmation imports a clean one. Screenshots land in
// artifacts/screenshots/.
//
//   CHENGGUO_URL=http://127.0.0.1:PORT node --test
//
// against `chengguo serve --demo`.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe } from 'node:test';

import { DEFAULT_IGNORED_CONSOLE, DEMO_PASSWORD, assertNoBrowserErrors, excerpt, launchBrowser, login, logoutForm, newPage, screenshot, url, sequentialSteps, visit } from './lib.mjs';

describe('contracts: registrar queue, statistics, drill-down, export', () => {
  let browser;
  let page;
  const step = sequentialSteps(() => page, 'contracts-');

  before(async () => {
    browser = await launchBrowser();
    // The preview of a bad file answers 422 on purpose; Chromium logs that as a console error.
    page = await newPage(browser, {
      ignoreConsole: [...DEFAULT_IGNORED_CONSOLE, /\/contracts\/import: Failed to load resource: .*\b422\b/],
    });
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

  // The documented example, its contract numbers made unique to this run.
  const run = Date.now().toString(36).toUpperCase();
  const example = readFileSync(new URL('../../docs/examples/contracts.csv', import.meta.url), 'utf8').replaceAll('SY-2024-', `BT${run}-`);

  async function upload(name, text) {
    await visit(page, '/contracts/import');
    await page.locator('input[type="file"][name="file"]').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(text, 'utf8') });
    const response = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/contracts/import');
    await page.locator('form[enctype="multipart/form-data"] button[type="submit"]').click();
    const status = (await response).status();
    await page.waitForLoadState('load');
    return status;
  }

  step('an import preview names every problem and offers nothing to import', async () => {
    const lines = example.trimEnd().split('\n');
    lines[2] = lines[2].replace(',800000,800000,', ',800000,900000,');
    lines[4] = lines[4].replace(',96000.00,', ',96000.005,');
    assert.equal(await upload('bad-contracts.csv', lines.join('\n') + '\n'), 422);
    const problems = page.locator('table.errors tbody tr');
    assert.equal(await problems.count(), 2, `expected 2 problems: ${await excerpt(page)}`);
    const text = await page.locator('table.errors').innerText();
    assert.match(text, /3\s+技术交易额/);
    assert.match(text, /5\s+合同成交额/);
    assert.equal(await page.locator('form[action*="/commit"]').count(), 0, 'a bad file must not offer the import');
    assertNoBrowserErrors(page);
    await screenshot(page, 'contracts-import-errors');
  });

  step('a clean file previews, then imports on confirmation', async () => {
    assert.equal(await upload('contracts.csv', example), 200);
    assert.match(await page.locator('.alert.ok').innerText(), /4 行，其中已登记 3/);
    await screenshot(page, 'contracts-import-preview');
    await Promise.all([page.waitForURL(/\/contracts\/import\/[^/]+\/commit/), page.locator('form[action*="/commit"] button[type="submit"]').click()]);
    assert.match(await page.locator('.alert.ok').innerText(), /4 份合同（其中已登记 3/, await excerpt(page));
    assertNoBrowserErrors(page);
    await screenshot(page, 'contracts-import-done');
  });
});
