// Matching in the browser: the enterprise's workspace lists new suggested matches; the demand's
// page explains each match (score and reasons); declining with a reason records it and the pair
// is not proposed again. Screenshots land in artifacts/screenshots/.
//
//   CHENGGUO_URL=http://127.0.0.1:PORT node --test
//
// against `chengguo serve --demo`.

import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';

import { DEMO_PASSWORD, assertNoBrowserErrors, excerpt, launchBrowser, login, newPage, screenshot, sequentialSteps, visit } from './lib.mjs';

describe('matching: workspace panel, reasons, decline with a reason', () => {
  let browser;
  let page;
  let demandUrl = null;
  const step = sequentialSteps(() => page, 'matching-');

  before(async () => {
    browser = await launchBrowser();
    page = await newPage(browser);
  });

  after(async () => {
    await browser?.close();
  });

  step('the enterprise workspace lists new matches', async () => {
    await login(page, 'enterprise', DEMO_PASSWORD);
    await visit(page, '/');
    const panel = page.locator('#new-matches');
    assert.equal(await panel.count(), 1, `no matches panel on the home page: ${await excerpt(page)}`);
    const rows = panel.locator('tr.match');
    assert.ok((await rows.count()) >= 1, `no new matches: ${await panel.innerText()}`);
    demandUrl = await rows.first().locator('td').first().locator('a').getAttribute('href');
    assert.match(demandUrl, /^\/demands\/\d+(#matches)?$/);
    await screenshot(page, 'matching-home');
  });

  step('the demand page explains each match', async () => {
    await visit(page, demandUrl);
    const rows = page.locator('#matches tr.match');
    assert.ok((await rows.count()) >= 1, `no matches on ${demandUrl}: ${await excerpt(page)}`);
    const first = rows.first();
    assert.ok((await first.locator('ul.reasons li').count()) >= 1, 'a match says why');
    const score = Number(await first.locator('.match-score').innerText());
    assert.ok(score > 0 && score <= 100, `score ${score}`);
    assertNoBrowserErrors(page);
    await screenshot(page, 'matching');
  });

  step('declining with a reason removes the pair', async () => {
    const first = page.locator('#matches tr.match').first();
    const achievement = await first.getAttribute('data-achievement');
    const form = first.locator('form:has(input[name=decision][value=declined])');
    await form.locator('input[name=reason]').fill('技术路线与我公司现有产线不兼容');
    await Promise.all([page.waitForLoadState('load'), form.locator('button[type=submit]').click()]);
    await page.waitForSelector('#matches');
    assert.ok((await page.locator('#matches .alert.ok').count()) === 1, `no confirmation: ${await excerpt(page)}`);
    assert.equal(
      await page.locator(`#matches tr.match[data-achievement="${achievement}"]`).count(),
      0,
      'the declined achievement is not proposed again',
    );
  });
});
