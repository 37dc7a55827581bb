// Search in the browser: a Chinese query from the search box shows highlighted hits and facets
// with counts; a facet link narrows the results and shows as selected; date order; an English
// query on the English page; the empty state. Screenshots land in artifacts/screenshots/.
//
//   CHENGGUO_URL=http://127.0.0.1:PORT node --test
//
// against `chengguo serve --demo`.

import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';

import { assertNoBrowserErrors, excerpt, launchBrowser, newPage, screenshot, sequentialSteps, visit } from './lib.mjs';

describe('search: highlights, facets, order, English, empty state', () => {
  let browser;
  let page;
  const step = sequentialSteps(() => page, 'search-');

  const total = async () => {
    const text = await page.locator('#result-count').innerText();
    const m = text.match(/(\d+)\s*(条|records)/);
    assert.ok(m, `no total in "${text}"`);
    return Number(m[1]);
  };

  before(async () => {
    browser = await launchBrowser();
    page = await newPage(browser);
  });

  after(async () => {
    await browser?.close();
  });

  step('a Chinese query from the search box', async () => {
    await visit(page, '/');
    await page.locator('nav.mainnav a[href="/search"]').click();
    await page.waitForURL(/\/search$/);
    await page.locator('input[name=q]').fill('机器人 视觉');
    await page.locator('form.search-box button[type=submit]').click();
    await page.waitForURL(/\/search\?q=/);
    const hits = page.locator('li.hit');
    assert.ok((await hits.count()) >= 1, `no hits: ${await excerpt(page)}`);
    assert.ok((await page.locator('li.hit mark').count()) >= 1, 'matched terms are highlighted');
    assert.ok((await page.locator('aside.facets .count').count()) >= 2, 'facets show counts');
    assertNoBrowserErrors(page);
    await screenshot(page, 'search');
  });

  step('a facet narrows the results and shows as selected', async () => {
    const before = await total();
    const link = page.locator('aside.facets section.facet:has(h3:text("产业链")) a').first();
    const expected = Number(await link.locator('xpath=following-sibling::span').innerText());
    await link.click();
    await page.waitForURL(/chain=/);
    const after = await total();
    assert.equal(after, expected, 'the count next to the facet is the number of results');
    assert.ok(after <= before);
    assert.equal(await page.locator('aside.facets a.active').count(), 1);
    // Removing it again restores the results.
    await page.locator('aside.facets a.active').click();
    await page.waitForURL((u) => !u.search.includes('chain='));
    assert.equal(await total(), before);
  });

  step('date order keeps the results', async () => {
    const before = await total();
    await page.locator('select[name=sort]').selectOption('date');
    await page.locator('form.search-box button[type=submit]').click();
    await page.waitForURL(/sort=date/);
    assert.equal(await total(), before);
  });

  step('English page and query', async () => {
    await visit(page, '/search?lang=en&q=robot');
    assert.ok((await page.locator('h1').innerText()).includes('Search achievements and demands'));
    assert.ok((await page.locator('li.hit').count()) >= 1, `no hits for "robot": ${await excerpt(page)}`);
    await visit(page, '/search?lang=zh&q=zzzzqqqq');
    assert.ok((await page.locator('.empty').innerText()).includes('没有找到'));
  });
});
