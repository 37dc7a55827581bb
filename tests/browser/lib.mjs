// Shared helpers for Chengguo's browser tests.
//
// The tests drive Debian's Chromium (/usr/bin/chromium) through playwright-core.
// playwright-core never downloads a browser of its own, which is what we want:
// CI has no network beyond the package registries, so `npx playwright install`
// would fail there.
//
// Environment:
//   CHENGGUO_URL     base URL of a running server (default http://127.0.0.1:8080)
//   CHROMIUM_PATH    browser executable (default /usr/bin/chromium)
//   BROWSER_TIMEOUT  per-action timeout in ms (default 15000)

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { test } from 'node:test';

import { chromium } from 'playwright-core';

export const BASE_URL = (process.env.CHENGGUO_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'artifacts', 'screenshots');
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const TIMEOUT_MS = Number(process.env.BROWSER_TIMEOUT || 15000);

// Demo accounts seeded by `chengguo serve --demo`.
export const DEMO_PASSWORD = 'chengguo-demo';
export const DEMO_USERS = Object.freeze({
  bureau: { username: 'bureau', password: DEMO_PASSWORD },
});

// Flags for running as root on a machine with a closed network: without the
// background-networking flags Chromium keeps trying to reach Google's hosts.
export const CHROMIUM_ARGS = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

// Any CJK Unified Ideograph: "the page contains Chinese text".
export const CJK_RE = /[\u3400-\u4dbf\u4e00-\u9fff]/;

/** Absolute URL for a path on the server under test. */
export function url(pathname = '/') {
  return new URL(pathname, BASE_URL + '/').toString();
}

/** Launch headless Chromium. Close it with `await browser.close()`. */
export async function launchBrowser(options = {}) {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}; install Debian's "chromium" package ` +
        '(apt-get install chromium) or set CHROMIUM_PATH',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
    timeout: 60_000,
    ...options,
  });
}

// Console and page errors seen by each page, kept outside the Page object.
const diagnostics = new WeakMap();

// Console errors that are not the page's doing. Chromium asks for
// /favicon.ico by itself; a 404 there says nothing about the page.
export const DEFAULT_IGNORED_CONSOLE = Object.freeze([/\/favicon\.ico\b/]);

/**
 * Open a page in a fresh browser context (own cookies) that records console
 * errors and uncaught page errors. The context asks for Chinese, as a typical
 * user's browser would. `ignoreConsole` lists regexps for console errors to
 * drop; other options are passed to browser.newContext().
 */
export async function newPage(browser, { ignoreConsole = DEFAULT_IGNORED_CONSOLE, ...contextOptions } = {}) {
  const context = await browser.newContext({
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    viewport: { width: 1280, height: 800 },
    ...contextOptions,
  });
  context.setDefaultTimeout(TIMEOUT_MS);
  context.setDefaultNavigationTimeout(TIMEOUT_MS * 2);
  const page = await context.newPage();
  const record = { consoleErrors: [], pageErrors: [] };
  diagnostics.set(page, record);
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const loc = msg.location();
    const where = loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : '';
    const line = `on ${page.url()}: ${msg.text()}${where}`;
    if (ignoreConsole.some((re) => re.test(line))) return;
    record.consoleErrors.push(line);
  });
  page.on('pageerror', (err) => {
    record.pageErrors.push(`on ${page.url()}: ${err && err.stack ? err.stack : err}`);
  });
  return page;
}

/** Errors recorded so far for a page made by newPage(). */
export function browserErrors(page) {
  const record = diagnostics.get(page);
  if (!record) throw new Error('browserErrors(): page was not created with newPage()');
  return { consoleErrors: [...record.consoleErrors], pageErrors: [...record.pageErrors] };
}

/** Fail if the page logged any console error or threw any uncaught error. */
export function assertNoBrowserErrors(page) {
  const { consoleErrors, pageErrors } = browserErrors(page);
  const lines = [
    ...consoleErrors.map((e) => `  console error ${e}`),
    ...pageErrors.map((e) => `  page error ${e}`),
  ];
  assert.equal(lines.length, 0, `browser reported ${lines.length} error(s):\n${lines.join('\n')}`);
}

/** Navigate to a path and assert the HTTP status of the final response. */
export async function visit(page, pathname, { status = 200 } = {}) {
  const response = await page.goto(url(pathname), { waitUntil: 'load' });
  assert.ok(response, `no response for GET ${pathname}`);
  if (status !== null) {
    assert.equal(
      response.status(),
      status,
      `GET ${pathname} answered ${response.status()} (expected ${status}); page text: ${await excerpt(page)}`,
    );
  }
  return response;
}

/** The `lang` attribute of <html>. */
export async function htmlLang(page) {
  return page.locator('html').getAttribute('lang');
}

/** First ~300 characters of the visible text, for failure messages. */
export async function excerpt(page, max = 300) {
  try {
    const text = (await page.locator('body').innerText({ timeout: 2000 })).replace(/\s+/g, ' ').trim();
    return JSON.stringify(text.length > max ? text.slice(0, max) + '…' : text);
  } catch {
    return '(no body text)';
  }
}

/** Full-page screenshot into <repo>/artifacts/screenshots/NAME.png; returns the file path. */
export async function screenshot(page, name) {
  const safe = String(name).replace(/[^A-Za-z0-9._-]+/g, '-');
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${safe}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The logout form shown to a signed-in user. */
export function logoutForm(page) {
  return page.locator('form[action="/logout"]');
}

/**
 * Sign in through the /login form.
 *
 * Contract with the server: GET /login has a form with input[name=username],
 * input[name=password], a hidden input[name=csrf] and button[type=submit];
 * a successful POST /login answers 303 to `/`, whose page has a
 * form[action="/logout"].
 */
export async function login(page, username, password) {
  await visit(page, '/login');
  const form = page.locator('form').filter({ has: page.locator('input[name="username"]') }).first();
  assert.equal(await form.count(), 1, `GET /login shows no form with input[name=username]; page text: ${await excerpt(page)}`);
  assert.equal(await form.locator('input[name="password"]').count(), 1, 'login form has no input[name=password]');
  const csrf = form.locator('input[name="csrf"]');
  assert.equal(await csrf.count(), 1, 'login form has no hidden input[name=csrf]');
  assert.ok((await csrf.getAttribute('value'))?.trim(), 'login form\'s input[name=csrf] has an empty value');
  const submit = form.locator('button[type="submit"]');
  assert.ok((await submit.count()) >= 1, 'login form has no button[type=submit]');

  await form.locator('input[name="username"]').fill(username);
  await form.locator('input[name="password"]').fill(password);

  const postLogin = page.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/login',
  );
  await submit.first().click();
  const response = await postLogin;
  await page.waitForLoadState('load');
  assert.equal(
    response.status(),
    303,
    `POST /login as "${username}" answered ${response.status()} (expected 303 to /); now at ${page.url()}; page text: ${await excerpt(page)}`,
  );
  assert.equal(
    new URL(page.url()).pathname,
    '/',
    `after login as "${username}" the browser is at ${page.url()} (expected /)`,
  );
  await logoutForm(page).first().waitFor({ state: 'attached' }).catch(() => {});
  assert.ok(
    (await logoutForm(page).count()) >= 1,
    `after login as "${username}" the page has no form[action="/logout"]; page text: ${await excerpt(page)}`,
  );
  return response;
}

/** Sign out with the logout form's submit button and check the form is gone. */
export async function logout(page) {
  const form = logoutForm(page).first();
  assert.equal(await logoutForm(page).count() >= 1, true, `no form[action="/logout"] on ${page.url()}: not signed in?`);
  const button = form.locator('button[type="submit"], input[type="submit"], button:not([type])').first();
  const postLogout = page.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/logout',
  );
  if ((await button.count()) === 1) {
    await button.click();
  } else {
    await form.evaluate((f) => f.requestSubmit());
  }
  const response = await postLogout;
  await page.waitForLoadState('load');
  assert.ok(
    response.status() < 400,
    `POST /logout answered ${response.status()}; page text: ${await excerpt(page)}`,
  );
  assert.equal(
    await logoutForm(page).count(),
    0,
    `after logout ${page.url()} still shows form[action="/logout"]`,
  );
  return response;
}

/**
 * Steps that share one page and build on each other: once one fails, its page is saved as the
 * screenshot `failed-<prefix><name>` and the later steps are skipped instead of failing with
 * confusing follow-up errors. `getPage` returns the page (created in `before`).
 */
export function sequentialSteps(getPage, prefix = '') {
  let failedStep = null;
  return (name, fn) =>
    test(name, async (t) => {
      if (failedStep) {
        t.skip(`skipped: earlier step "${failedStep}" failed`);
        return;
      }
      try {
        await fn(t);
      } catch (err) {
        failedStep = name;
        await screenshot(getPage(), `failed-${prefix}${name}`).catch(() => {});
        throw err;
      }
    });
}
