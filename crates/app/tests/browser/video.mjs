// Click-to-load videos in headless Chromium: before the click no request leaves for the
// video's host (or any other site), the Play button is there and, without JavaScript, a
// plain link; after the click the player's iframe appears and only then is its host asked
// (every request off this site is aborted here: the test never reaches the internet).
// Footnote links go to their note and back. With TRIBUNE_SHOTS set, screenshots (390 and
// 1280 px) go there. Usage: node video.mjs BASE_URL ARTICLE_SLUG
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.TRIBUNE_PLAYWRIGHT_DIR);
const [base, slug] = process.argv.slice(2);
const shots = process.env.TRIBUNE_SHOTS;
const origin = new URL(base).origin;

const browser = await chromium.launch({ executablePath: process.env.TRIBUNE_CHROMIUM, args: ['--no-sandbox'] });
const timer = setTimeout(() => { console.error('video: over 120 s'); process.exit(2); }, 120_000);
let failed = 0;
const check = (ok, what) => {
  console.log(`${ok ? 'ok' : 'FAILED'}: ${what}`);
  if (!ok) failed++;
};
try {
  for (const width of [390, 1280]) {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    const elsewhere = [];
    let clicked = false;
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin) return route.continue();
      elsewhere.push({ url, clicked });
      return route.abort();
    });
    const page = await context.newPage();
    const res = await page.goto(`${base}/articles/${slug}`);
    await page.waitForLoadState('networkidle');
    const csp = res.headers()['content-security-policy'] || '';
    check(csp.includes('frame-src https://www.youtube-nocookie.com https://player.vimeo.com;'), `CSP frames only the players (${csp})`);
    const button = page.getByRole('button', { name: 'Play video from youtube.com' });
    check(await button.isVisible(), `${width} px: the Play button is shown`);
    check((await page.locator('iframe').count()) === 0, `${width} px: no iframe before the click`);
    check(elsewhere.length === 0, `${width} px: no request off the site before the click (${elsewhere.map((e) => e.url).join(', ')})`);
    if (shots) await page.screenshot({ path: `${shots}/article-${width}.png`, fullPage: true });

    // The first note's number goes to the note, and its ↩ back.
    const ref = page.locator('sup.footnote-ref a').first();
    const target = await ref.getAttribute('href');
    await ref.click();
    check(await page.evaluate((t) => location.hash === t, target), `${width} px: a note's number leads to ${target}`);
    const back = page.locator(`${target.replace(/^#/, '#')} a.footnote-back`).first();
    check((await back.getAttribute('aria-label') || '').startsWith('Back to reference'), `${width} px: ↩ says where it goes`);

    clicked = true;
    await button.click();
    const frame = page.locator('figure.video iframe');
    await frame.waitFor({ timeout: 10_000 });
    check((await frame.getAttribute('src')).startsWith('https://www.youtube-nocookie.com/embed/'), `${width} px: the iframe frames the cookieless player`);
    check(!!(await frame.getAttribute('title')), `${width} px: the iframe has a title`);
    // The route handler records the request after Playwright reports it: wait for the record.
    const player = () => elsewhere.some((e) => e.clicked && e.url.startsWith('https://www.youtube-nocookie.com/'));
    for (let waited = 0; !player() && waited < 15_000; waited += 100) await page.waitForTimeout(100);
    check(elsewhere.some((e) => e.clicked && e.url.startsWith('https://www.youtube-nocookie.com/')), `${width} px: the player is asked for after the click`);
    check(elsewhere.every((e) => e.clicked), `${width} px: nothing went off the site before the click`);
    await context.close();
  }

  // Without JavaScript: no button to press, a plain link to the video.
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${base}/articles/${slug}`);
  check(!(await page.locator('button.video-play').isVisible()), 'without JavaScript: no dead button');
  const link = page.locator('figure.video figcaption a').first();
  check((await link.getAttribute('href')).startsWith('https://www.youtube.com/watch?v='), 'without JavaScript: a link to the video');
  await context.close();
} finally {
  clearTimeout(timer);
  await browser.close();
}
console.log(`video: ${failed} problems`);
process.exit(failed ? 1 : 0);
