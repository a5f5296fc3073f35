// The threaded discussion in a real headless Chromium, driven by npm's playwright-core:
// once with JavaScript off (plain forms, redirects, the reply page) and once with it on
// (comments.js posts by fetch and puts the server's fragment in place, without a reload).
//
//   node comments.mjs BASE_URL SLUG BUSY_SLUG
//
// BUSY_SLUG is an article with more top-level threads than one page shows: its "More
// comments" link is followed without JavaScript and loaded in place with it.
//
// TRIBUNE_PLAYWRIGHT_DIR: the playwright-core package directory (scripts/test.sh installs
// it into .tools/node_modules/playwright-core); TRIBUNE_CHROMIUM: the browser to run
// (default /usr/bin/chromium, Debian's; playwright never downloads one here).
// Prints each check as it passes; exits 1 with the reason on the first failure.

import { createRequire } from "node:module";

let step = "";
let currentPage = null;

const [base, slug, busySlug] = process.argv.slice(2);
if (!base || !slug || !busySlug) fail("usage: node comments.mjs BASE_URL SLUG BUSY_SLUG");
const playwrightDir = process.env.TRIBUNE_PLAYWRIGHT_DIR;
if (!playwrightDir) fail("TRIBUNE_PLAYWRIGHT_DIR is not set (the playwright-core package directory)");
const executablePath = process.env.TRIBUNE_CHROMIUM || "/usr/bin/chromium";

// An ES module ignores NODE_PATH, so the package is loaded from where it was installed.
let chromium;
try {
  ({ chromium } = createRequire(import.meta.url)(playwrightDir));
} catch (e) {
  fail(`cannot load playwright-core from ${playwrightDir}: ${e.message}`);
}

const articleUrl = `${base}/articles/${slug}`;
const STEP_TIMEOUT_MS = 15_000;
// The whole run is bounded, so a hung browser fails the test instead of stalling it.
const watchdog = setTimeout(() => fail("the browser run took longer than 120 s"), 120_000);

function fail(message) {
  console.error(`FAIL${step ? ` (${step})` : ""}: ${message}`);
  process.exit(1);
}

function check(condition, what, detail = "") {
  if (!condition) throw new Error(`${what}${detail ? `: ${detail}` : ""}`);
  console.log(`ok: ${what}`);
}

// The comments of the thread, in document order, as the page shows them.
async function threadOf(page) {
  return page.locator("#thread > article.comment").evaluateAll((nodes) =>
    nodes.map((n) => ({
      id: n.dataset.id,
      parent: n.dataset.parent || null,
      depth: n.dataset.depth,
      classes: n.className,
      body: (n.querySelector(".comment-body")?.textContent || "").trim(),
    })),
  );
}

const describe = (thread) => JSON.stringify(thread);
const hasClass = (comment, name) => comment.classes.split(/\s+/).includes(name);

// Checks that `child` comes right after `parent` in the thread, one level deeper.
async function checkReplyPlacement(page, parentId, childId, how) {
  const thread = await threadOf(page);
  const at = thread.findIndex((c) => c.id === parentId);
  const reply = thread[at + 1];
  const placed = at >= 0 && reply && reply.id === childId;
  check(placed, `${how}: the reply comes right after its parent`, describe(thread));
  check(reply.parent === parentId, `${how}: the reply's data-parent is its parent`, describe(thread));
  check(reply.depth === "1", `${how}: the reply has data-depth 1`, describe(thread));
  check(hasClass(reply, "indent-1"), `${how}: the reply is indented (indent-1)`, reply.classes);
}

function idFromUrl(url, what) {
  const match = /^[^#]*\/articles\/([^/?#]+)[^#]*#comment-(\d+)$/.exec(url);
  if (!match || match[1] !== slug) throw new Error(`${what}: expected ${articleUrl}#comment-ID, got ${url}`);
  return match[2];
}

async function withoutJavaScript(browser) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  const page = (currentPage = await context.newPage());

  step = "no JS: post a comment";
  await page.goto(articleUrl);
  await page.fill("#comment-name", "Nora NoScript");
  await page.fill("#comment-body", "Posted by a plain form.");
  // The form posts, the server answers 303 to the permalink, which sends on to the article.
  await Promise.all([page.waitForURL(/#comment-\d+$/), page.click("#comment-form button[type=submit]")]);
  const first = idFromUrl(page.url(), "after posting");
  check(true, `no JS: posting redirected to the article at #comment-${first}`);
  const posted = page.locator(`#comment-${first}`);
  check(
    (await posted.locator(".comment-body").textContent()).includes("Posted by a plain form."),
    "no JS: the comment is on the page with its text",
  );
  check((await posted.getAttribute("data-parent")) === null, "no JS: the comment is top-level");

  step = "no JS: reply through the reply page";
  await Promise.all([
    page.waitForURL(`${base}/comments/${first}/reply`),
    page.click(`#comment-${first} a.reply`),
  ]);
  check(true, `no JS: Reply opened the page /comments/${first}/reply`);
  check(
    (await page.locator("form.comment-form input[name=parent_id]").inputValue()) === first,
    "no JS: the reply page's form answers the comment (parent_id)",
  );
  await page.fill("#comment-name", "Otto Offline");
  await page.fill("#comment-body", "A reply by a plain form.");
  await Promise.all([page.waitForURL(/#comment-\d+$/), page.click("form.comment-form button[type=submit]")]);
  const reply = idFromUrl(page.url(), "after replying");
  check(reply !== first, `no JS: replying redirected to the article at #comment-${reply}`);
  const replyText = await page.locator(`#comment-${reply} .comment-body`).textContent();
  check(replyText.includes("A reply by a plain form."), "no JS: the reply is on the article page with its text");
  await checkReplyPlacement(page, first, reply, "no JS");
  await context.close();
  return { first, reply };
}

async function withJavaScript(browser) {
  const context = await browser.newContext();
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  const page = (currentPage = await context.newPage());
  const scriptErrors = [];
  page.on("pageerror", (e) => scriptErrors.push(e.message));
  let navigations = 0;
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) navigations += 1;
  });
  // Both together show that nothing reloaded: no main-frame navigation, and the marker
  // set on this very document is still there.
  const stillSamePage = async (how) => {
    check(navigations === 1, `${how}: no navigation happened`, `${navigations - 1} navigation(s)`);
    check(await page.evaluate(() => window.__noReload === true), `${how}: the page was not reloaded`);
    check(scriptErrors.length === 0, `${how}: no script errors`, scriptErrors.join("; "));
  };
  const postResponse = () =>
    page.waitForResponse((r) => r.request().method() === "POST" && r.url() === `${articleUrl}/comments`);

  step = "JS: post a comment in place";
  await page.goto(articleUrl);
  await page.evaluate(() => {
    window.__noReload = true;
  });
  const before = (await threadOf(page)).length;
  await page.fill("#comment-name", "Jules Script");
  await page.fill("#comment-body", "Posted by fetch.");
  const [posted] = await Promise.all([postResponse(), page.click("#comment-form button[type=submit]")]);
  // Without the script the server would answer 303 and the browser would navigate.
  const status = posted.status();
  check(status === 201, "JS: the form was posted by the script (201 with a fragment)", `status ${status}`);
  const added = page.locator("#thread > article.comment", { hasText: "Posted by fetch." });
  await added.waitFor();
  const first = await added.getAttribute("data-id");
  const thread = await threadOf(page);
  check(
    thread.length === before + 1 && thread[thread.length - 1].id === first,
    `JS: comment ${first} was added at the end of #thread`,
    describe(thread),
  );
  check(hasClass(thread[thread.length - 1], "indent-0"), "JS: the comment is top-level (indent-0)");
  check((await page.inputValue("#comment-body")) === "", "JS: the form was emptied for the next comment");
  await stillSamePage("JS, after posting");

  step = "JS: reply in place";
  await page.click(`#comment-${first} a.reply`);
  const form = page.locator(`#comment-${first} + form.reply-form`);
  await form.waitFor();
  check(true, "JS: Reply opened a form right under the comment");
  check(
    (await form.locator("button[type=submit]").textContent()).trim() === "Post reply",
    "JS: the reply form's button says Post reply",
  );
  const parentField = await form.locator("input[name=parent_id]").inputValue();
  check(parentField === first, "JS: the reply form answers the comment (parent_id)", parentField);
  await form.locator("[name=author_name]").fill("Rita Reply");
  await form.locator("[name=body]").fill("A reply by fetch.");
  const [replied] = await Promise.all([postResponse(), form.locator("button[type=submit]").click()]);
  check(replied.status() === 201, "JS: the reply was posted by the script (201)", `status ${replied.status()}`);
  const replyNode = page.locator("#thread > article.comment", { hasText: "A reply by fetch." });
  await replyNode.waitFor();
  const reply = await replyNode.getAttribute("data-id");
  await checkReplyPlacement(page, first, reply, "JS, in place");
  check((await page.locator("form.reply-form").count()) === 0, "JS: the reply form is gone once it posted");
  await stillSamePage("JS, after replying");

  // A second reply to the same comment goes after the first one (and its open form is
  // no obstacle): replies keep the oldest-first order the server shows.
  step = "JS: a second reply to the same comment";
  await page.click(`#comment-${first} a.reply`);
  const again = page.locator(`#comment-${first} + form.reply-form`);
  await again.waitFor();
  await again.locator("[name=author_name]").fill("Sam Second");
  await again.locator("[name=body]").fill("Another reply by fetch.");
  const [second] = await Promise.all([postResponse(), again.locator("button[type=submit]").click()]);
  check(second.status() === 201, "JS: the second reply was posted by the script (201)");
  const secondNode = page.locator("#thread > article.comment", { hasText: "Another reply by fetch." });
  await secondNode.waitFor();
  const secondId = await secondNode.getAttribute("data-id");
  const order = (await threadOf(page)).map((c) => c.id);
  check(
    order.indexOf(first) < order.indexOf(reply) && order.indexOf(reply) < order.indexOf(secondId),
    "JS: the second reply comes after the first",
    order.join(","),
  );
  check(
    (await page.textContent("#comments-heading")).trim().startsWith(`${order.length} comment`),
    "JS: the heading counts the new comments",
  );
  await stillSamePage("JS, after the second reply");

  // What the script put in place must be what the server renders for everyone.
  step = "JS: the page as the server renders it";
  await page.reload();
  await checkReplyPlacement(page, first, reply, "JS, after a reload");
  await context.close();
  return { first, reply };
}

// "More comments": a plain link without JavaScript, the next threads in place with it.
async function moreComments(browser) {
  const busyUrl = `${base}/articles/${busySlug}`;
  for (const javaScriptEnabled of [false, true]) {
    const how = javaScriptEnabled ? "JS" : "no JS";
    step = `${how}: more comments`;
    const context = await browser.newContext({ javaScriptEnabled });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const page = (currentPage = await context.newPage());
    await page.goto(busyUrl);
    const firstPage = (await threadOf(page)).map((c) => c.id);
    check(firstPage.length > 0, `${how}: the first page shows ${firstPage.length} comments`);
    const more = page.locator(".more-comments a");
    check((await more.count()) === 1, `${how}: there is a More comments link`);
    if (javaScriptEnabled) {
      await page.evaluate(() => {
        window.__noReload = true;
      });
      await more.click();
      await page.waitForFunction((n) => document.querySelectorAll("#thread > article.comment").length > n, firstPage.length);
      const grown = (await threadOf(page)).map((c) => c.id);
      check(
        grown.slice(0, firstPage.length).join() === firstPage.join() && grown.length > firstPage.length,
        `${how}: the next threads were added below the first ones (${grown.length} comments now)`,
      );
      check(await page.evaluate(() => window.__noReload === true), `${how}: without a reload`);
      check(new Set(grown).size === grown.length, `${how}: no comment shown twice`);
    } else {
      await Promise.all([page.waitForURL(/after=/), more.click()]);
      const next = (await threadOf(page)).map((c) => c.id);
      check(next.length > 0 && !next.some((id) => firstPage.includes(id)), `${how}: the link opens the next threads`);
    }
    await context.close();
  }
}

// "More replies": a plain link to a page of the rest without JavaScript, the rest in
// place with it.
async function moreReplies(browser) {
  const busyUrl = `${base}/articles/${busySlug}`;
  for (const javaScriptEnabled of [false, true]) {
    const how = javaScriptEnabled ? "JS" : "no JS";
    step = `${how}: more replies`;
    const context = await browser.newContext({ javaScriptEnabled });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const page = (currentPage = await context.newPage());
    await page.goto(busyUrl);
    const before = await threadOf(page);
    const top = before[0].id;
    const replies = () => before.filter((c) => c.parent === top).map((c) => c.id);
    check(replies().length === 10, `${how}: the first thread shows its first ten replies`);
    const more = page.locator("#thread .more-replies a");
    check((await more.count()) === 1, `${how}: there is a More replies link`);
    if (javaScriptEnabled) {
      await page.evaluate(() => {
        window.__noReload = true;
      });
      await more.click();
      await page.waitForFunction((n) => document.querySelectorAll("#thread > article.comment").length > n, before.length);
      const after = await threadOf(page);
      const added = after.filter((c) => c.parent === top);
      const last = after.findIndex((c) => c.id === added[added.length - 1].id);
      check(added.length === 15, `${how}: all fifteen replies are shown now`, describe(added));
      check(after[last + 1]?.parent !== top && after[last + 1]?.depth === "0", `${how}: in place, before the next thread`);
      check(await page.evaluate(() => window.__noReload === true), `${how}: without a reload`);
      check((await more.count()) === 0, `${how}: no more link once all are shown`);
    } else {
      await Promise.all([page.waitForURL(/\/replies/), more.click()]);
      const rest = await threadOf(page);
      check(
        rest.length === 5 && rest.every((c) => c.parent === top && !replies().includes(c.id)),
        `${how}: the link opens a page of the other five replies`,
        describe(rest),
      );
    }
    await context.close();
  }
}

let browser;
try {
  browser = await chromium.launch({
    executablePath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
} catch (e) {
  fail(`cannot launch ${executablePath}: ${e.message}`);
}
try {
  console.log(`browser: ${executablePath} ${browser.version()}, site: ${articleUrl}`);
  const plain = await withoutJavaScript(browser);
  const enhanced = await withJavaScript(browser);
  await moreComments(browser);
  await moreReplies(browser);
  // The Rust side checks the store against this line.
  console.log(`posted: ${JSON.stringify({ plain, enhanced })}`);
} catch (e) {
  let thread = "";
  try {
    if (currentPage && !currentPage.isClosed()) {
      thread = `\npage ${currentPage.url()}, thread: ${describe(await threadOf(currentPage))}`;
    }
  } catch {
    // The page may be gone; the error itself says enough.
  }
  await browser.close().catch(() => {});
  fail(`${e.message.split("\n")[0]}${thread}`);
}
await browser.close();
clearTimeout(watchdog);
console.log("all browser checks passed");
