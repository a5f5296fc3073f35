// The embedded discussion in headless Chromium with third-party cookies blocked: a static
// page (nginx, BLOG) frames Tribune (TRIBUNE, another site); a reader posts, replies and
// sees the count; no cookie reaches the frame. Then axe-core on the frame's document,
// screenshots (SHOTS, if given) and the embed's bytes and requests for 20 comments.
// Usage: node embed.mjs BLOG TRIBUNE [SHOTS]. Needs TRIBUNE_PLAYWRIGHT_DIR, TRIBUNE_CHROMIUM, TRIBUNE_AXE.
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.TRIBUNE_PLAYWRIGHT_DIR);
const axe = readFileSync(process.env.TRIBUNE_AXE, 'utf8');
const [blog, tribune, shots] = process.argv.slice(2);

function check(ok, what) {
  if (!ok) throw new Error(what);
  console.log(`ok: ${what}`);
}

// Chromium's own setting, as a reader sets it: "Block third-party cookies".
const profile = mkdtempSync(join(tmpdir(), 'tribune-embed-'));
mkdirSync(join(profile, 'Default'));
writeFileSync(join(profile, 'Default', 'Preferences'), JSON.stringify({
  profile: { cookie_controls_mode: 1, block_third_party_cookies: true },
}));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.TRIBUNE_CHROMIUM,
  args: ['--no-sandbox'],
  viewport: { width: 1280, height: 900 },
});
const timer = setTimeout(() => { console.error('embed: over 120 s'); process.exit(2); }, 120_000);
let failed = false;
try {
  const page = await context.newPage();
  // Every request to Tribune, with the headers the browser really sent.
  const toTribune = [];
  page.on('request', async (r) => {
    if (r.url().startsWith(tribune)) toTribune.push({ url: r.url(), headers: await r.allHeaders() });
  });
  await page.goto(`${blog}/post.html`);
  const frameElement = await page.waitForSelector('iframe[title="Discussion"]');
  check(await page.locator(`a[href^="${tribune}/discussion"]`).count() === 0, 'the script put the frame in place of the fallback link');
  const frame = await frameElement.contentFrame();
  await frame.waitForSelector('#comment-count');
  check((await frame.textContent('#comment-count')).trim() === '0 comments', 'an empty discussion was created for the page');

  // The frame cannot keep a cookie: what it sets is not sent back.
  await frame.evaluate(() => { document.cookie = 'probe=1; Path=/; SameSite=None; Secure'; document.cookie = 'probe2=1; Path=/'; });
  check(!(await frame.evaluate(() => document.cookie)).includes('probe'), 'a cookie set inside the frame is not kept');
  await frame.evaluate(() => location.reload());
  await page.waitForTimeout(300);
  const frame2 = await (await page.waitForSelector('iframe[title="Discussion"]')).contentFrame();
  await frame2.waitForSelector('#comment-count');
  check(toTribune.every((r) => !(r.headers.cookie || '').includes('probe')), 'no request to Tribune carried the frame\'s cookie');

  // Sized to its content by postMessage.
  const heightBefore = (await frameElement.boundingBox()).height;
  await frame2.fill('#comment-name', 'Blog Reader');
  await frame2.fill('#comment-body', 'Posted from the static blog.');
  await frame2.click('#comment-form button[type="submit"]');
  await frame2.waitForSelector('text=Posted from the static blog.');
  const frame3 = await (await page.$('iframe[title="Discussion"]')).contentFrame();
  await frame3.waitForSelector('#comment-count');
  check((await frame3.textContent('#comment-count')).trim() === '1 comment', 'the count says 1 comment after posting');
  await page.waitForFunction((h) => document.querySelector('iframe').getBoundingClientRect().height > h, heightBefore, { timeout: 5000 });
  check(true, 'the frame grew with its content');

  await frame3.click('button[data-reply]');
  await frame3.fill('#comment-name', 'Second Reader');
  await frame3.fill('#comment-body', 'A reply inside the frame.');
  await frame3.click('#comment-form button[type="submit"]');
  await frame3.waitForSelector('text=A reply inside the frame.');
  const frame4 = await (await page.$('iframe[title="Discussion"]')).contentFrame();
  await frame4.waitForSelector('#comment-count');
  check((await frame4.textContent('#comment-count')).trim() === '2 comments', 'the count says 2 comments after the reply');
  check(await frame4.locator('.comment[data-parent]').count() === 1, 'the reply hangs under its parent');
  check(toTribune.every((r) => !r.headers.cookie), 'no request to Tribune carried any cookie');

  // Screenshots of the embedding page, the frame at its height.
  if (shots) {
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      await page.waitForTimeout(400);
      await page.screenshot({ path: join(shots, `embed-${width}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  // axe-core on the frame's document (evaluated past its policy, as a tester may).
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    const f = await (await page.$('iframe[title="Discussion"]')).contentFrame();
    const { violations } = await f.evaluate(`${axe}\n;axe.run(document, { resultTypes: ['violations'] })`);
    for (const v of violations) console.log(`frame at ${width} px: ${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`);
    check(violations.length === 0, `axe-core on the frame at ${width} px: ${violations.length} violations`);
    const scrollWidth = await f.evaluate(() => document.documentElement.scrollWidth);
    const clientWidth = await f.evaluate(() => document.documentElement.clientWidth);
    check(scrollWidth <= clientWidth, `the frame does not scroll sideways at ${width} px`);
  }

  // The embed's weight: a first visit (a fresh browser, nothing cached) to a page with a
  // discussion of 20 comments. Requests of the cross-site frame are counted too.
  const cold = await chromium.launch({ executablePath: process.env.TRIBUNE_CHROMIUM, args: ['--no-sandbox'] });
  try {
    const coldContext = await cold.newContext({ viewport: { width: 1280, height: 900 } });
    const done = [];
    coldContext.on('requestfinished', async (r) => {
      if (r.url().startsWith(tribune)) done.push(r.sizes().then((s) => ({ url: r.url(), ...s })));
    });
    const fresh = await coldContext.newPage();
    await fresh.goto(`${blog}/busy.html`);
    const busy = await (await fresh.waitForSelector('iframe[title="Discussion"]')).contentFrame();
    await busy.waitForSelector('#comment-count');
    await fresh.waitForLoadState('networkidle');
    await fresh.waitForTimeout(500);
    check((await busy.textContent('#comment-count')).trim() === '20 comments', 'the busy page shows its 20 comments');
    let body = 0;
    let wire = 0;
    const all = await Promise.all(done);
    for (const s of all) {
      const path = new URL(s.url).pathname;
      console.log(`figure: ${path}: ${s.responseBodySize} bytes of body, ${s.responseBodySize + s.responseHeadersSize} with headers`);
      body += s.responseBodySize;
      wire += s.responseBodySize + s.responseHeadersSize;
    }
    console.log(`figure: ${all.length} requests to Tribune, ${body} bytes of body, ${wire} with headers`);
  } finally {
    await cold.close();
  }
} catch (e) {
  console.error(e);
  failed = true;
} finally {
  clearTimeout(timer);
  await context.close();
}
process.exit(failed ? 1 : 0);
