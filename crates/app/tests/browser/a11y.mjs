// axe-core on each page given, in headless Chromium, at 390 and 1280 px (and, at 390, no
// sideways scroll): prints every violation and exits 1 if there is any. Usage: node a11y.mjs BASE_URL COOKIE_HEADER PATH...
// (COOKIE_HEADER "" for a stranger). Needs TRIBUNE_PLAYWRIGHT_DIR, TRIBUNE_CHROMIUM, TRIBUNE_AXE.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.TRIBUNE_PLAYWRIGHT_DIR);
const axe = readFileSync(process.env.TRIBUNE_AXE, 'utf8');
const [base, cookie, ...paths] = process.argv.slice(2);

const browser = await chromium.launch({ executablePath: process.env.TRIBUNE_CHROMIUM, args: ['--no-sandbox'] });
const timer = setTimeout(() => { console.error('a11y: over 120 s'); process.exit(2); }, 120_000);
let failed = 0;
try {
  // The site's policy allows no inline script: axe is injected past it, as a tester may.
  const context = await browser.newContext({
    bypassCSP: true,
    extraHTTPHeaders: cookie ? { Cookie: cookie } : {},
  });
  for (const path of paths) {
    for (const width of [390, 1280]) {
      const page = await context.newPage();
      await page.setViewportSize({ width, height: 900 });
      // Every stylesheet, script and icon a page links to must answer (hashed names).
      const broken = [];
      page.on('response', (r) => {
        if (r.status() >= 400 && r.request().resourceType() !== 'document') broken.push(`${r.status()} ${r.url()}`);
      });
      const res = await page.goto(base + path);
      await page.waitForLoadState('load');
      for (const b of broken) {
        console.log(`${path}: a linked resource failed: ${b}`);
        failed++;
      }
      // Chromium asks for br and gzip: the front page and a stranger's article (its token
      // spliced into the brotli stream) come as brotli; a signed-in reader's article, made
      // for them, is gzipped on the fly. And Chromium decoded them (axe reads what it parsed).
      const encoding = res && res.headers()['content-encoding'];
      const article = cookie ? 'gzip' : 'br';
      const expected = path === '/' ? 'br' : path.startsWith('/articles/') ? article : encoding;
      if (encoding !== expected) {
        console.log(`${path}: sent as ${encoding || 'identity'}, not ${expected}`);
        failed++;
      }
      // Error pages are pages too (a 404 is checked on purpose); a 5xx is a broken test.
      if (!res || res.status() >= 500) {
        console.log(`${path}: HTTP ${res && res.status()}`);
        failed++;
      }
      // A phone must not scroll sideways: wide tables scroll inside their own box.
      if (width === 390) {
        const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
        if (scrollWidth > width) {
          console.log(`${path} at ${width} px: the page scrolls sideways (${scrollWidth} px wide)`);
          failed++;
        }
      }
      await page.addScriptTag({ content: axe });
      const { violations } = await page.evaluate(() => axe.run(document, { resultTypes: ['violations'] }));
      for (const v of violations) {
        console.log(`${path} at ${width} px: ${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`);
      }
      failed += violations.length;
      await page.close();
    }
  }
} finally {
  clearTimeout(timer);
  await browser.close();
}
console.log(`axe-core: ${paths.length} pages, ${failed} problems`);
process.exit(failed ? 1 : 0);
