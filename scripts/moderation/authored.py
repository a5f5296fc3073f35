"""Comments written for Tribune's labelled sets where the public data lacks a kind.

Each kind is built from hand-written fragments, combined deterministically (a seeded
random generator), so the sets can be rebuilt byte for byte. Released as CC0-1.0.

Kinds: profanity-free hate (abuse), comment spam as it appears under news articles
(spam), benign comments citing one ordinary link, heated but legitimate political
disagreement, ordinary reader comments, and benign debate about the very groups the hate
targets (so that naming a group is not what the model learns hate is).
"""

import random

GROUPS = [
    "immigrants", "Muslims", "Jews", "refugees", "Mexicans", "the Roma", "Africans", "Arabs",
    "Asians", "Chinese people", "gay people", "trans people", "Hindus", "Sikhs", "Catholics",
    "Somalis", "Haitians", "Pakistanis", "Turks", "Kurds", "Palestinians", "Israelis",
    "Ukrainians", "Russians", "Syrians", "Afghans", "Gypsies", "foreigners", "migrants",
    "Black people", "Nigerians", "Albanians", "Romanians", "Poles", "Filipinos", "Koreans",
    "the Irish", "atheists", "Christians", "asylum seekers", "women", "lesbians",
]

DEHUMANISING = [
    "are vermin", "are a disease", "are parasites", "are animals, not people", "are rats",
    "are subhuman", "are not really human", "are a plague on this land", "are cockroaches",
    "are an infestation", "are savages", "are a cancer on our society", "breed like insects",
    "are a lower form of life", "are filthy invaders", "are a poison in our blood",
    "are diseased beasts", "are locusts eating our country alive", "are genetically inferior",
    "have no souls", "are a virus that must be contained", "are less than dogs",
]

VIOLENCE = [
    "and should be wiped out", "and deserve to be exterminated", "and must be rounded up",
    "and need to be driven out by force", "and should be hanged in public",
    "and the only answer is to get rid of every last one", "and their homes should burn",
    "and we should cleanse our towns of them", "and should be put in camps",
    "and must be removed from this earth", "and someone should finally deal with them for good",
    "and their children should be taken away", "and should be shot at the border",
    "and they will pay in blood", "and it is time to take up arms against them",
    "and should be sterilised", "and deserve every beating they get",
    "and we will hunt them down street by street", "and a final solution is long overdue",
    "and should be thrown into the sea", "and must never be allowed to breed",
]

OPENERS = [
    "", "Let me say it plainly: ", "Everyone knows it: ", "Wake up people, ", "Face the truth. ",
    "I have said it for years. ", "History proves it: ", "Mark my words, ", "Enough is enough. ",
    "Stop pretending. ", "The article misses the point. ", "The real story here: ",
    "Nobody dares to say it, but ", "Read between the lines: ", "This is what it comes down to: ",
]

CONSPIRACY = [
    "{g} control the banks and the media and must be removed from power by any means",
    "{g} are behind every war and will not stop until they are stopped for good",
    "{g} are replacing us and we must fight back before it is too late",
    "{g} poison everything they touch; drive them out of every government",
    "the {g} run this country from the shadows and deserve what is coming to them",
    "{g} are the enemy within and should be treated like the traitors they are",
    "{g} should not be allowed to vote, work or live among decent people",
    "every single one of the {g} is a criminal and a liar by birth",
    "{g} cannot be trusted, it is in their blood, send them all back",
    "the {g} are an invading army and deserve no mercy",
]

THREATS = [
    "I know where you live and you will regret writing this",
    "people like you will be dealt with when the day comes",
    "you and your family should be afraid, we are coming",
    "someone should put a bullet in the author of this article",
    "I hope the journalist who wrote this is beaten in the street",
    "writers like you will hang when we take back this country",
    "you deserve to be lined up against a wall with the rest of them",
    "I will find you and make you pay for this lie",
]

CLOSERS = [
    "", " No mercy.", " Spread the word.", " It is them or us.", " Do not be fooled.",
    " The time for talking is over.", " Our people first.", " Wake up.",
]


def hate(rng, n):
    out = set()
    while len(out) < n:
        g = rng.choice(GROUPS)
        form = rng.random()
        if form < 0.55:
            text = f"{rng.choice(OPENERS)}{g} {rng.choice(DEHUMANISING)} {rng.choice(VIOLENCE)}."
        elif form < 0.85:
            text = rng.choice(OPENERS) + rng.choice(CONSPIRACY).format(g=g) + "."
        else:
            text = rng.choice(OPENERS) + rng.choice(THREATS) + "."
        text = text[0].upper() + text[1:] + rng.choice(CLOSERS)
        out.add(text)
    return sorted(out)


SPAM_DOMAINS = [
    "cash-daily-home.com", "bestpharma-rx.net", "cryptoprofit-now.io", "smoloko-truth.com",
    "fastloans4u.biz", "slimfit-keto.shop", "work-from-home-jobs.xyz", "hot-singles-near.me",
    "cheap-meds-online.ru", "forex-signals-pro.top", "seo-backlinks-cheap.club",
    "bit.ly/3xK9pQ", "tinyurl.com/earn-now", "true-news-report.info", "replica-watches.store",
    "casino-royal-bonus.online", "bitcoin-doubler.site", "onlinejobs-2026.co",
]

SPAM_PRAISE = [
    "Great article!", "Very informative post.", "Thanks for sharing this.", "Nice read.",
    "I agree with the author.", "Interesting points here.", "Good analysis.", "",
    "Wow, what a story.", "This is so true.", "Excellent work as always.",
]

SPAM_BODY = [
    "I am making $85 an hour working from home on my laptop. Check it out at {u}",
    "My neighbour earns $12,000 a month online, no experience needed, see {u}",
    "I invested $500 in bitcoin with an expert trader and got back $9,400 in one week. Contact him at {u}",
    "Buy Viagra and Cialis without prescription, cheapest prices and discreet delivery: {u}",
    "Lose 20 pounds in 2 weeks with this one weird trick doctors hate {u}",
    "Check my profile for the real truth they do not want you to know!",
    "Get 10,000 followers in 24 hours, guaranteed. Visit {u}",
    "Need a fast loan with bad credit? Instant approval at {u}",
    "Claim your free $100 casino bonus now, no deposit required: {u}",
    "Hot girls in your area want to meet you tonight, click {u}",
    "Earn passive income with crypto mining, withdraw daily, join here {u}",
    "I quit my job last month and now I earn from home. Details on my profile.",
    "Google is paying $97 per hour for simple online work. Go to this site {u}",
    "Cheap SEO backlinks and guest posts for your website, order at {u}",
    "Replica Rolex and designer bags at 90% off, free shipping {u}",
    "Forex signals with 98% accuracy, join our VIP group {u}",
    "Contact Mrs. Linda on WhatsApp +1 (415) 555-0134 for the best bitcoin investment platform",
    "Thanks to Dr. Okoro's spell my husband came back in three days, email him at drokoro.spell@gmail.com",
    "Recover your stolen crypto in 48 hours, message our hackers on Telegram @recoverfunds_pro",
    "Subscribe to my channel for the real news {u}",
    "Download the app and get paid to read news articles! {u}",
    "Start earning today!!! Simple copy paste jobs, $350 a day, apply now at {u}",
    "Best essay writing service, 100% plagiarism free, order at {u}",
    "Buy cheap Tramadol, Xanax and Oxycodone online, no questions asked {u}",
    "Reporting the truth {u}",
    "For more on this visit my blog {u} and share it with everyone",
]

SPAM_SIGNATURES = ["", "", " Cheers, John", " Thanks!!!", " Don't miss out!!!", " Limited offer.",
                   " ***100% legit***", " Act now."]


def spam(rng, n):
    out = set()
    while len(out) < n:
        url = rng.choice(["http://", "https://", "www.", "https://www."]) + rng.choice(SPAM_DOMAINS)
        body = rng.choice(SPAM_BODY).format(u=url)
        text = (rng.choice(SPAM_PRAISE) + " " + body).strip() + rng.choice(SPAM_SIGNATURES)
        if rng.random() < 0.2:
            text = text.upper() if rng.random() < 0.3 else text.replace(". ", "!! ")
        out.add(text)
    return sorted(out)


SOURCES = [
    ("Reuters", "https://www.reuters.com/world/{p}"), ("the AP", "https://apnews.com/article/{p}"),
    ("the BBC", "https://www.bbc.co.uk/news/{p}"), ("the Guardian", "https://www.theguardian.com/world/{p}"),
    ("the WHO", "https://www.who.int/news/item/{p}"), ("the census bureau", "https://www.census.gov/library/{p}"),
    ("Wikipedia", "https://en.wikipedia.org/wiki/{p}"), ("the IMF", "https://www.imf.org/en/Publications/{p}"),
    ("the study", "https://arxiv.org/abs/{p}"), ("Congress", "https://www.congress.gov/bill/{p}"),
    ("the EU", "https://ec.europa.eu/commission/presscorner/{p}"), ("Eurostat", "https://ec.europa.eu/eurostat/{p}"),
    ("the court ruling", "https://www.supremecourt.gov/opinions/{p}"), ("Le Monde", "https://www.lemonde.fr/{p}"),
    ("Al Jazeera", "https://www.aljazeera.com/news/{p}"), ("the UN", "https://news.un.org/en/story/{p}"),
    ("NPR", "https://www.npr.org/sections/{p}"), ("the council minutes", "https://www.citycouncil.gov/minutes/{p}"),
    ("Our World in Data", "https://ourworldindata.org/{p}"), ("the World Bank", "https://data.worldbank.org/indicator/{p}"),
]

PATHS = ["2026/03/14/report", "budget-2026", "syria-ceasefire-talks", "housing-report-q2",
         "Raqqa_campaign_(2017)", "2311.04521", "118th-congress/house-bill/2", "inflation-data",
         "energy-prices-explained", "water-quality-survey", "election-results-2024", "climate-summit",
         "unemployment-rate", "refugee-figures-2025", "school-funding", "vaccine-trial-results"]

TOPICS = [
    "the unemployment figures", "the ceasefire terms", "the housing numbers", "the vaccine trial",
    "the council's budget", "the refugee figures", "the election results", "the court's reasoning",
    "the energy prices", "the school funding formula", "the water survey", "the inflation data",
    "the troop numbers", "the trade deficit", "the tax changes", "the pension reform",
]

LINK_FORMS = [
    "According to {s} ({u}), {t} are not what the article says.",
    "Here is the full report from {s} if anyone wants to check {t}: {u}",
    "The original source for {t} is {u}; worth reading before drawing conclusions.",
    "For context, {s} covered {t} last week: {u}",
    "I looked up {t} myself. {s} has the primary data here {u} and it supports the author.",
    "Small correction: {t} in the third paragraph differ from what {s} published ({u}).",
    "Good piece. {s} has a longer explainer on {t} at {u} for anyone curious.",
    "Not sure about {t}. The numbers at {u} tell a different story, see the second table.",
    "Link to the document the article quotes: {u} ({s}, page 12 covers {t}).",
    "Thanks for linking sources. One more on {t}: {u}",
    "Anyone who doubts {t} can read it for themselves at {u}",
    "{s} reported on {t} too, with interviews: {u}. Same conclusion, different emphasis.",
    "The author is right about {t}. See {u}, published by {s} in spring.",
    "I disagree about {t}, and here is why: {u} ({s}) shows the trend reversed in 2024.",
]


def link_benign(rng, n):
    out = set()
    while len(out) < n:
        name, pattern = rng.choice(SOURCES)
        url = pattern.format(p=rng.choice(PATHS))
        if rng.random() < 0.15:
            url = f"[{name}]({url})"
        out.add(rng.choice(LINK_FORMS).format(s=name, u=url, t=rng.choice(TOPICS)))
    return sorted(out)


POLITICIANS = ["the minister", "the president", "the senator", "the prime minister", "the mayor",
               "the governor", "the chancellor", "Congress", "the opposition leader", "the party leadership",
               "the foreign secretary", "the defence secretary", "Washington", "Brussels", "the Kremlin"]

POSITIONS = [
    "this war", "the sanctions", "the budget cuts", "the new immigration law", "the tax cut for the rich",
    "the bailout", "the drone strikes", "the surveillance bill", "the trade war", "the healthcare plan",
    "arming the rebels", "the pension reform", "the occupation", "the border wall", "the bombing campaign",
    "the austerity package", "the police budget", "the carbon tax", "the minimum wage freeze",
]

ATTACKS = [
    "is a disgrace and anyone who supports it should be ashamed",
    "is the dumbest policy I have seen in twenty years",
    "is built on lies, and the article is far too kind about it",
    "will ruin ordinary families while the donors laugh all the way to the bank",
    "is pure hypocrisy from people who never pay the price themselves",
    "has failed every single time it was tried",
    "is a scandal, and the media let it slide",
    "is exactly what the lobbyists paid for",
    "is reckless and the people responsible should resign",
    "makes no sense at all and the numbers prove it",
]

REBUTTALS = [
    "You are completely wrong, {p} did not cause this and you know it.",
    "Nonsense. {p} lied about {x} from day one and you keep swallowing it.",
    "I could not disagree more with the author: {x} was the only sane option.",
    "How can anyone defend {x}? {p} should be voted out at the first chance.",
    "Stop repeating talking points. {p} has been wrong about {x} for years.",
    "Your argument falls apart the moment you look at who profits from {x}.",
    "Typical. {p} talks about peace and then backs {x}. Shameless.",
    "With respect, that is rubbish. {x} saved jobs in my town, whatever {p} says.",
    "The author is naive. {p} will never admit {x} was a mistake.",
    "Both parties supported {x}, so spare me the outrage about {p}.",
    "I voted for {p} and I regret it, {x} was a betrayal.",
    "Absolutely not. {x} is theft from the young, and {p} knows it.",
    "Give me a break. {p} is a liar and a coward on {x}, like the last lot.",
    "The idiots in charge learned nothing; {x} is the same mistake again.",
]


def political(rng, n):
    out = set()
    while len(out) < n:
        p, x = rng.choice(POLITICIANS), rng.choice(POSITIONS)
        if rng.random() < 0.45:
            text = f"{x[0].upper() + x[1:]} {rng.choice(ATTACKS)}."
            if rng.random() < 0.5:
                text += " " + rng.choice(REBUTTALS).format(p=p, x=x)
        else:
            text = rng.choice(REBUTTALS).format(p=p, x=x)
        text = text[0].upper() + text[1:]
        out.add(text)
    return sorted(out)


ORDINARY = [
    "Thanks for this article, I learned a lot about {t}.",
    "There is a typo in the second paragraph: 'their' should be 'there'.",
    "Could you write a follow-up on {t}? I would read it.",
    "I donated this month, keep up the good work.",
    "My grandfather lived through this, and his stories match what you describe.",
    "Where can I find the earlier articles in this series about {t}?",
    "Well written, though I think the conclusion about {t} is a bit rushed.",
    "I shared this with my book club; we discussed {t} for an hour.",
    "Can someone explain what the author means by {t}? Genuine question.",
    "Great photos in this piece. Who took them?",
    "I have been reading this site for years and this is one of the best articles about {t}.",
    "The podcast version of this would be great for my commute.",
    "Interesting. I had never thought about {t} this way.",
    "I remember when this happened, we had no idea how serious {t} was.",
    "Is there a French translation of this article? My parents would like to read it.",
    "Good point about {t}, although I would add that local groups did a lot too.",
    "Happy to see independent journalism covering {t}.",
    "My father told me a story about {t} once; it ended with him laughing for a week.",
    "The comments here are usually better than on the big sites. Thanks, everyone.",
    "Minor point: the map in the article has the river on the wrong side of the town.",
]


def ordinary(rng, n):
    out = set()
    while len(out) < n:
        text = rng.choice(ORDINARY).format(t=rng.choice(TOPICS + POSITIONS))
        if rng.random() < 0.3:
            text = rng.choice(["Hi all. ", "Hello. ", "Long-time reader here. ", "Quick note: "]) + text
        out.add(text)
    return sorted(out)


GROUP_DEBATE = [
    "The article is unfair to {g}; most of them work hard and pay their taxes like everyone else.",
    "I disagree that {g} are to blame for the housing shortage, the numbers say landlords are.",
    "My neighbours are {g} and they organised the food bank when the factory closed.",
    "The new law on {g} is badly drafted and the courts will throw it out.",
    "Blaming {g} for the crime figures is lazy; poverty explains far more.",
    "We should hear from {g} themselves before deciding policy about them.",
    "Polls show {g} are split on this question, just like the rest of us.",
    "The minister's remarks about {g} were offensive and he should apologise.",
    "Many {g} fled exactly this kind of war, which is why the asylum rules matter.",
    "Whatever you think of the policy, {g} deserve the same rights as any citizen.",
    "The report on discrimination against {g} should be required reading for the council.",
    "I grew up among {g} and none of the stereotypes in these comments match my experience.",
    "Should {g} get a vote in local elections? I think yes, after five years of residence.",
    "The violence against {g} last month was shameful and the police were far too slow.",
    "Integration works when {g} get language classes and jobs, not when we shout at them.",
    "You cannot talk about {g} as one block; they disagree with each other as much as we do.",
    "The history of {g} in this city goes back two hundred years, as the museum shows.",
    "Yes, some {g} commit crimes, as some of every group do; the rate is not higher.",
    "Calling {g} invaders is exactly the rhetoric that led to the attacks; stop it.",
    "Hate against {g} has no place here, and I am glad the moderators remove it.",
]


def group_debate(rng, n):
    out = set()
    while len(out) < n:
        text = rng.choice(GROUP_DEBATE).format(g=rng.choice(GROUPS))
        out.add(text[0].upper() + text[1:])
    return sorted(out)


def authored(seed=8):
    """Every authored item as (label, kind, body)."""
    rng = random.Random(seed)
    items = []
    items += [("abuse", "hate-no-profanity", b) for b in hate(rng, 320)]
    items += [("spam", "news-spam", b) for b in spam(rng, 300)]
    items += [("benign", "link", b) for b in link_benign(rng, 260)]
    items += [("benign", "political", b) for b in political(rng, 260)]
    items += [("benign", "ordinary", b) for b in ordinary(rng, 200)]
    items += [("benign", "political", b) for b in group_debate(rng, 300)]
    return items
