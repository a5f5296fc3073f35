#!/usr/bin/env python3
"""Writes a Disqus export for the import benchmark (bench/import.sh), as Disqus lays it out:
a category, all the threads, then all the posts. Python 3's standard library only; the file
is written as it is made (only a few numbers per post are kept), and the same --seed gives
the same bytes.

What it holds, by default 1,000,000 posts in 10,000 threads:
- thread sizes skewed like a real site's (Zipf, s = 1.2, none over 3 % of the posts): a
  few threads with 10,000+ comments, most with a handful;
- replies: ~45 % of posts at the top, most replies at depth 1 to 3, and a few long chains
  of replies to replies (to depth 30 and more);
- 2 % deleted posts (some of them with replies), 3 % spam;
- non-ASCII text in a share of bodies and names (accents, Cyrillic, Arabic, CJK, emoji);
- bodies of HTML (<p>, <a href>, <i>, <b>, <br>), mostly in CDATA, some entity-encoded;
  a median of ~250 bytes, a long tail to ~5 kB;
- some replies before their parents in the file (posts shuffled within small windows; the
  dates stay in the order the posts were written).

Statistics go to stderr at the end (and to --stats FILE as key=value lines).
"""

import argparse
import math
import os
import random
import sys
import time
from datetime import datetime, timezone

WORDS = (
    "the of and to a in that is was he for it with as his on be at by i this had not are but "
    "from or have an they which one you were her all she there would their we him been has "
    "when who will more no if out so said what up its about into than them can only other new "
    "some could time these two may then do first any my now such like our over man me even most "
    "made after also did many before must through back years where much your way well down "
    "should because each just those people mr how too little state good very make world still "
    "own see men work long get here between both life being under never day same another know "
    "while last might us great old year off come since against go came right used take three "
    "council budget school election mayor road bridge vote article story reporter police "
    "weather river park market housing rent tax plan city county court judge report source "
    "agree disagree honestly actually exactly nonsense thanks interesting point comment read"
).split()

# A share of bodies and names are written in another script, or with accents or emoji.
ACCENTED = "café résumé naïve façade déjà über straße señor niño crème brûlée ça où été garçon élève Zürich São Paulo".split()
CYRILLIC = "привет мир это статья город совет выборы новости читатель комментарий правда спасибо".split()
ARABIC = "مرحبا بالعالم هذا المقال المدينة الانتخابات الأخبار القارئ شكرا جزيلا".split()
CJK = "你好 世界 这是 文章 城市 新闻 读者 评论 谢谢 日本語 ニュース 記事 한국어 뉴스".split()
EMOJI = ["😀", "👍", "🎉", "🔥", "🤔", "❤️", "😂", "🙄", "🇫🇷", "👩‍👩‍👧"]

FIRST = "John Mary Daniel Sarah Ahmed Fatima Wei Yuki Olga Ivan José María François Zoë Chloé Jürgen Søren Ana Li Omar Priya Raj Emma Liam Noah Mia".split()
LAST = "Smith Castro Müller Dubois Петров Иванова 王 李 佐藤 الحسن Kowalski Nguyen García Ødegaard O'Brien Brown Jones Silva Rossi Dupont".split()
DOMAINS = ["example.com", "example.org", "mail.example.net", "old-news.example"]

SPAM = (
    "buy cheap replica watches now best price casino bonus free spins click here earn money "
    "from home work online loans crypto investment guaranteed profit pills discount"
).split()

HREFS = [
    "https://www.example.com/",
    "https://en.wikipedia.org/wiki/Local_government",
    "http://old-news.example/2014/05/council-vote/",
    "https://www.example.org/report?id=42&amp;page=2",
]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--posts", type=int, default=1_000_000)
    p.add_argument("--threads", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default="disqus.xml", help="the file to write (written as OUT.partial, then renamed)")
    p.add_argument("--base", default="https://www.old-news.example/", help="the threads' link prefix")
    p.add_argument("--stats", help="also write the statistics to this file, one key=value a line")
    a = p.parse_args()
    if a.threads < 1 or a.posts < 0:
        p.error("--threads must be at least 1 and --posts at least 0")
    return a


def thread_sizes(rng, posts, threads):
    """Exact sizes summing to `posts`, Zipf-like (s = 1.1) over ranks shuffled among the
    threads, every thread with at least one post when there are enough posts."""
    weights = [1.0 / (k + 1) ** 1.2 for k in range(threads)]
    floor = 1 if posts >= threads else 0
    spare = posts - floor * threads
    # No thread over 3 % of the posts (30,000 of a million): the biggest discussions of a
    # big news site, not one that is a sixth of the whole site.
    cap = max(1.0, 0.03 * posts - floor)
    raw = [0.0] * threads
    free = list(range(threads))
    capped = 0.0
    while free:
        total = sum(weights[k] for k in free)
        budget = spare - capped
        over = [k for k in free if weights[k] / total * budget > cap]
        if not over:
            for k in free:
                raw[k] = weights[k] / total * budget
            break
        for k in over:
            raw[k] = cap
            capped += cap
        over = set(over)
        free = [k for k in free if k not in over]
    sizes = [floor + int(r) for r in raw]
    # Largest remainders get the posts left over.
    left = posts - sum(sizes)
    by_remainder = sorted(range(threads), key=lambda k: raw[k] - int(raw[k]), reverse=True)
    for k in by_remainder[:left]:
        sizes[k] += 1
    rng.shuffle(sizes)
    return sizes


def iso(ts):
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Text:
    """Random words of one script or another, and HTML bodies made of them."""

    def __init__(self, rng):
        self.rng = rng

    def words(self, n):
        rng = self.rng
        r = rng.random()
        if r < 0.15:
            pool = WORDS + ACCENTED
        elif r < 0.20:
            pool = CYRILLIC
        elif r < 0.23:
            pool = ARABIC
        elif r < 0.26:
            pool = CJK
        else:
            pool = WORDS
        out = rng.choices(pool, k=n)
        if rng.random() < 0.06:
            out.insert(rng.randrange(len(out) + 1), rng.choice(EMOJI))
        return out

    def body(self, target_bytes, spam=False):
        """HTML of about `target_bytes` bytes: paragraphs, sometimes a link, emphasis or a
        line break."""
        rng = self.rng
        paragraphs = []
        size = 0
        while size < target_bytes:
            n = max(3, min(60, int((target_bytes - size) / 6) + 1))
            words = rng.choices(SPAM, k=n) if spam else self.words(n)
            r = rng.random()
            if spam or r < 0.08:
                i = rng.randrange(len(words))
                words[i] = f'<a href="{rng.choice(HREFS)}" rel="nofollow noopener">{words[i]}</a>'
            elif r < 0.16:
                i = rng.randrange(len(words))
                words[i] = f"<i>{words[i]}</i>"
            elif r < 0.22:
                i = rng.randrange(len(words))
                words[i] = f"<b>{words[i]}</b>"
            elif r < 0.27 and len(words) > 4:
                i = rng.randrange(1, len(words))
                words[i] = "<br>" + words[i]
            text = " ".join(words)
            text = text[0].upper() + text[1:] + "."
            paragraphs.append(f"<p>{text}</p>")
            size += len(paragraphs[-1].encode())
        return "".join(paragraphs)


def main():
    args = parse_args()
    rng = random.Random(args.seed)
    text = Text(rng)
    started = time.time()

    sizes = thread_sizes(rng, args.posts, args.threads)
    # The order posts were written in: a thread's turn comes as often as its size says.
    turns = [t for t, n in enumerate(sizes) for _ in range(n)]
    rng.shuffle(turns)

    names = []
    for _ in range(2000):
        r = rng.random()
        if r < 0.05:
            names.append("")  # an author without a name: the importer says "Anonymous"
        else:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            if r < 0.08:
                name = rng.choice(EMOJI) + " " + name
            names.append(name)
    emails = []
    for i, name in enumerate(names):
        if rng.random() < 0.1:
            emails.append("")
        else:
            ascii_part = "".join(c for c in name.lower() if c.isascii() and c.isalnum()) or "reader"
            emails.append(f"{ascii_part}{i}@{rng.choice(DOMAINS)}")

    thread_id = lambda t: 1_500_000_000 + 13 * t  # noqa: E731
    post_id = lambda p: 3_000_000_000 + 7 * p  # noqa: E731
    start = 1_325_376_000  # 2012-01-01
    span = 12 * 365 * 86400
    step = max(1, span // max(1, args.posts))
    threads_start = start - 30 * 86400

    out_path = args.out + ".partial"
    out = open(out_path, "w", encoding="utf-8", buffering=1 << 20)
    w = out.write
    w('<?xml version="1.0" encoding="utf-8"?>\n')
    w(
        '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://disqus.com/api/schemas/1.0/disqus.xsd '
        'http://disqus.com/api/schemas/1.0/disqus-internals.xsd">\n'
    )
    w(
        '<category dsq:id="101"><forum>old-news</forum><title>General</title>'
        "<isDefault>true</isDefault></category>\n"
    )
    base = args.base if args.base.endswith("/") else args.base + "/"
    for t in range(args.threads):
        created = threads_start + t * max(1, (30 * 86400) // args.threads)
        d = datetime.fromtimestamp(created, timezone.utc)
        title_words = text.words(rng.randint(3, 9))
        title = " ".join(title_words).capitalize()
        slug = "-".join(WORDS[(t * 7 + j) % len(WORDS)] for j in range(3))
        link = f"{base}{d.year}/{d.month:02d}/{slug}-{t}/"
        closed = "true" if rng.random() < 0.05 else "false"
        w(
            f'<thread dsq:id="{thread_id(t)}">\n<id>{t}</id>\n<forum>old-news</forum>\n'
            f'<category dsq:id="101" />\n<link>{escape(link)}</link>\n<title>{escape(title)}</title>\n'
            f"<message />\n<createdAt>{iso(created)}</createdAt>\n"
            f"<author><name>Old News</name><isAnonymous>false</isAnonymous><username>oldnews</username></author>\n"
            f"<ipAddress>127.0.0.1</ipAddress>\n<isClosed>{closed}</isClosed>\n<isDeleted>false</isDeleted>\n"
            "</thread>\n"
        )

    # Per thread: the posts that can be answered, by depth (0, 1, 2), and the latest few.
    pools = [None] * args.threads
    recent = [None] * args.threads
    # Long chains: a few threads, chosen as posts come (so mostly the big ones), answer the
    # chain's last post again and again.
    chains_wanted = max(3, args.posts // 20_000)
    chain_every = max(1, args.posts // chains_wanted)
    chain = {}  # thread -> [tip id, tip depth, posts left]
    deleted_ids = set()
    stats = dict(
        posts=args.posts, threads=args.threads, seed=args.seed, top=0, deleted=0, spam=0, cdata=0, entities=0,
        non_ascii_bodies=0, deleted_with_replies=0, replies_before_parent=0, max_depth=0, chains=0,
        biggest_thread=max(sizes) if sizes else 0, threads_over_10k=sum(1 for s in sizes if s >= 10_000),
        threads_under_5=sum(1 for s in sizes if s < 5),
    )
    depth_counts = {}
    replied_deleted = set()

    window = []
    WINDOW = 40
    now = start

    def flush():
        rng.shuffle(window)
        where = {pid: i for i, (pid, _, _) in enumerate(window)}
        for i, (pid, parent, xml) in enumerate(window):
            if parent is not None and where.get(parent, -1) > i:
                stats["replies_before_parent"] += 1
            w(xml)
        window.clear()

    for p, t in enumerate(turns):
        pid = post_id(p)
        now += rng.randint(1, 2 * step - 1) if step > 1 else 1
        if pools[t] is None:
            pools[t] = ([], [], [])
            recent[t] = []
        pool, last = pools[t], recent[t]
        parent = None
        depth = 0
        if p % chain_every == chain_every // 2 and t not in chain and pool[0]:
            chain[t] = [rng.choice(pool[0]), 0, rng.randint(30, 60)]
            stats["chains"] += 1
        c = chain.get(t)
        if c is not None and rng.random() < 0.85:
            parent, depth = c[0], c[1] + 1
            c[0], c[1], c[2] = pid, depth, c[2] - 1
            if c[2] <= 0:
                del chain[t]
        elif pool[0] and rng.random() >= 0.45:
            cand = None
            if last and rng.random() < 0.6:
                cand = rng.choice(last)
                if cand[1] > 2:
                    cand = None
            if cand is None:
                r = rng.random()
                d = 0 if r < 0.6 or not pool[1] else (1 if r < 0.88 or not pool[2] else 2)
                cand = (rng.choice(pool[d]), d)
            parent, depth = cand[0], cand[1] + 1
        spam = rng.random() < 0.03
        deleted = not spam and rng.random() < 0.02
        if parent is not None and parent in deleted_ids and parent not in replied_deleted:
            replied_deleted.add(parent)
        if not spam:
            if depth <= 2:
                pool[depth].append(pid)
            last.append((pid, depth))
            if len(last) > 12:
                del last[0]
        if deleted:
            deleted_ids.add(pid)
            stats["deleted"] += 1
        stats["spam"] += spam
        stats["top"] += parent is None
        depth_counts[depth] = depth_counts.get(depth, 0) + 1
        if depth > stats["max_depth"]:
            stats["max_depth"] = depth

        target = min(5120, max(20, int(rng.lognormvariate(math.log(215), 0.85))))
        body = text.body(target, spam=spam)
        if not body.isascii():
            stats["non_ascii_bodies"] += 1
        if rng.random() < 0.85:
            message = f"<![CDATA[{body}]]>"
            stats["cdata"] += 1
        else:
            message = escape(body)
            stats["entities"] += 1
        a = rng.randrange(len(names))
        email = f"<email>{escape(emails[a])}</email>" if emails[a] else ""
        parent_xml = f'<parent dsq:id="{parent}" />\n' if parent is not None else ""
        window.append(
            (
                pid,
                parent,
                f'<post dsq:id="{pid}">\n<id />\n<message>{message}</message>\n'
                f"<createdAt>{iso(now)}</createdAt>\n"
                f"<isDeleted>{'true' if deleted else 'false'}</isDeleted>\n"
                f"<isSpam>{'true' if spam else 'false'}</isSpam>\n"
                f"<author>{email}<name>{escape(names[a])}</name><isAnonymous>{'true' if not email else 'false'}"
                f"</isAnonymous></author>\n<ipAddress>10.0.{a % 256}.{p % 256}</ipAddress>\n"
                f'<thread dsq:id="{thread_id(t)}" />\n{parent_xml}</post>\n',
            )
        )
        if len(window) >= WINDOW:
            flush()
    flush()
    w("</disqus>\n")
    out.close()
    os.replace(out_path, args.out)

    stats["deleted_with_replies"] = len(replied_deleted)
    stats["depth_1_to_3"] = sum(n for d, n in depth_counts.items() if 1 <= d <= 3)
    stats["depth_over_3"] = sum(n for d, n in depth_counts.items() if d > 3)
    stats["bytes"] = os.path.getsize(args.out)
    stats["seconds"] = round(time.time() - started, 1)
    lines = [f"{k}={v}" for k, v in stats.items()]
    if args.stats:
        with open(args.stats, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    print(" ".join(lines), file=sys.stderr)


if __name__ == "__main__":
    main()
