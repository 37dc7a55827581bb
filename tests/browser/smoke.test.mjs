// Smoke test: one visitor's path through the demo server, in order.
//
//   CHENGGUO_URL=http://127.0.0.1:PORT node --test
//
// against `chengguo serve --demo`. Screenshots land in artifacts/screenshots/.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  CJK_RE,
  DEMO_USERS,
  assertNoBrowserErrors,
  excerpt,
  htmlLang,
  launchBrowser,
  login,
  logout,
  logoutForm,
  newPage,
  screenshot,
  sequentialSteps,
  visit,
} from './lib.mjs';

describe('smoke: anonymous visit, bureau login, organizations, language switch, logout', () => {
  let browser;
  let page;
  const step = sequentialSteps(() => page);

  before(async () => {
    browser = await launchBrowser();
    page = await newPage(browser);
  });

  after(async () => {
    await browser?.close();
  });

  step('home page, anonymous', async () => {
    await visit(page, '/');
    assert.equal(await htmlLang(page), 'zh-CN', 'anonymous home page: <html lang> should be "zh-CN"');
    const text = await page.locator('body').innerText();
    assert.match(text, CJK_RE, `anonymous home page shows no Chinese text: ${await excerpt(page)}`);
    assert.equal(await logoutForm(page).count(), 0, 'anonymous home page shows a logout form');
    await screenshot(page, 'home-anon');
  });

  step('login as the demo bureau account', async () => {
    const { username, password } = DEMO_USERS.bureau;
    await login(page, username, password);
    assert.equal(await htmlLang(page), 'zh-CN', 'home page after login: <html lang> should be "zh-CN"');
    assert.match(await page.locator('body').innerText(), CJK_RE, 'home page after login shows no Chinese text');
    await screenshot(page, 'home-bureau');
  });

  step('organizations list', async () => {
    await visit(page, '/organizations');
    const table = page.locator('table').first();
    assert.equal(await table.count(), 1, `/organizations has no <table>; page text: ${await excerpt(page)}`);
    const rows = table.locator('tr:has(td)');
    assert.ok((await rows.count()) >= 1, '/organizations: the table has no data rows (the demo seeds organizations)');
    assert.ok((await logoutForm(page).count()) >= 1, '/organizations: the bureau user appears signed out');
    await screenshot(page, 'organizations');
  });

  step('switch language to English', async () => {
    await visit(page, '/');
    const link = page.locator('a[href*="lang=en"]').first();
    assert.equal(await link.count(), 1, `home page has no language link a[href*="lang=en"]; page text: ${await excerpt(page)}`);
    await Promise.all([page.waitForEvent('load'), link.click()]);
    assert.equal(
      await htmlLang(page),
      'en',
      `after following the lang=en link (now at ${page.url()}) <html lang> should be "en"`,
    );
    assert.ok((await logoutForm(page).count()) >= 1, 'switching language signed the user out');
    await screenshot(page, 'home-en');
  });

  step('logout', async () => {
    await logout(page);
  });

  test('no console errors or page errors during the flow', () => {
    assertNoBrowserErrors(page);
  });
});
