// Achievements in the browser: the public listing and a detail page without contacts, the
// bureau's review queue, and the import upload whose preview lists the problems of a bad file.
//
//   CHENGGUO_URL=http://127.0.0.1:PORT node --test
//
// against `chengguo serve --demo`. Screenshots land in artifacts/screenshots/.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  DEFAULT_IGNORED_CONSOLE,
  DEMO_USERS,
  assertNoBrowserErrors,
  excerpt,
  launchBrowser,
  login,
  newPage,
  screenshot,
  sequentialSteps,
  visit,
} from './lib.mjs';

describe('achievements: listing, review queue, import preview with errors', () => {
  let browser;
  let page;
  const step = sequentialSteps(() => page, 'achievements-');

  before(async () => {
    browser = await launchBrowser();
    // The preview of a bad file answers 422 on purpose; Chromium logs that as a console error.
    page = await newPage(browser, {
      ignoreConsole: [...DEFAULT_IGNORED_CONSOLE, /\/achievements\/import: Failed to load resource: .*\b422\b/],
    });
  });

  after(async () => {
    await browser?.close();
  });

  step('public listing with filters', async () => {
    await visit(page, '/achievements');
    const rows = page.locator('table#achievements tr:has(td)');
    assert.ok((await rows.count()) >= 1, `/achievements shows no rows; page text: ${await excerpt(page)}`);
    const text = await page.locator('body').innerText();
    assert.ok(!text.includes('草稿'), 'anonymous visitors must not see drafts');
    await page.locator('select[name="chain"]').selectOption('robotics');
    await Promise.all([page.waitForEvent('load'), page.locator('form.filters button[type="submit"]').click()]);
    assert.match(page.url(), /chain=robotics/);
    await screenshot(page, 'achievements-list');
  });

  step('detail hides the contact from anonymous visitors', async () => {
    await visit(page, '/achievements');
    const link = page.locator('table#achievements tr:has(td) a').first();
    await Promise.all([page.waitForEvent('load'), link.click()]);
    const contact = await page.locator('#contact').innerText();
    assert.match(contact, /登录后可查看联系方式/, `contact shown to an anonymous visitor: ${contact}`);
    await screenshot(page, 'achievement-detail-anon');
  });

  step('bureau review queue', async () => {
    const { username, password } = DEMO_USERS.bureau;
    await login(page, username, password);
    await visit(page, '/achievements/review');
    const publish = page.locator('form[action$="/actions/publish"]');
    assert.ok((await publish.count()) >= 1, `the review queue has no publish buttons; page text: ${await excerpt(page)}`);
    assert.ok((await page.locator('form[action$="/actions/return"] input[name="reason"]').count()) >= 1, 'no return form with a reason');
    await screenshot(page, 'achievements-review');
  });

  step('import preview lists every problem', async () => {
    await visit(page, '/achievements/import');
    const csv = 'ref,title,owner_credit_code,stage\nP-1,,12210102DM0000004P,量产\nP-2,无主成果,91210106DM0000099X,lab\n';
    await page.locator('input[type="file"][name="file"]').setInputFiles({
      name: 'bad.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv, 'utf8'),
    });
    const response = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/achievements/import');
    await page.locator('form[enctype="multipart/form-data"] button[type="submit"]').click();
    assert.equal((await response).status(), 422);
    await page.waitForLoadState('load');
    const problems = page.locator('table#problems tbody tr');
    assert.equal(await problems.count(), 3, `expected 3 problems; page text: ${await excerpt(page)}`);
    const text = await page.locator('table#problems').innerText();
    assert.match(text, /title/);
    assert.match(text, /stage/);
    assert.match(text, /owner_credit_code/);
    assert.equal(await page.locator('form[action*="/commit"]').count(), 0, 'a bad file must not offer the import');
    await screenshot(page, 'achievements-import-errors');
  });

  step('scores and publication counter', async () => {
    await visit(page, '/achievements/scores');
    assert.ok((await page.locator('table#scores tr:has(td)').count()) >= 1, 'no ranking rows');
    await screenshot(page, 'achievements-scores');
    await visit(page, '/achievements/publications');
    assert.ok((await page.locator('svg').count()) >= 1, 'no chart on the publication counter');
    await screenshot(page, 'achievements-publications');
  });

  test('no console errors or page errors during the flow', () => {
    assertNoBrowserErrors(page);
  });
});
