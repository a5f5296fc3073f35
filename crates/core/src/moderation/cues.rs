//! The signs of spam and abuse that the learned filter reads as pseudo-words, besides the
//! text's own words: each pools many phrasings into one feature, so a campaign or a hateful
//! comment in words the labelled sets never held still shares the evidence of those they did.

use super::{contains_words, links};

/// Every sign found in `body`: of spam, then of abuse.
pub fn of(body: &str) -> Vec<&'static str> {
    let mut cues = spam_cues(body);
    cues.extend(abuse_cues(body));
    cues
}

/// Words that ask the reader to act, or dangle a reward: what spam of every kind says
/// (comment, SMS, e-mail), pooled into one feature each so that a campaign in words the
/// train split never saw still shares the evidence of the ones it did.
const ACT: &[&str] = &[
    "subscribe",
    "subscribers",
    "click",
    "visit",
    "claim",
    "txt",
    "download",
    "register",
    "signup",
    "dial",
    "promo",
];
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
const SELF: &[&str] =
    &["channel", "profile", "page", "video", "videos", "site", "website", "blog", "music", "song", "app"];

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
    add(words.iter().any(|w| ACT.contains(w)), "cue:act");
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

/// Doing harm to people: what a call for violence says, whatever group it names.
const HARM: &[&str] = &[
    "kill",
    "killed",
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
    "rounded",
    "round",
    "culled",
    "cull",
    "hunted",
    "hunt",
    "removed",
    "rid",
    "crushed",
    "die",
    "dead",
    "suffer",
    "raped",
    "rape",
    "punished",
    "whipped",
    "jailed",
    "caged",
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
    "shut",
];
/// Said of people, these make them less than human.
const VERMIN: &[&str] = &[
    "vermin",
    "animals",
    "parasites",
    "rats",
    "cockroaches",
    "roaches",
    "insects",
    "locusts",
    "subhuman",
    "subhumans",
    "savages",
    "beasts",
    "plague",
    "disease",
    "cancer",
    "virus",
    "infestation",
    "filth",
    "scum",
    "trash",
    "apes",
    "monkeys",
    "dogs",
    "pigs",
    "swine",
    "leeches",
    "maggots",
    "breeders",
    "inferior",
    "barbarians",
    "primitive",
    "degenerates",
    "degenerate",
    "mongrels",
    "invaders",
    "infest",
    "infesting",
    "breed",
    "swarm",
    "swarming",
];
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
];
/// What makes a statement about a group one about every member of it.
const ALL: &[&str] = &["all", "every", "always", "never", "each", "entire", "whole", "none"];

/// Going after a person's life, looks or standing rather than what they said.
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
];

/// Signs of abuse: a wish or demand for harm ("should be wiped out"), words that make
/// people vermin, a group spoken of as one nature, a threat, telling someone to end their
/// life, a weapon, going after a person's life or looks, and contempt aimed at "you". Each is one pooled feature; the model learns how much
/// each weighs, and heated argument about a policy rarely carries them.
fn abuse_cues(body: &str) -> Vec<&'static str> {
    let lower = links::without_links(body).to_lowercase().replace('’', "'");
    let words: Vec<&str> =
        lower.split(|c: char| !(c.is_alphanumeric() || c == '\'')).filter(|w| !w.is_empty()).collect();
    let phrase = |list: &[&str]| list.iter().any(|p| contains_words(&lower, p));
    let mut cues = Vec::new();
    let mut add = |yes: bool, cue| {
        if yes {
            cues.push(cue);
        }
    };
    // "should be wiped out", "deserve to die", "must all be rounded up": a modal word, then
    // harm within the next four words.
    add(
        words
            .iter()
            .enumerate()
            .any(|(i, w)| OUGHT.contains(w) && words[i + 1..].iter().take(4).any(|n| HARM.contains(n))),
        "cue:wish-harm",
    );
    add(words.iter().any(|w| VERMIN.contains(w)), "cue:vermin");
    add(phrase(ESSENCE), "cue:essence");
    add(phrase(THREAT), "cue:threat");
    add(phrase(SELF_HARM), "cue:self-harm");
    add(words.iter().any(|w| WEAPON.contains(w)), "cue:weapon");
    add(phrase(PERSONAL), "cue:personal");
    // "immigrants are all thieves", "every one of the muslims", "travellers never work": a
    // group and a word of "all" within three words of each other.
    add(
        words.iter().enumerate().any(|(i, w)| {
            GROUPS.contains(w)
                && words[i.saturating_sub(3)..(i + 4).min(words.len())].iter().any(|n| ALL.contains(n))
        }),
        "cue:group-all",
    );
    // "you are an idiot", "you pathetic loser", "you are such a clueless fool": contempt
    // within four words of "you".
    add(
        words.iter().enumerate().any(|(i, w)| {
            matches!(*w, "you" | "you're" | "your" | "ur" | "u")
                && words[i + 1..].iter().take(4).any(|n| CONTEMPT.contains(n))
        }),
        "cue:contempt-you",
    );
    cues
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spam_signs_are_read_and_ordinary_words_are_not() {
        assert_eq!(spam_cues("Please check out my channel!"), ["cue:my-channel", "cue:check-out"]);
        assert!(spam_cues("Call 0800 123 4567 to claim your £500").contains(&"cue:phone"));
        assert!(spam_cues("Call 0800 123 4567 to claim your £500").contains(&"cue:money"));
        assert!(spam_cues("write to me at ann@example.org").contains(&"cue:email"));
        assert!(spam_cues("go to bestpills dot com").contains(&"cue:spelled-link"));
        assert!(spam_cues("The vote was 52 to 48 in 2016, I agree with you.").is_empty());
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
}
