//! The signs of spam and abuse that the learned filter reads as pseudo-words, besides the
//! text's own words: each pools many phrasings into one feature, so a campaign or a hateful
//! comment in words the labelled sets never held still shares the evidence of those they did.

use std::sync::LazyLock;

use super::{Phrases, links};

/// The phrase lists below, each made into one matcher the first time it is needed.
struct Lists {
    engagement: Phrases,
    selling: Phrases,
    rich: Phrases,
    contact: Phrases,
    essence: Phrases,
    threat: Phrases,
    self_harm: Phrases,
    personal: Phrases,
}

static LISTS: LazyLock<Lists> = LazyLock::new(|| Lists {
    engagement: Phrases::new(ENGAGEMENT),
    selling: Phrases::new(SELLING),
    rich: Phrases::new(RICH),
    contact: Phrases::new(CONTACT),
    essence: Phrases::new(ESSENCE),
    threat: Phrases::new(THREAT),
    self_harm: Phrases::new(SELF_HARM),
    personal: Phrases::new(PERSONAL),
});

/// Every sign found in `body`: of spam, then of abuse.
pub fn of(body: &str) -> Vec<&'static str> {
    let mut cues = spam_cues(body);
    cues.extend(abuse_cues(body));
    cues
}

/// Words that ask the reader to act, or dangle a reward: what spam of every kind says
/// (comment, SMS, e-mail), pooled into one feature each so that a campaign in words the
/// train split never saw still shares the evidence of the ones it did.
const ACT: &[&str] =
    &["subscribe", "subscribers", "click", "visit", "txt", "download", "register", "signup", "dial", "promo"];
/// What follows "claim" when it asks to act ("claim your prize"), not when it is what
/// someone said ("the claim that", "the minister's claim").
const CLAIMED: &[&str] =
    &["your", "ur", "yours", "yr", "now", "it", "this", "a", "free", "prize", "before", "txt", "call"];
/// Not "free", "win" or "deal": ordinary political talk is full of them.
const REWARD: &[&str] = &[
    "winner",
    "prize",
    "cash",
    "bonus",
    "earn",
    "discount",
    "guaranteed",
    "urgent",
    "congratulations",
    "award",
    "reward",
    "voucher",
    "income",
    "profit",
    "unlimited",
    "exclusive",
];
const SELF: &[&str] = &[
    "channel",
    "profile",
    "page",
    "video",
    "videos",
    "site",
    "website",
    "blog",
    "music",
    "song",
    "app",
    "songs",
    "playlist",
    "mixtape",
    "album",
    "cover",
    "covers",
    "track",
    "tracks",
    "account",
    "instagram",
    "shop",
    "store",
    "podcast",
    "stream",
    "bio",
    "group",
];
/// Asking for likes, follows and shares: what comment spam wants when it sells nothing.
const ENGAGEMENT: &[&str] = &[
    "like this comment",
    "like my comment",
    "thumbs up if",
    "thumbs up for",
    "give it a like",
    "give this a like",
    "like if you",
    "likes if",
    "share this",
    "follow me",
    "follow back",
    "sub me",
    "sub to me",
    "sub4sub",
    "sub 4 sub",
    "subscribe to me",
    "take a listen",
    "come and watch",
    "go watch",
    "check it out",
    "look me up",
    "search for my",
    "support me",
    "help me reach",
    "help me get",
    "please donate",
    "donate to my",
    "donate bitcoin",
    "donate bitcoins",
];
/// Selling: the words of a shop window, which comment spam pastes under any article.
const SELLING: &[&str] = &[
    "cheap",
    "cheapest",
    "wholesale",
    "replica",
    "replicas",
    "shipping",
    "discreet",
    "prescription",
    "order now",
    "buy now",
    "shop now",
    "order at",
    "buy at",
    "best price",
    "best prices",
    "lowest price",
    "lowest prices",
    "in bulk",
    "per cent off",
    "free trial",
    "free shipping",
    "limited offer",
    "limited spots",
    "only today",
    "today only",
];
/// Getting rich: what money-making schemes promise, in news comments as in e-mail.
const RICH: &[&str] = &[
    "passive income",
    "make money",
    "making money",
    "extra money",
    "earn money",
    "from home",
    "per month",
    "a month from",
    "per day",
    "a day from",
    "per week",
    "figures a month",
    "crypto",
    "bitcoin",
    "bitcoins",
    "forex",
    "trading bot",
    "trading signals",
    "investment platform",
    "financial freedom",
    "quit my job",
    "left my job",
    "my salary",
    "ask me how",
    "loan",
    "loans",
];
/// Moving the talk somewhere private: where a scam continues.
const CONTACT: &[&str] = &[
    "whatsapp",
    "telegram",
    "dm me",
    "pm me",
    "message me",
    "inbox me",
    "hit me up",
    "text me",
    "email him",
    "email her",
    "contact him",
    "contact her",
    "write me",
    "link in bio",
    "in my bio",
    "see profile",
    "see my profile",
    "via email",
    "add me",
];
/// The ends of web addresses written without "http" or "www": "bestpills.com/offer".
const DOMAINS: &[&str] = &[
    "com", "net", "org", "info", "biz", "top", "xyz", "online", "site", "shop", "store", "club", "ly", "ru",
    "io", "me", "tv", "example",
];

/// Spam's tell-tale signs as pseudo-words the model learns weights for like any other:
/// a phone number, a sum of money, an e-mail address, a spelled-out link ("site dot
/// com"), "my channel", shouting, and the pooled words above. Not a link itself: the
/// links signal judges those, and ordinary comments cite sources.
fn spam_cues(body: &str) -> Vec<&'static str> {
    let lower = body.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let mut cues = Vec::new();
    let mut add = |yes: bool, cue| {
        if yes {
            cues.push(cue);
        }
    };
    add(longest_number(&lower) >= 7, "cue:phone");
    add(has_money(&lower), "cue:money");
    add(
        lower.split_whitespace().any(|w| w.contains('@') && w.contains('.') && !w.starts_with('@')),
        "cue:email",
    );
    add(
        words.windows(2).any(|p| p[0] == "dot" && matches!(p[1], "com" | "net" | "org" | "co" | "info")),
        "cue:spelled-link",
    );
    add(words.windows(2).any(|p| matches!(p[0], "my" | "our") && SELF.contains(&p[1])), "cue:my-channel");
    add(words.windows(2).any(|p| p[0] == "check" && matches!(p[1], "out" | "my")), "cue:check-out");
    // "Claim" is what a news site's readers check ("the minister's claim"); spam says
    // "claim your prize", "claim it now".
    let claim = words.windows(2).any(|p| p[0] == "claim" && CLAIMED.contains(&p[1]));
    add(words.iter().any(|w| ACT.contains(w)) || claim, "cue:act");
    let lists = &*LISTS;
    add(lists.engagement.any_in(&lower), "cue:engagement");
    add(lists.selling.any_in(&lower) || lower.contains("% off"), "cue:selling");
    add(lists.rich.any_in(&lower), "cue:rich");
    add(lists.contact.any_in(&lower), "cue:contact");
    add(bare_domain(&links::without_links(&lower)), "cue:bare-domain");
    add(words.iter().any(|w| REWARD.contains(w)), "cue:reward");
    add(shouting(body), "cue:shouting");
    cues.extend(link_cues(body));
    cues
}

/// Sites where a link to one page is a link to a person: self-promotion, not a source.
const PROFILE_HOSTS: &[&str] = &[
    "facebook.com",
    "twitter.com",
    "x.com",
    "instagram.com",
    "twitch.tv",
    "tiktok.com",
    "tsu.co",
    "soundcloud.com",
    "youtube.com",
    "plus.google.com",
    "vk.com",
    "linkedin.com",
    "pinterest.com",
];
/// Link shorteners hide where a link goes (not t.co: pasted tweets carry it on every link).
const SHORTENERS: &[&str] = &[
    "bit.ly",
    "goo.gl",
    "tinyurl.com",
    "ow.ly",
    "adf.ly",
    "is.gd",
    "buff.ly",
    "cutt.ly",
    "tiny.cc",
    "shorte.st",
    "shhort.com",
    "rebrand.ly",
];

/// What a comment's links say about it, as cues (never "has a link": ordinary comments cite
/// sources): a link to a person's profile or channel, a referral code, a shortened link, a
/// link to a home page, and a link with hardly any words around it.
fn link_cues(body: &str) -> Vec<&'static str> {
    let found = links::find_links(body);
    if found.is_empty() {
        return Vec::new();
    }
    let on = |host: &str, list: &[&str]| list.iter().any(|d| host == *d || host.ends_with(&format!(".{d}")));
    let mut cues = Vec::new();
    let mut add = |yes: bool, cue| {
        if yes && !cues.contains(&cue) {
            cues.push(cue);
        }
    };
    for link in &found {
        let segments = link.path.split(['/', '?']).filter(|s| !s.is_empty()).count();
        add(on(&link.host, PROFILE_HOSTS) && segments <= 2, "cue:link-profile");
        add(on(&link.host, SHORTENERS), "cue:link-short");
        add(
            link.path.contains("ref=") || link.path.contains("aff") || link.path.contains("?r="),
            "cue:link-referral",
        );
        add(link.path.is_empty(), "cue:link-home");
    }
    let words =
        links::without_links(body).split_whitespace().filter(|w| w.chars().any(char::is_alphabetic)).count();
    add(words < 8, "cue:link-few-words");
    cues
}

/// A web address written without "http" or "www" ("bestpills.com/offer", "adf.ly / x"):
/// a name of two letters or more, a dot, and a known ending, not followed by more letters.
fn bare_domain(text: &str) -> bool {
    text.match_indices('.').any(|(i, _)| {
        let name = text[..i].chars().rev().take_while(|c| c.is_alphanumeric() || *c == '-').count();
        let rest = &text[i + 1..];
        let end: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
        name >= 2 && DOMAINS.contains(&end.as_str())
    })
}

/// The longest run of digits, spaces and dashes taken as one number (a phone number).
fn longest_number(text: &str) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in text.chars() {
        if c.is_ascii_digit() {
            run += 1;
            best = best.max(run);
        } else if !matches!(c, ' ' | '-' | '.') || run == 0 {
            run = 0;
        }
    }
    best
}

/// A currency sign next to a number, or a number of dollars, pounds or euros.
fn has_money(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars.windows(2).any(|p| {
        (matches!(p[0], '$' | '£' | '€') && p[1].is_ascii_digit())
            || (p[0].is_ascii_digit() && matches!(p[1], '$' | '£' | '€'))
    }) || text.split_whitespace().collect::<Vec<_>>().windows(2).any(|p| {
        p[0].chars().all(|c| c.is_ascii_digit() || c == ',')
            && matches!(
                p[1].trim_end_matches(['.', ',', '!']),
                "dollars" | "usd" | "pounds" | "euros" | "bucks"
            )
    })
}

/// Mostly capital letters over at least a dozen letters.
fn shouting(body: &str) -> bool {
    let letters: Vec<char> = body.chars().filter(|c| c.is_alphabetic()).collect();
    letters.len() >= 12 && letters.iter().filter(|c| c.is_uppercase()).count() * 10 >= letters.len() * 7
}

/// Doing violence to people: what a call for violence or a threat says, whatever group or
/// person it names.
const HARM: &[&str] = &[
    "kill",
    "killed",
    "murder",
    "murdered",
    "shoot",
    "shot",
    "hang",
    "hanged",
    "hung",
    "burn",
    "burned",
    "burnt",
    "exterminate",
    "exterminated",
    "eradicate",
    "eradicated",
    "wipe",
    "wiped",
    "gas",
    "gassed",
    "lynch",
    "lynched",
    "slaughter",
    "slaughtered",
    "butcher",
    "butchered",
    "massacre",
    "beat",
    "beaten",
    "stab",
    "stabbed",
    "drown",
    "drowned",
    "execute",
    "executed",
    "cleanse",
    "cleansed",
    "purge",
    "purged",
    "sterilise",
    "sterilised",
    "sterilize",
    "sterilized",
    "eliminate",
    "eliminated",
    "culled",
    "cull",
    "die",
    "dead",
    "raped",
    "rape",
    "whipped",
    "hurt",
    "smash",
    "smashed",
    "punch",
    "punched",
    "torch",
    "torched",
    "strangle",
    "strangled",
    "choke",
    "choked",
    "bury",
    "buried",
    "torture",
    "tortured",
    "slit",
    "gut",
    "gutted",
    "behead",
    "beheaded",
    "bash",
    "kick",
    "slap",
    "strung",
    "bleed",
    "skin",
    "skinned",
    "castrate",
    "castrated",
    "nuke",
    "nuked",
    "bomb",
    "bombed",
    "beating",
    "kicking",
    "bullet",
    "bullets",
    "noose",
    "thrashing",
    "lashing",
    "kneecapped",
    "maimed",
    "maim",
    "crippled",
    "cripple",
];
/// Punishing people: ordinary politics says a minister "should be jailed" or "removed", so
/// these are a sign apart, which the model weighs for itself.
const PUNISH: &[&str] = &[
    "jailed", "caged", "punished", "removed", "rid", "rounded", "round", "hunted", "hunt", "crushed",
    "suffer", "deported", "expelled", "banned", "locked", "flogged", "shut",
];
/// Said of people, these make them less than human, whatever else the sentence says.
const VERMIN: &[&str] = &[
    "vermin",
    "parasites",
    "cockroaches",
    "roaches",
    "locusts",
    "subhuman",
    "subhumans",
    "untermensch",
    "savages",
    "infestation",
    "leeches",
    "maggots",
    "breeders",
    "barbarians",
    "degenerates",
    "mongrels",
    "infest",
    "infesting",
    "infested",
];
/// Words that make people less than human only when said of people: "they are animals",
/// "breed like rats", not "farm animals" or "I walk the dogs" (within [`NEAR`] words of
/// a group or a pronoun for people).
const BEASTS: &[&str] = &[
    "animals",
    "animal",
    "rats",
    "insects",
    "beasts",
    "plague",
    "disease",
    "cancer",
    "virus",
    "filth",
    "scum",
    "apes",
    "monkeys",
    "dogs",
    "pigs",
    "swine",
    "inferior",
    "primitive",
    "degenerate",
    "invaders",
    "breed",
    "swarm",
    "swarming",
    "herd",
    "pests",
    "vultures",
    "hyenas",
    "snakes",
    "worms",
    "livestock",
    "hordes",
    "horde",
];
/// Who a word like "animals" must be said of to dehumanise: a named group or people.
const PEOPLE: &[&str] =
    &["they", "them", "these", "those", "their", "you", "people", "men", "women", "kind", "lot"];
/// How near two words must be to be read together (a group and "all", "animals" and "they").
const NEAR: usize = 4;
/// A group spoken of as one thing with one nature.
const ESSENCE: &[&str] = &[
    "you people",
    "these people",
    "those people",
    "their kind",
    "your kind",
    "every last one",
    "every one of them",
    "all of them",
    "by nature",
    "in their blood",
    "in their dna",
    "genetically",
    "not human",
    "not people",
    "lower form",
    "breed like",
    "go back to",
    "send them all back",
    "every single one",
    "they are all",
    "they're all",
    "all the same",
    "what they are",
    "it's in their",
    "it is in their",
    "different species",
    "not like us",
    "don't belong here",
    "do not belong here",
    "never integrate",
    "can't integrate",
    "cannot integrate",
    "won't integrate",
    "these types",
    "their sort",
    "their type",
    "people like them",
    "people like you",
    "the lot of them",
    "the whole lot of them",
    "a nation of",
    "a cult of",
    "send them back",
    "ship them back",
    "kick them all out",
    "back where they came from",
    "back to where they came from",
    "can't be civilised",
    "cannot be civilized",
    "can't be civilized",
    "won't assimilate",
    "cannot assimilate",
    "can't assimilate",
    "it's their culture",
    "it is their culture",
    "their culture is",
    "those kind of people",
];
/// What a threat says to its target.
const THREAT: &[&str] = &[
    "know where you live",
    "watch your back",
    "you will pay",
    "you'll pay",
    "you will regret",
    "you'll regret",
    "coming for you",
    "find you",
    "hunt you",
    "hurt you",
    "end up like",
    "what is coming to",
    "what's coming to",
    "one eye open",
    "been warned",
    "last warning",
    "days are numbered",
    "pay for this",
    "accidents happen",
    "an accident",
    "see you soon",
    "your family",
    "your kids",
    "your children",
    "you will be next",
    "you're next",
    "you are next",
    "i will find",
    "we will find",
    "outside your",
    "put you in",
    "bullet",
    "pay you a visit",
    "pay him a visit",
    "pay her a visit",
    "pay them a visit",
    "gets a visit",
    "a visit from",
    "teach you a lesson",
    "teach him a lesson",
    "teach her a lesson",
    "teach them a lesson",
    "a lesson they won't forget",
    "a shame if something",
    "if something happened",
    "something happens to",
    "sleep well",
    "be careful",
    "careful what you",
    "we have your",
    "i have your",
    "your address",
    "home address",
    "your front door",
    "where you work",
    "where you live",
    "your wife",
    "your husband",
    "your daughter",
    "your son",
    "over your shoulder",
    "when i'm done with you",
    "when we're done with you",
    "end up in",
    "find out what happens",
    "see what happens",
    "we know where",
    "i know where",
    "i know your",
    "we know your",
    "lock your doors",
    "mark my words",
    "you've been warned",
    "you have been warned",
    "you'll be sorry",
    "you will be sorry",
    "you won't be smiling",
    "you won't be laughing",
    "sleep with one eye",
    "dead man walking",
    "you're dead",
    "you are dead",
    "you're finished",
    "count your days",
    "you'll get yours",
    "you will get yours",
    "get what's coming",
    "gets what's coming",
    "had it coming",
    "has it coming",
    "on a list",
    "one of these days",
    "wait until i",
    "wait till i",
    "just wait",
    "don't walk alone",
    "walk home alone",
    "not feel safe",
    "won't feel safe",
    "never feel safe",
    "we are watching",
    "we're watching",
    "i'm watching you",
    "i am watching you",
    "be waiting for you",
    "waiting for you outside",
    "take care of you",
    "deal with you",
    "settle this in person",
    "meet me outside",
    "come round to your",
    "come to your house",
    "coming to your house",
    "turn up at your",
    "show up at your",
    "your own death",
    "death warrant",
    "you will disappear",
    "you'll disappear",
    "nobody will find",
    "no one will find",
    "what happened to",
    "happen to you",
    "happens to you",
    "happen to your",
    "won't get up",
    "watch yourself",
    "watch your step",
    "watch your mouth",
    "sleep tight",
    "would be a shame",
    "be a pity if",
    "just you wait",
    "final warning",
    "this is a warning",
    "consider this a warning",
    "won't warn you",
    "in the ground",
    "six feet under",
    "body bag",
    "in a ditch",
    "in the river",
    "in a wheelchair",
    "break your",
    "break every bone",
    "kneecap",
    "kneecaps",
    "cut your",
    "slit your",
    "rip your",
    "tear your",
    "smash your",
    "bash your",
    "punch your",
    "knock your",
    "kick your",
    "burn your",
    "your throat",
    "your skull",
    "your face in",
    "the last thing you",
    "you won't see",
    "won't see it coming",
    "never see it coming",
    "enjoy your last",
    "your last day",
    "your last article",
    "when we find",
    "when i find",
    "we will be waiting",
    "waiting for you",
    "your employer",
    "your workplace",
    "your kids'",
    "your children's",
    "posted your",
    "share your address",
    "against a wall",
    "lamp post",
    "lampposts",
    "lamp posts",
    "gallows",
    "guillotine",
    "tar and feather",
    "her skull",
    "hearing from me",
    "how brave you",
    "how tough you",
    "if i see you",
    "if we see you",
];
/// Telling someone to end their life.
const SELF_HARM: &[&str] = &[
    "kill yourself",
    "kill urself",
    "kys",
    "end your life",
    "drink bleach",
    "nobody would miss you",
    "world a favour",
    "world a favor",
    "go die",
    "drop dead",
    "die in a fire",
    "die in a ditch",
    "rot in hell",
    "burn in hell",
    "hang yourself",
    "off yourself",
    "neck yourself",
    "jump off a",
    "slit your wrists",
    "do us all a favour",
    "do us all a favor",
    "nobody will miss you",
    "no one would miss you",
    "no one will miss you",
    "waste of oxygen",
    "waste of space",
    "waste of skin",
    "shouldn't have been born",
    "should never have been born",
    "hope you die",
    "hope he dies",
    "hope she dies",
    "hope they die",
    "hope you get cancer",
    "deserve to die",
    "deserves to die",
    "deserves a bullet",
    "deserve a bullet",
    "off a cliff",
    "off a bridge",
    "in front of a train",
    "in front of a bus",
    "don't reproduce",
    "do not reproduce",
    "stop breeding",
    "better off dead",
    "better off without you",
    "world would be better without",
    "nobody would notice if you",
    "no one would notice if you",
    "wish you were dead",
    "wish you'd die",
    "go away and die",
    "crawl into a hole",
    "crawl in a hole",
];
/// Contempt for a person rather than their argument.
const CONTEMPT: &[&str] = &[
    "idiot",
    "moron",
    "stupid",
    "imbecile",
    "loser",
    "pathetic",
    "ugly",
    "fat",
    "disgusting",
    "worthless",
    "brainless",
    "dumb",
    "retarded",
    "cretin",
    "clown",
    "parasite",
    "creep",
    "hag",
    "bimbo",
    "freak",
    "sad",
    "lonely",
    "useless",
    "ignorant",
    "whore",
    "slut",
    "dim",
    "thick",
    "dense",
    "halfwit",
    "simpleton",
    "buffoon",
    "fool",
    "clueless",
    "delusional",
    "unhinged",
    "hysterical",
    "shrill",
    "bitter",
    "embarrassment",
    "joke",
    "deranged",
    "senile",
    "dimwit",
    "dunce",
    "muppet",
    "irrelevant",
    "spineless",
    "nutjob",
    "nutcase",
    "psycho",
    "lunatic",
    "troll",
    "failure",
    "nobody",
    "idiotic",
    "moronic",
    "braindead",
    "illiterate",
    "hideous",
    "gross",
    "obese",
    "smelly",
    "pitiful",
    "gormless",
    "vile",
    "repulsive",
    "feeble",
    "insufferable",
    "dimwitted",
    "retard",
    "airhead",
    "bonehead",
    "numpty",
    "pillock",
    "twit",
    "dolt",
    "nitwit",
    "ignoramus",
    "sheep",
    "snowflake",
    "crybaby",
    "coward",
    "weirdo",
    "nonce",
    "degenerate",
    "scumbag",
    "lowlife",
    "subhuman",
    "scum",
    "filth",
    "vermin",
    "animal",
    "pig",
    "rat",
    "worm",
    "leech",
    "waste",
];
/// Modal words that make a wish or a demand of what follows.
const OUGHT: &[&str] =
    &["should", "must", "deserve", "deserves", "need", "needs", "ought", "will", "gonna", "shall"];
/// What a threat is carried out with. Not "gun" or "rifle": gun laws are ordinary politics.
const WEAPON: &[&str] = &[
    "bat",
    "knife",
    "knives",
    "machete",
    "noose",
    "rope",
    "acid",
    "crowbar",
    "hammer",
    "petrol",
    "pitchfork",
    "pitchforks",
    "torches",
    "brick",
    "bricks",
    "molotov",
    "shotgun",
];
/// People named as a group by origin, faith, sex, sexuality, age or condition: what hate is
/// said of. Named alone they are ordinary debate; said of "all" of them, a generalisation.
const GROUPS: &[&str] = &[
    "immigrants",
    "migrants",
    "refugees",
    "foreigners",
    "muslims",
    "jews",
    "christians",
    "catholics",
    "hindus",
    "sikhs",
    "atheists",
    "blacks",
    "whites",
    "asians",
    "africans",
    "arabs",
    "chinese",
    "mexicans",
    "indians",
    "pakistanis",
    "romanians",
    "poles",
    "roma",
    "gypsies",
    "travellers",
    "women",
    "men",
    "gays",
    "lesbians",
    "trans",
    "disabled",
    "homeless",
    "elderly",
    "pensioners",
    "muslim",
    "jew",
    "immigrant",
    "migrant",
    "refugee",
    "foreigner",
    "nigerians",
    "somalis",
    "albanians",
    "syrians",
    "afghans",
    "turks",
    "latinos",
    "hispanics",
    "natives",
    "aboriginals",
    "mormons",
    "buddhists",
    "seekers",
    "gay",
    "lgbt",
    "transgender",
    "girls",
    "feminists",
    "minorities",
    "newcomers",
    "outsiders",
    "russians",
    "ukrainians",
    "czechs",
    "slovaks",
    "hungarians",
    "bulgarians",
    "serbs",
    "croats",
    "bosnians",
    "greeks",
    "italians",
    "spaniards",
    "portuguese",
    "germans",
    "dutch",
    "belgians",
    "swedes",
    "danes",
    "norwegians",
    "finns",
    "irish",
    "scots",
    "welsh",
    "cubans",
    "haitians",
    "jamaicans",
    "dominicans",
    "colombians",
    "venezuelans",
    "brazilians",
    "argentinians",
    "peruvians",
    "guatemalans",
    "hondurans",
    "salvadorans",
    "chileans",
    "ghanaians",
    "kenyans",
    "ethiopians",
    "eritreans",
    "sudanese",
    "congolese",
    "rwandans",
    "ugandans",
    "zimbabweans",
    "egyptians",
    "libyans",
    "algerians",
    "moroccans",
    "tunisians",
    "iraqis",
    "iranians",
    "lebanese",
    "jordanians",
    "palestinians",
    "israelis",
    "saudis",
    "yemenis",
    "kurds",
    "bangladeshis",
    "nepalese",
    "tibetans",
    "japanese",
    "koreans",
    "vietnamese",
    "thais",
    "filipinos",
    "indonesians",
    "malaysians",
    "cambodians",
    "burmese",
    "uyghurs",
    "rohingya",
    "mongolians",
    "aboriginal",
    "aborigines",
    "maori",
    "protestants",
    "evangelicals",
    "persians",
    "romani",
    "latinas",
    "indigenous",
    "europeans",
];
/// What a whole group is said to be by those who hate it: a trait of character, never of
/// circumstance ("poor", "young", "new" are how debate describes groups).
const TRAITS: &[&str] = &[
    "lazy",
    "corrupt",
    "criminals",
    "criminal",
    "thieves",
    "scammers",
    "crooks",
    "cheats",
    "liars",
    "drunks",
    "terrorists",
    "extremists",
    "barbaric",
    "savages",
    "savage",
    "dirty",
    "filthy",
    "primitive",
    "backward",
    "rapists",
    "invaders",
    "parasites",
    "gangsters",
    "thugs",
    "murderers",
    "inbred",
    "inferior",
    "uncivilised",
    "uncivilized",
    "untrustworthy",
    "dishonest",
    "greedy",
    "sneaky",
    "treacherous",
    "cult",
    "scroungers",
    "freeloaders",
    "spongers",
    "subhuman",
    "trash",
    "garbage",
    "stupid",
    "dumb",
    "diseased",
    "unclean",
    "godless",
    "heathens",
    "heathen",
    "bloodthirsty",
    "smelly",
    "stinking",
    "ugly",
    "worthless",
    "useless",
];
/// What a group is said to be.
const IS: &[&str] = &["are", "were", "r"];
/// What makes a statement about a group one about every member of it.
const ALL: &[&str] = &["all", "every", "always", "never", "each", "entire", "whole", "none"];

/// Names for a person that are nothing but an insult: said of anyone, the comment is about
/// them, not their argument. Not "liar", "hypocrite", "clown" or "troll": heated politics
/// calls ministers that.
const INSULT: &[&str] = &[
    "idiot",
    "idiots",
    "moron",
    "morons",
    "imbecile",
    "imbeciles",
    "cretin",
    "cretins",
    "halfwit",
    "halfwits",
    "dimwit",
    "dimwits",
    "nitwit",
    "numpty",
    "pillock",
    "dunce",
    "dolt",
    "ignoramus",
    "buffoon",
    "loser",
    "losers",
    "retard",
    "retards",
    "airhead",
    "bonehead",
    "knucklehead",
    "lowlife",
    "creep",
    "freak",
    "weirdo",
    "psycho",
    "nutjob",
    "nutcase",
    "hag",
    "bimbo",
    "scumbag",
    "parasite",
    "simpleton",
    "cockroach",
    "lunatic",
    "degenerate",
    "subhuman",
    "sociopath",
    "imbecilic",
];
/// Who says a threat: the writer, alone or with others.
const FIRST_PERSON: &[&str] = &["i", "i'll", "i'm", "im", "i'd", "we", "we'll", "we're", "we'd", "me", "us"];
/// Whom a threat is made to: the reader, or a person named before.
const TARGET: &[&str] = &["you", "u", "ya", "your", "yourself", "him", "her", "them", "his", "their"];
/// Who a wish of harm is for: "I hope you die", "hope someone shoots him".
const WISHED_ON: &[&str] =
    &["you", "u", "he", "she", "they", "him", "her", "them", "someone", "somebody", "your", "his"];

/// Going after a person's life, looks, wits, sex or health rather than what they said.
const PERSONAL: &[&str] = &[
    "still single",
    "your parents",
    "your mother",
    "your mum",
    "your mom",
    "basement",
    "no friends",
    "nobody likes you",
    "no one likes you",
    "nobody listens",
    "no one listens",
    "nobody cares",
    "no one cares",
    "nobody asked",
    "no one asked",
    "shut up",
    "get a life",
    "crawl back",
    "the kitchen",
    "your face",
    "your photo",
    "your looks",
    "your voice",
    "your weight",
    "your hair",
    "look at you",
    "look at this guy",
    "look at her",
    "look at him",
    "what a loser",
    "imagine being",
    "touch grass",
    "get a job",
    "virgin",
    "incel",
    "cat lady",
    "has-been",
    "no man",
    "no woman",
    "learn to read",
    "can't read",
    "cannot read",
    "can you even read",
    "can you read",
    "reading comprehension",
    "brain cell",
    "brain cells",
    "your brain",
    "no brain",
    "your iq",
    "low iq",
    "room temperature iq",
    "dropped on your head",
    "drop you on your head",
    "mental age",
    "go back to school",
    "grow up",
    "get lost",
    "go away",
    "nobody wants you",
    "no one wants you",
    "nobody wants to read",
    "no one wants to read",
    "log off",
    "stop talking",
    "under a rock",
    "face for radio",
    "your mama",
    "yo mama",
    "your teeth",
    "your nose",
    "your body",
    "your job",
    "your real name",
    "your comment history",
    "your profile",
    "your posts",
    "you're pathetic",
    "you are pathetic",
    "you're a joke",
    "you are a joke",
    "what a joke you",
    "crayons",
    "pea brain",
    "smooth brain",
    "two brain",
    "one brain",
    "on the spectrum",
    "mental defect",
    "your generation",
    "ok boomer",
    "old fossil",
    "dinosaur",
    "past your",
    "sit down and shut up",
    "nobody reads",
    "no one reads",
    "go back to your",
    "back to the kitchen",
    "make me a sandwich",
    "human equivalent",
    "you're the reason",
    "you are the reason",
    "your parents must",
    "your mother must",
    "were you born",
    "born this",
    "dropped as a baby",
    "you look like",
    "no wonder you're",
    "no wonder you are",
    "no wonder nobody",
    "no wonder no one",
    "how stupid",
    "how dumb",
    "how thick",
    "are you stupid",
    "are you thick",
    "are you dense",
    "are you dumb",
    "are you mental",
    "are you blind",
    "are you retarded",
    "so stupid",
    "so dumb",
    "this dumb",
    "this thick",
    "this dense",
    "too stupid",
    "too dumb",
    "too thick",
    "thick as",
    "dumb as",
    "iq of",
    "an iq",
    "your little",
    "little man",
    "little woman",
    "sweetie",
    "sweetheart",
    "darling",
    "typical female",
    "typical women",
    "like a girl",
    "leave it to the men",
    "the grown-ups",
    "the adults talk",
    "stick to the kitchen",
    "stick to cooking",
    "slept her way",
    "sleeping with the",
    "slept with the",
    "time of the month",
    "your meds",
    "take your meds",
    "head case",
    "mental case",
    "short bus",
    "spastic",
    "padded cell",
    "straitjacket",
    "loony bin",
    "nut house",
    "nobody loves you",
    "no one loves you",
    "raised you",
    "your upbringing",
    "embarrassing yourself",
    "embarrass yourself",
    "stupidest",
    "thickest",
    "ugliest",
    "most stupid",
    "poster child for",
    "your personality",
    "no personality",
    "off your meds",
    "cry to your",
    "cry more",
];

/// Whether a word of `first` is followed, within `gap` words, by a word of `then`.
fn followed(words: &[&str], first: &[&str], gap: usize, then: &[&str]) -> bool {
    words
        .iter()
        .enumerate()
        .any(|(i, w)| first.contains(w) && words[i + 1..].iter().take(gap).any(|n| then.contains(n)))
}

/// Whether a word of `one` and a word of `other` stand within `near` words of each other.
fn near(words: &[&str], one: &[&str], near: usize, other: &[&str]) -> bool {
    words.iter().enumerate().any(|(i, w)| {
        one.contains(w)
            && words[i.saturating_sub(near)..(i + near + 1).min(words.len())]
                .iter()
                .any(|n| other.contains(n))
    })
}

/// Signs of abuse: a wish or demand for harm ("should be wiped out") or punishment, words
/// that make people vermin, a group spoken of as one nature, a threat (phrases, and the
/// writer doing violence to "you" or "him"), a wish of harm, telling someone to end their
/// life, a weapon, going after a person's life or looks, names that are only insults, and
/// contempt aimed at "you". Each is one pooled feature; the model learns how much each
/// weighs, and heated argument about a policy rarely carries them.
fn abuse_cues(body: &str) -> Vec<&'static str> {
    let lower = links::without_links(body).to_lowercase().replace('’', "'");
    let words: Vec<&str> =
        lower.split(|c: char| !(c.is_alphanumeric() || c == '\'')).filter(|w| !w.is_empty()).collect();
    let lists = &*LISTS;
    let mut cues = Vec::new();
    let mut add = |yes: bool, cue| {
        if yes {
            cues.push(cue);
        }
    };
    // "should be wiped out", "deserve to die", "must all be rounded up": a modal word, then
    // harm within the next four words.
    add(followed(&words, OUGHT, 4, HARM), "cue:wish-harm");
    add(followed(&words, OUGHT, 4, PUNISH), "cue:wish-punish");
    add(words.iter().any(|w| VERMIN.contains(w)), "cue:vermin");
    // "they are animals", "these people breed like rats": said of people, not of pets.
    add(near(&words, BEASTS, NEAR, PEOPLE) || near(&words, BEASTS, NEAR, GROUPS), "cue:beasts");
    add(lists.essence.any_in(&lower), "cue:essence");
    add(lists.threat.any_in(&lower), "cue:threat");
    // "I'm going to kill you", "we will burn your house", "I'd happily hang him": the
    // writer, violence within four words, and its target right after.
    add(
        words.iter().enumerate().any(|(i, w)| {
            FIRST_PERSON.contains(w)
                && (i + 1..(i + 5).min(words.len())).any(|j| {
                    HARM.contains(&words[j]) && words[j + 1..].iter().take(3).any(|t| TARGET.contains(t))
                })
        }),
        "cue:threat-direct",
    );
    // "I hope you die", "hope someone shoots him": a hope, for a person, of harm.
    add(
        words.iter().enumerate().any(|(i, w)| {
            matches!(*w, "hope" | "wish" | "pray")
                && words.get(i + 1).is_some_and(|n| WISHED_ON.contains(n))
                && words[i + 2..].iter().take(5).any(|n| HARM.contains(n))
        }),
        "cue:hope-harm",
    );
    add(lists.self_harm.any_in(&lower), "cue:self-harm");
    add(words.iter().any(|w| WEAPON.contains(w)), "cue:weapon");
    add(lists.personal.any_in(&lower), "cue:personal");
    add(words.iter().any(|w| INSULT.contains(w)), "cue:insult");
    // "immigrants are all thieves", "every one of the muslims", "travellers never work": a
    // group and a word of "all" within three words of each other.
    add(near(&words, GROUPS, 3, ALL), "cue:group-all");
    // "Gypsies are thieves", "Muslim men are all rapists": a group, then a
    // trait of character within three words of "are": a group spoken of as one nature.
    add(
        words.iter().enumerate().any(|(i, w)| {
            let rest = &words[i + 1..];
            let after = match rest {
                [kind, verb, ..]
                    if matches!(*kind, "people" | "men" | "women" | "kids" | "folk") && IS.contains(verb) =>
                {
                    2
                }
                [verb, ..] if IS.contains(verb) => 1,
                _ => return false,
            };
            GROUPS.contains(w) && rest[after..].iter().take(3).any(|t| TRAITS.contains(t))
        }),
        "cue:essence",
    );
    // "you are an idiot", "you pathetic loser", "you are such a clueless fool": contempt
    // within four words of "you"; "idiots like you": an insult just before it.
    let you = &["you", "you're", "your", "ur", "u", "ya", "yourself"][..];
    add(followed(&words, you, 4, CONTEMPT) || followed(&words, INSULT, 2, you), "cue:contempt-you");
    cues
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spam_signs_are_read_and_ordinary_words_are_not() {
        assert!(spam_cues("Like this comment if you agree and follow me").contains(&"cue:engagement"));
        assert!(spam_cues("Replica watches, 70% off, order now").contains(&"cue:selling"));
        assert!(spam_cues("I make passive income from home, ask me how").contains(&"cue:rich"));
        assert!(spam_cues("Message me on WhatsApp").contains(&"cue:contact"));
        assert!(spam_cues("see bestpills.com/offer or adf.ly / x").contains(&"cue:bare-domain"));
        assert!(!spam_cues("At 9 a.m. the U.S. envoy, e.g. Mr. Smith, spoke.").contains(&"cue:bare-domain"));
        assert_eq!(spam_cues("Please check out my channel!"), ["cue:my-channel", "cue:check-out"]);
        assert!(spam_cues("Call 0800 123 4567 to claim your £500").contains(&"cue:phone"));
        assert!(spam_cues("Call 0800 123 4567 to claim your £500").contains(&"cue:money"));
        assert!(spam_cues("write to me at ann@example.org").contains(&"cue:email"));
        assert!(spam_cues("go to bestpills dot com").contains(&"cue:spelled-link"));
        assert!(spam_cues("The vote was 52 to 48 in 2016, I agree with you.").is_empty());
        assert!(spam_cues("Call now to claim your prize").contains(&"cue:act"));
        assert!(!spam_cues("A fact check of the minister's claim on knife crime").contains(&"cue:act"));
    }

    #[test]
    fn signs_of_abuse_are_read_and_argument_is_not() {
        assert!(of("Immigrants are vermin and should all be wiped out.").contains(&"cue:wish-harm"));
        assert!(of("Immigrants are vermin and should all be wiped out.").contains(&"cue:vermin"));
        assert!(of("I know where you live, and you will pay for this article.").contains(&"cue:threat"));
        assert!(of("Do everyone a favour and kill yourself").contains(&"cue:self-harm"));
        assert!(of("You are a pathetic little man").contains(&"cue:contempt-you"));
        assert!(of("These people are criminals by nature").contains(&"cue:essence"));
        assert!(of("Someone should pay him a visit with a cricket bat").contains(&"cue:threat"));
        assert!(of("Someone should pay him a visit with a cricket bat").contains(&"cue:weapon"));
        assert!(of("Still single? Still living with your parents?").contains(&"cue:personal"));
        assert!(of("you are such a clueless fool").contains(&"cue:contempt-you"));
        assert!(of("They are all the same, every single one").contains(&"cue:essence"));
        assert!(of("The minister lied about the budget and should resign before the election.").is_empty());
        assert!(
            of("I disagree with the council's plan, and I will say so at the meeting on Tuesday.").is_empty()
        );
    }

    #[test]
    fn threats_insults_and_wishes_of_harm_are_read_in_their_general_form() {
        assert!(of("I'm going to kill you and your whole family").contains(&"cue:threat-direct"));
        assert!(of("we will burn your house down").contains(&"cue:threat-direct"));
        assert!(of("I hope you die slowly").contains(&"cue:hope-harm"));
        assert!(of("Mark my words, you'll be sorry").contains(&"cue:threat"));
        assert!(of("What a complete moron").contains(&"cue:insult"));
        assert!(of("idiots like you should not vote").contains(&"cue:contempt-you"));
        assert!(of("They are animals, all of them").contains(&"cue:beasts"));
        assert!(of("Muslim women are lazy and dishonest").contains(&"cue:essence"));
        assert!(of("Albanians are mostly criminals, all of them").contains(&"cue:essence"));
        for debate in [
            "The Chinese government is corrupt and the court said so.",
            "Immigrants are less likely to be criminals than people born here.",
            "Russians are voting on Sunday, and the count will be slow.",
        ] {
            assert!(!of(debate).contains(&"cue:essence"), "{debate}");
        }
        assert!(of("The minister should be jailed for this").contains(&"cue:wish-punish"));
        assert!(!of("The minister should be jailed for this").contains(&"cue:wish-harm"));
        for benign in [
            "I walk the dogs every morning and the farm animals are well kept.",
            "I find your argument weak and I will say why.",
            "This tax will kill the high street, I hope they drop it.",
            "I hope the bill dies in committee.",
        ] {
            let cues = of(benign);
            for cue in ["cue:beasts", "cue:threat-direct", "cue:insult", "cue:contempt-you", "cue:vermin"] {
                assert!(!cues.contains(&cue), "{benign}: {cue}");
            }
        }
    }
}
