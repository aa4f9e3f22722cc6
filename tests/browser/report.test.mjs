#!/usr/bin/env node
// Opens backup-auditor's report.html in headless Chromium, as a reader would, and checks
// what they see: the overview charts, the findings table (filter, search, sort, pages), the
// evidence of a finding, and that hostile tag values from the snapshot stay inert text.
// Fails on any dialog, page error, console error (a CSP violation is one) or network request.
//
//   node report.test.mjs REPORT.html [--artifacts DIR] [--docs-screenshot PNG]
//                        [--perf-only] [--budget-ms 3000] [--since REPORT2.html --scans N]
//                        [--planned REPORT3.html]
//
// --since: a report of a later scan made with --baseline (a chain of N scans): its trend
// draws one point per scan, and the "new since last scan" filter narrows its table.
//
// --planned: a report of a scan that judged a planned change (a CloudFormation template): its
// "This change" section, the warnings at the template's addresses, what is undecidable.
//
// --perf-only: for a large synthetic report: open it, filter and search, within the budget.
// Chromium: $CHROMIUM or /usr/bin/chromium (Debian's package), started with the flags below
// and a fresh --user-data-dir (Playwright adds --user-data-dir and --remote-debugging-pipe).

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function parseArgs(argv) {
  const o = { artifacts: 'target/browser-artifacts', budgetMs: 3000, perfOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--artifacts') o.artifacts = argv[++i];
    else if (a === '--docs-screenshot') o.docsScreenshot = argv[++i];
    else if (a === '--budget-ms') o.budgetMs = Number(argv[++i]);
    else if (a === '--perf-only') o.perfOnly = true;
    else if (a === '--since') o.since = argv[++i];
    else if (a === '--scans') o.scans = Number(argv[++i]);
    else if (a === '--planned') o.planned = argv[++i];
    else if (!a.startsWith('--') && !o.report) o.report = a;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.report) throw new Error('usage: node report.test.mjs REPORT.html [--artifacts DIR] [--docs-screenshot PNG] [--perf-only] [--budget-ms N]');
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const report = path.resolve(opts.report);
if (!fs.existsSync(report)) {
  console.error(`no report at ${report}`);
  process.exit(2);
}
fs.mkdirSync(opts.artifacts, { recursive: true });

const results = [];
async function check(name, fn) {
  const t = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok - ${name} (${Date.now() - t} ms)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`not ok - ${name}\n  ${String(e && e.stack || e).split('\n').join('\n  ')}`);
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-auditor-chromium-'));
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  args: FLAGS,
  viewport: { width: 1440, height: 900 },
  deviceScaleFactor: 1,
  timeout: 60_000,
});
const page = context.pages()[0] || (await context.newPage());
const dialogs = [], pageErrors = [], consoleErrors = [], network = [];
page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
page.on('pageerror', (e) => pageErrors.push(String(e)));
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
await context.route('**/*', (route) => {
  const u = route.request().url();
  if (u.startsWith('file:') || u.startsWith('data:') || u === 'about:blank') return route.continue();
  network.push(u);
  return route.abort();
});

// Helpers that read the page.
const count = () => page.$eval('#count', (e) => e.textContent);
const visibleRows = () => page.$$eval('#rows tr[data-i]', (trs) => trs.map((tr) => ({
  status: tr.cells[0].textContent,
  account: tr.querySelector('td.acct .acct-id').textContent,
  type: tr.querySelector('td.res .type').textContent,
  name: tr.querySelector('td.res .name').textContent,
})));
async function selectByLabel(id, prefix) {
  const value = await page.$eval(`#${id}`, (sel, p) => {
    const o = Array.from(sel.options).find((x) => x.value !== '' && x.textContent.startsWith(p));
    return o ? o.value : null;
  }, prefix);
  assert(value !== null, `#${id} has no option starting with ${prefix}`);
  await page.selectOption(`#${id}`, value);
}
/** Searches for `text`, waits until every row shown holds it, and opens the first's evidence. */
async function openEvidenceOf(text) {
  await page.fill('#q', text);
  await page.waitForFunction((t) => {
    const rows = document.querySelectorAll('#rows tr[data-i]');
    return rows.length > 0 && Array.from(rows).every((tr) => tr.textContent.includes(t));
  }, text);
  await page.click('#rows tr[data-i] >> nth=0');
  await page.waitForSelector('#evidence:not([hidden])');
}

async function resetFilters() {
  await page.click('#f-reset');
}
async function timed(fn) {
  return page.evaluate(fn);
}

let openMs = 0;
await check('opens from disk and renders', async () => {
  const t = Date.now();
  await page.goto(pathToFileURL(report).href, { waitUntil: 'load', timeout: 60_000 });
  await page.waitForSelector('html[data-ready="1"]', { timeout: 30_000 });
  openMs = Date.now() - t;
  const inPage = await page.evaluate(() => window.__report);
  console.log(`  opened in ${openMs} ms (JSON parse ${inPage.parseMs.toFixed(0)} ms, script ready ${inPage.readyMs.toFixed(0)} ms, ${inPage.findings} findings)`);
  assert(openMs <= opts.budgetMs, `opening took ${openMs} ms, budget ${opts.budgetMs} ms`);
});

if (opts.perfOnly) {
  await check('filters and searches within budget', async () => {
    const total = await count();
    const filterMs = await page.evaluate(() => {
      const sel = document.getElementById('f-account');
      const t = performance.now();
      sel.value = sel.options[1].value;
      sel.dispatchEvent(new Event('change'));
      return performance.now() - t;
    });
    const filtered = await count();
    assert(filtered !== total, `filtering by account changed nothing (${filtered})`);
    // Search: from the keystroke to the new count on screen, debounce included.
    const searchMs = await page.evaluate(() => new Promise((ok) => {
      const q = document.getElementById('q');
      const sel = document.getElementById('f-account');
      const count = document.getElementById('count');
      sel.value = '';
      const t = performance.now();
      new MutationObserver((_, obs) => { obs.disconnect(); ok(performance.now() - t); })
        .observe(count, { childList: true, characterData: true, subtree: true });
      q.value = 'bucket';
      q.dispatchEvent(new Event('input'));
    }));
    const sortMs = await page.evaluate(() => {
      const th = document.querySelector('th[data-sort="resource"]');
      const t = performance.now();
      th.click();
      return performance.now() - t;
    });
    console.log(`  ${total}; by account: ${filtered} in ${filterMs.toFixed(0)} ms; search ${searchMs.toFixed(0)} ms (debounce included); sort ${sortMs.toFixed(0)} ms`);
    assert(filterMs <= opts.budgetMs && searchMs <= opts.budgetMs && sortMs <= opts.budgetMs, 'filter, search or sort over budget');
  });
} else {
  await check('header shows what was scanned and every NOT ASSESSED scope', async () => {
    const facts = await page.$eval('#scan-facts', (e) => e.innerText);
    for (const s of ['samples/org', 'rules/default/protection.yaml', 'samples/waivers.yaml', 'backup-auditor 0.1.0']) {
      assert(facts.includes(s), `scan facts lack ${s}: ${facts}`);
    }
    const banner = await page.$eval('#not-assessed', (e) => {
      const r = e.getBoundingClientRect();
      return { text: e.innerText, top: r.top + window.scrollY, height: r.height };
    });
    assert(banner.text.includes('444444444444 (sandbox)'), banner.text);
    assert(banner.text.includes('AccessDenied'), banner.text);
    assert(banner.text.includes('222222222222 (staging)'), banner.text);
    assert(banner.text.includes('ThrottlingException'), banner.text);
    assert(banner.top < 900, `the NOT ASSESSED banner should be on the first screen, is at ${banner.top}px`);
  });

  await check('overview charts render as SVG', async () => {
    const charts = await page.$$eval('svg.chart', (svgs) => svgs.map((s) => {
      const r = s.getBoundingClientRect();
      return { cls: s.getAttribute('class'), w: r.width, h: r.height, shapes: s.querySelectorAll('rect, circle, polyline').length };
    }));
    const names = charts.map((c) => c.cls).join(', ');
    for (const c of ['heatmap', 'failures', 'age', 'trend']) {
      const svg = charts.find((x) => x.cls.includes(c));
      assert(svg, `no ${c} chart among ${names}`);
      assert(svg.w > 200 && svg.h > 100, `${c} chart is ${svg.w}x${svg.h}`);
      // One scan has no trend to draw: the chart says what it needs instead.
      if (c !== 'trend') assert(svg.shapes >= 3, `${c} chart draws ${svg.shapes} shapes`);
    }
    const cells = await page.$$eval('svg.heatmap .cell.link', (g) => g.length);
    assert(cells >= 10, `heat map has ${cells} cells`);
    const na = await page.$eval('svg.heatmap', (s) => s.textContent);
    assert(na.includes('NOT ASSESSED'), 'heat map marks the unreadable account');
    const bars = await page.$$eval('svg.failures .bar', (g) => g.length);
    assert(bars >= 5, `failures chart has ${bars} bars`);
    const trend = await page.$eval('svg.trend', (s) => s.textContent);
    assert(trend.includes('A trend needs two scans'), `one scan: the trend says what it needs: ${trend}`);
    assert(!/placeholder/i.test(trend), 'no placeholder is left');
  });

  await check('findings table lists failing first, in pages', async () => {
    assert((await count()) === '1,482 findings', await count());
    const rows = await visibleRows();
    assert(rows.length === 200, `first page has ${rows.length} rows`);
    assert(rows[0].status === 'FAIL', `first row is ${rows[0].status}`);
    await page.click('#pg-next');
    const label = await page.$eval('#pg-label', (e) => e.textContent);
    assert(label.startsWith('201–400'), label);
    await page.click('#pg-prev');
  });

  await check('filtering by an account narrows the table', async () => {
    const before = await count();
    await selectByLabel('f-account', 'staging · 222222222222');
    const after = await count();
    assert(after !== before && /^\d+ of 1,482 findings match$/.test(after), `${before} → ${after}`);
    const rows = await visibleRows();
    assert(rows.length > 0 && rows.every((r) => r.account === '222222222222'), 'every row is in 222222222222');
    await selectByLabel('f-status', 'FAIL');
    const fails = await visibleRows();
    assert(fails.length > 0 && fails.length < rows.length, `FAIL in staging: ${fails.length}`);
    assert(fails.every((r) => r.status === 'FAIL' && r.account === '222222222222'), 'FAIL rows of 222222222222 only');
    await resetFilters();
    assert((await count()) === before, 'reset restores the table');
  });

  await check('sorting by a column', async () => {
    await page.click('th[data-sort="resource"]');
    assert(await page.$eval('th[data-sort="resource"]', (th) => th.getAttribute('aria-sort')) === 'ascending', 'ascending');
    let names = (await visibleRows()).map((r) => r.name.toLowerCase());
    for (let i = 1; i < names.length; i++) assert(names[i - 1] <= names[i], `not ascending at ${i}: ${names[i - 1]} > ${names[i]}`);
    await page.click('th[data-sort="resource"]');
    names = (await visibleRows()).map((r) => r.name.toLowerCase());
    for (let i = 1; i < names.length; i++) assert(names[i - 1] >= names[i], `not descending at ${i}`);
    await resetFilters();
  });

  await check('a heat-map cell filters the table to its account and type', async () => {
    await page.click('svg.heatmap .cell.link[data-account="111111111111"][data-type="ebs-volume"]');
    const rows = await visibleRows();
    assert(rows.length > 0, 'rows');
    assert(rows.every((r) => r.account === '111111111111' && r.type === 'ebs-volume'), 'only prod EBS volumes');
    await resetFilters();
  });

  await check('hostile tag values render as text and stay inert', async () => {
    await page.fill('#q', 'alert(1)');
    await page.waitForFunction(() => /match$/.test(document.getElementById('count').textContent));
    const rows = await visibleRows();
    const names = new Set(rows.map((r) => r.name));
    assert(names.has('<script>alert(1)</script>'), `names: ${[...names].join(' | ')}`);
    assert(names.has('<script>alert(1)</script>-root'), 'the volume named after it too');
    const dom = await page.evaluate(() => ({
      imgs: document.querySelectorAll('img').length,
      scripts: document.scripts.length,
      handlers: document.querySelectorAll('[onerror], [onload]').length,
    }));
    assert(dom.imgs === 0 && dom.scripts === 2 && dom.handlers === 0, JSON.stringify(dom));
    assert(dialogs.length === 0, `dialogs: ${dialogs}`);
  });

  await check('clicking a finding shows its evidence', async () => {
    // The hostile instance: its tags must show as text in the evidence too.
    await page.click('#rows tr[data-i] >> nth=0');
    await page.waitForSelector('#evidence:not([hidden])');
    const ev = await page.evaluate(() => ({
      title: document.getElementById('ev-title').textContent,
      text: document.getElementById('ev-body').textContent,
      tagCells: Array.from(document.querySelectorAll('#ev-body .tags td')).map((td) => td.textContent),
    }));
    assert(ev.title === '<script>alert(1)</script>' || ev.title === '<script>alert(1)</script>-root', `title ${ev.title}`);
    for (const s of ['Finding', 'Plans and selections in 111111111111/us-east-1', 'Backup rules that apply', 'Recovery points', 'backup-auditor explain samples/org']) {
      assert(ev.text.includes(s), `evidence lacks ${s}`);
    }
    assert(ev.tagCells.includes('<script>alert(1)</script>') || ev.tagCells.includes('<script>alert(1)</script>-root'), `tags ${ev.tagCells}`);
    if (ev.title === '<script>alert(1)</script>') assert(ev.tagCells.includes('"><img src=x onerror=alert(1)>'), `tags ${ev.tagCells}`);
    assert(await page.evaluate(() => document.querySelectorAll('img').length) === 0, 'no img element');
    await page.screenshot({ path: path.join(opts.artifacts, 'evidence-hostile.png') });
    await page.keyboard.press('Escape');
    assert(await page.$eval('#evidence', (e) => e.hidden), 'Escape closes the evidence');
    assert(dialogs.length === 0, `dialogs: ${dialogs}`);

    // A protected volume: the story says which selection, rule, schedule and vault.
    await openEvidenceOf('vol-01a10000000000003');
    const story = await page.$eval('#ev-body', (e) => e.textContent);
    for (const s of ['selected', 'effective', 'Worst interval', 'Retention', 'Vault', 'Through', 'arn:aws:ec2:us-east-1:111111111111:instance/']) {
      assert(story.includes(s), `story lacks ${s}`);
    }
    const verdicts = await page.$$eval('#ev-body .verdict-list li', (li) => li.length);
    assert(verdicts >= 3, `lists the resource's other findings (${verdicts})`);
    await page.screenshot({ path: path.join(opts.artifacts, 'evidence.png') });
    await page.click('#ev-close');

    // A resource selected directly: the story names the selection's IAM role and its state.
    await openEvidenceOf('i-01a20000000000001');
    const selected = await page.$eval('#ev-body', (e) => e.textContent);
    const role = 'role arn:aws:iam::111111111111:role/service-role/AWSBackupDefaultServiceRole: exists, and its trust policy lets backup.amazonaws.com assume it';
    assert(selected.includes(role), 'the story names the selection role');
    await page.click('#ev-close');

    // An S3 bucket with a backup access point on a point and a warm tier: explained, not judged.
    await openEvidenceOf('acme-payments-statements');
    const bucket = await page.evaluate(() => ({
      text: document.getElementById('ev-body').textContent,
      heads: Array.from(document.querySelectorAll('#ev-body .rp-table th')).map((th) => th.textContent),
      points: Array.from(document.querySelectorAll('#ev-body .rp-table tbody tr')).map((tr) => tr.lastChild.textContent),
    }));
    assert(bucket.heads.includes('Backup access points'), `columns ${bucket.heads}`);
    assert(bucket.points.filter((c) => c === 'statements-audit (AVAILABLE)').length === 1, `access points ${bucket.points}`);
    for (const s of ['Warm tier', 'statements_warm: its backups in vault payments move after 90 days', 'The move is one-way']) {
      assert(bucket.text.includes(s), `evidence lacks ${s}`);
    }
    await page.click('#ev-close');
    await page.fill('#q', '');
    await resetFilters();
  });

  await check('rule documentation and waivers are shown', async () => {
    const rule = await page.$eval('#rule-backup-protected', (e) => ({ open: e.open, text: e.textContent }));
    assert(rule.open, 'a failing rule is open');
    for (const s of ['What it checks', 'Why it matters', 'How to fix', 'Framework mapping', 'BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN', 'docs.aws.amazon.com']) {
      assert(rule.text.includes(s), `rule doc lacks ${s}`);
    }
    const w = await page.$eval('#waivers', (e) => e.textContent);
    for (const s of ['Expired', 'Active', 'Unused', 'legacy-ftp is being decommissioned', 'RISK-2291']) {
      assert(w.includes(s), `waivers lack ${s}`);
    }
  });
}

if (opts.since) {
  await check('a later scan opens with what changed since the last one', async () => {
    await page.goto(pathToFileURL(path.resolve(opts.since)).href, { waitUntil: 'load', timeout: 60_000 });
    await page.waitForSelector('html[data-ready="1"]', { timeout: 30_000 });
    const since = await page.$eval('#since', (e) => e.innerText);
    assert(since.includes('Since the last scan') && since.includes('New failures'), since.slice(0, 300));
    await (await page.$('#since')).screenshot({ path: path.join(opts.artifacts, 'since.png') });
  });

  await check('the trend chart draws one point per scan', async () => {
    const points = await page.$$eval('svg.trend g.point', (g) => g.map((x) => ({
      scan: x.getAttribute('data-scan'),
      circles: x.querySelectorAll('circle').length,
      x: Number(x.querySelector('circle').getAttribute('cx')),
    })));
    assert(points.length === opts.scans, `${points.length} points for ${opts.scans} scans`);
    assert(new Set(points.map((p) => p.scan)).size === opts.scans, 'one point per scan');
    for (let i = 1; i < points.length; i++) assert(points[i - 1].x < points[i].x, 'oldest first, left to right');
    assert(points.every((p) => p.circles === 2), 'coverage and failures at each scan');
    // One account's coverage instead of all accounts'.
    const options = await page.$$eval('#trend-account option', (o) => o.map((x) => x.value).filter(Boolean));
    assert(options.includes('111111111111'), `accounts offered: ${options}`);
    await page.selectOption('#trend-account', '111111111111');
    const shown = await page.$$eval('svg.trend .trend-acct', (g) => g.filter((x) => x.getAttribute('display') !== 'none').map((x) => x.getAttribute('data-account')));
    assert(shown.length === 1 && shown[0] === '111111111111', `shown: ${shown}`);
    const all = await page.$eval('svg.trend polyline.trend-all', (e) => e.getAttribute('display'));
    assert(all === 'none', 'the all-accounts line gives way');
    await (await page.$('#chart-trend')).screenshot({ path: path.join(opts.artifacts, 'trend.png') });
    await page.selectOption('#trend-account', '');
  });

  await check('the "new since last scan" filter narrows the table', async () => {
    const before = await count();
    await selectByLabel('f-change', 'new since last scan');
    const after = await count();
    assert(after !== before && /^[\d,]+ of [\d,]+ findings match$/.test(after), `${before} → ${after}`);
    const rows = await page.$$eval('#rows tr[data-i]', (trs) => trs.map((tr) => tr.cells[0].textContent));
    assert(rows.length > 0 && rows.every((t) => t.includes('new')), `rows: ${rows.slice(0, 5)}`);
    const expected = await page.$eval('#since-new', (e) => e.textContent);
    await selectByLabel('f-change', 'regressed');
    const regressed = await page.$$eval('#rows tr[data-i]', (trs) => trs.length);
    const news = Number(after.split(' ')[0]);
    assert(news + regressed === Number(expected), `new ${news} + regressed ${regressed} vs ${expected}`);
    await resetFilters();
    assert((await count()) === before, 'reset restores the table');
  });
}

if (opts.planned) {
  await check('a planned change opens with what it changes, its warnings and what is undecidable', async () => {
    await page.goto(pathToFileURL(path.resolve(opts.planned)).href, { waitUntil: 'load', timeout: 60_000 });
    await page.waitForSelector('html[data-ready="1"]', { timeout: 30_000 });
    const nav = await page.$eval('nav a[href="#since"]', (e) => e.textContent);
    assert(nav === 'This change', `nav: ${nav}`);
    const since = await page.$eval('#since', (e) => e.innerText);
    assert(since.includes('This change') && since.includes('the CloudFormation template'), since.slice(0, 300));
    assert(!since.includes('Longest-standing'), 'no streaks for a plan');
    const warned = await page.$eval('#plan-warnings', (e) => e.innerText);
    assert(warned.includes('SharedAppTag') && warned.includes('DevScratchVolume'), warned);
    const undecidable = await page.$eval('#undecidable', (e) => e.innerText);
    assert(undecidable.includes('ImportsVolume'), undecidable.slice(0, 300));
    await (await page.$('#since')).screenshot({ path: path.join(opts.artifacts, 'planned.png') });
  });

  await check('the table filters by what the change does', async () => {
    const before = await count();
    await selectByLabel('f-change', 'new with this change');
    const news = await page.$$eval('#rows tr[data-i]', (trs) => trs.map((tr) => tr.cells[0].textContent));
    assert(news.length > 0 && news.every((t) => t.includes('new')), `rows: ${news.slice(0, 5)}`);
    await selectByLabel('f-change', 'undecidable');
    const undecided = await page.$$eval('#rows tr[data-i]', (trs) => trs.map((tr) => tr.cells[0].textContent));
    assert(undecided.length > 0 && undecided.every((t) => t.includes('UNDECIDABLE')), `rows: ${undecided.slice(0, 5)}`);
    await resetFilters();
    assert((await count()) === before, 'reset restores the table');
  });
}

await check('no dialog, page error, console error or network request', async () => {
  assert(dialogs.length === 0, `dialogs: ${dialogs.join(' | ')}`);
  assert(pageErrors.length === 0, `page errors: ${pageErrors.join(' | ')}`);
  assert(consoleErrors.length === 0, `console errors: ${consoleErrors.join(' | ')}`);
  assert(network.length === 0, `network requests: ${network.join(' ')}`);
});

await check('screenshots saved', async () => {
  if (!(await page.$eval('#evidence', (e) => e.hidden))) await page.click('#ev-close');
  await page.evaluate(() => window.scrollTo(0, 0));
  const full = path.join(opts.artifacts, opts.perfOnly ? 'report-large.png' : 'report.png');
  await page.screenshot({ path: full, fullPage: !opts.perfOnly });
  console.log(`  ${full}`);
  if (opts.docsScreenshot) {
    fs.mkdirSync(path.dirname(opts.docsScreenshot), { recursive: true });
    // The header, the NOT ASSESSED banner and the overview charts.
    const bottom = await page.$eval('#chart-age', (e) => e.getBoundingClientRect().bottom + window.scrollY);
    await page.screenshot({ path: opts.docsScreenshot, fullPage: true, clip: { x: 0, y: 0, width: 1440, height: Math.round(bottom) + 16 } });
    console.log(`  ${opts.docsScreenshot}`);
  }
});

await context.close();
fs.rmSync(userDataDir, { recursive: true, force: true });
const failed = results.filter((r) => !r.ok).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
