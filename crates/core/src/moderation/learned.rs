//! The learned filter: a logistic regression over hashed words and character n-grams that
//! tells spam and abuse from ordinary comments. Shipped trained on the repository's
//! labelled `train` split, and taught further by moderators' decisions, one example at a
//! time: counts only add up, so every node that applies the same examples has the same model.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use chrono::{DateTime, Utc};

use super::{Candidate, Outcome, Reason, Signal, cues, links, normalized};
use crate::store::{FilterExample, FilterStore, StoreError};

/// What the filter tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    Benign = 0,
    Spam = 1,
    Abuse = 2,
}

impl Class {
    pub const ALL: [Class; 3] = [Class::Benign, Class::Spam, Class::Abuse];

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Benign => "benign",
            Class::Spam => "spam",
            Class::Abuse => "abuse",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Class::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Hashed features live in this many buckets: collisions are rare at a comment's few
/// hundred features, and ids stay small enough to store as text.
const BUCKETS: u32 = 1 << 20;

/// FNV-1a: stable across platforms and releases, which the stored features rely on.
fn hash(kind: u8, s: &str) -> u32 {
    hash_joined(kind, &[s])
}

/// [`hash`] of `parts` written one after the other, without making that string: a
/// comment has hundreds of n-grams, and allocating each was a good part of its reading.
fn hash_joined(kind: u8, parts: &[&str]) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(kind);
    for b in parts.iter().flat_map(|part| part.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % u64::from(BUCKETS)) as u32
}

/// The text the model reads: normalised, links cut out (the links signal judges them; a
/// model that sees them learns "a link means spam"), digits folded, letters repeated for
/// emphasis squeezed.
fn model_text(body: &str) -> String {
    let text = links::without_links(body);
    let mut out = String::with_capacity(text.len());
    for c in normalized(&text).chars() {
        let c = if c.is_numeric() { '0' } else { c };
        let keep = if c.is_alphanumeric() { c } else { ' ' };
        if !(out.ends_with(keep) && out.chars().rev().take(2).all(|p| p == keep)) {
            out.push(keep);
        }
    }
    out
}

/// How many features each sign of spam or abuse counts as.
const CUE_COPIES: u8 = 6;

/// A comment's features, each counted once: words, word pairs, and character 3- to
/// 5-grams inside words (which survive spelling games and inflection).
pub fn features(body: &str) -> Vec<u32> {
    reading(body).0
}

/// A comment's features, and whether there is enough of it to judge: [`MIN_WORDS`] words
/// of its own, or a sign of spam or abuse. Its text and signs are read once.
fn reading(body: &str) -> (Vec<u32>, bool) {
    let text = model_text(body);
    let words: Vec<&str> = text.split_whitespace().collect();
    let cues = cues::of(body);
    let enough = words.len() >= MIN_WORDS || !cues.is_empty();
    let mut out = Vec::with_capacity(words.len() * 8);
    // The word between `<` and `>`, and where each of its characters starts.
    let (mut padded, mut starts) = (String::new(), Vec::new());
    for (i, w) in words.iter().enumerate() {
        out.push(hash(1, w));
        if let Some(next) = words.get(i + 1) {
            out.push(hash_joined(2, &[w, " ", next]));
        }
        padded.clear();
        padded.extend(['<'].into_iter().chain(w.chars()).chain(['>']));
        starts.clear();
        starts.extend(padded.char_indices().map(|(at, _)| at).chain([padded.len()]));
        // The character n-grams, as slices of `padded` from one start to the n-th next.
        for n in 3..=5 {
            out.extend(starts.windows(n + 1).map(|w| hash(3, &padded[w[0]..w[n]])));
        }
    }
    // A sign weighs as much as a few words: among a long comment's hundreds of n-grams,
    // one feature would barely move the score, however sure the sign.
    for cue in cues {
        out.extend((0..CUE_COPIES).map(|copy| hash(4 + copy, cue)));
    }
    out.sort_unstable();
    out.dedup();
    (out, enough)
}

/// Features as stored: ids separated by spaces.
pub fn features_to_text(features: &[u32]) -> String {
    features.iter().map(u32::to_string).collect::<Vec<_>>().join(" ")
}

/// Stored features back to ids; `None` if the text was not written by [`features_to_text`].
pub fn features_from_text(text: &str) -> Option<Vec<u32>> {
    text.split_whitespace().map(|id| id.parse().ok().filter(|&i| i < BUCKETS)).collect()
}

/// Logistic regression over the three classes (a softmax), each feature weighing
/// 1/sqrt(n) so long and short comments count alike. Chosen over naive Bayes by
/// cross-validation on the train split: at the same share of ordinary comments held, it
/// catches about ten points more spam and abuse (data/moderation/README.md).
#[derive(Debug, Clone)]
pub struct Model {
    buckets: Buckets,
    bias: [f32; 3],
}

/// One hashed feature's weights, one per class, and the sum of its squared gradients
/// (AdaGrad): a feature seen in thousands of comments ("the", "are") has settled and
/// moves little; one seen only in a new campaign moves at once. So later decisions teach
/// what is new about them without unlearning the common words.
#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    weights: [f32; 3],
    seen: f32,
}

/// Where a model keeps its buckets. The shipped model keeps only those its training
/// touches (fitting never holds all 2^20: a 16 MiB table, once freed, left glibc keeping
/// the heap it grew afterwards); a site's model is the shipped one with what its
/// moderators' decisions changed on top, so every model in a process shares one copy.
#[derive(Debug, Clone)]
enum Buckets {
    /// The buckets in use; any other is zero.
    Used(UsedBuckets),
    Over(&'static Model, HashMap<u32, Bucket>),
}

impl Buckets {
    fn get(&self, i: u32) -> Bucket {
        match self {
            Buckets::Used(used) => used.place(i).map_or_else(|_| Bucket::default(), |k| used.buckets[k]),
            Buckets::Over(base, changed) => changed.get(&i).copied().unwrap_or_else(|| base.buckets.get(i)),
        }
    }

    fn get_mut(&mut self, i: u32) -> &mut Bucket {
        match self {
            // Fitting, and a copy of the shipped model learning (tests); sites use `Over`.
            Buckets::Used(used) => used.get_mut(i),
            Buckets::Over(base, changed) => changed.entry(i).or_insert_with(|| base.buckets.get(i)),
        }
    }
}

/// The buckets in use, found by rank: bit `i` of `present` says whether bucket `i` is in
/// use, and its place in `buckets` is the number of bits set before it (`before` holds
/// that count at the start of each 64-bit word). Its lookup takes 192 KiB for the 1M
/// buckets and two reads, where a sorted list of indexes took 4 bytes a bucket in use and
/// a binary search (a twentieth of a comment post's CPU).
#[derive(Debug, Clone)]
struct UsedBuckets {
    present: Vec<u64>,
    before: Vec<u32>,
    buckets: Vec<Bucket>,
}

impl UsedBuckets {
    /// No bucket in use: the lookup's two tables, made before what their buckets are.
    fn none() -> UsedBuckets {
        let words = (BUCKETS / 64) as usize;
        UsedBuckets { present: vec![0; words], before: vec![0; words], buckets: Vec::new() }
    }

    /// These tables, still empty, with a zeroed bucket for each of these indexes (below
    /// `BUCKETS`, in any order, repeats allowed).
    fn with_room_for(mut self, indexes: impl IntoIterator<Item = u32>) -> UsedBuckets {
        for i in indexes {
            self.present[(i / 64) as usize] |= 1 << (i % 64);
        }
        let mut count = 0u32;
        for (before, bits) in self.before.iter_mut().zip(&self.present) {
            *before = count;
            count += bits.count_ones();
        }
        self.buckets = vec![Bucket::default(); count as usize];
        self
    }

    /// Where bucket `i` is in `buckets`, or where it would go.
    fn place(&self, i: u32) -> Result<usize, usize> {
        let (word, bit) = ((i / 64) as usize, i % 64);
        let bits = self.present[word];
        let rank = self.before[word] as usize + (bits & ((1u64 << bit) - 1)).count_ones() as usize;
        if bits >> bit & 1 == 1 { Ok(rank) } else { Err(rank) }
    }

    fn get_mut(&mut self, i: u32) -> &mut Bucket {
        let k = self.place(i).unwrap_or_else(|k| {
            let word = (i / 64) as usize;
            self.present[word] |= 1 << (i % 64);
            self.before[word + 1..].iter_mut().for_each(|count| *count += 1);
            self.buckets.insert(k, Bucket::default());
            k
        });
        &mut self.buckets[k]
    }
}

impl Model {
    /// A model that starts as `base` and keeps only what it learns beyond it.
    fn on_top_of(base: &'static Model) -> Model {
        Model { buckets: Buckets::Over(base, HashMap::new()), bias: base.bias }
    }
}

/// The shipped model's passes over the train split, and its first step size.
pub(crate) const EPOCHS: usize = 5;
pub(crate) const RATE: f32 = 2.0;
/// The step size of one example learned later. With AdaGrad a new feature moves at once
/// while common ones have settled. Measured by bench/moderation.sh: twice this step caught
/// 0.6 points more spam after 200 decisions but held 0.3 points more ordinary comments.
const ONLINE_RATE: f32 = 0.5;
/// A moderator's decision is strong evidence: up to this many steps, until the model
/// agrees with it.
const ONLINE_STEPS: usize = 2;
/// An example the model already gives this probability teaches it nothing more.
const KNOWN: f64 = 0.95;

impl Model {
    /// The probability of each class for a comment with these features.
    pub fn probabilities(&self, features: &[u32]) -> [f64; 3] {
        let v = 1.0 / (features.len().max(1) as f32).sqrt();
        let mut logits = self.bias;
        for f in features {
            let w = self.buckets.get(f % BUCKETS).weights;
            for (logit, weight) in logits.iter_mut().zip(w) {
                *logit += weight * v;
            }
        }
        softmax(logits.map(f64::from))
    }

    /// One step of gradient descent on one example (the bias moves too, when fitting).
    fn step(&mut self, class: Class, features: &[u32], rate: f32, bias: bool) {
        let p = self.probabilities(features);
        let v = 1.0 / (features.len().max(1) as f32).sqrt();
        let grad: [f32; 3] =
            std::array::from_fn(|c| p[c] as f32 - if c == class as usize { 1.0 } else { 0.0 });
        if bias {
            for (b, g) in self.bias.iter_mut().zip(grad) {
                *b -= rate * g * 0.1;
            }
        }
        let g2: f32 = grad.iter().map(|g| (g * v) * (g * v)).sum();
        for f in features {
            let bucket = self.buckets.get_mut(f % BUCKETS);
            bucket.seen += g2;
            let step = rate * v / (1.0 + bucket.seen).sqrt();
            for (weight, g) in bucket.weights.iter_mut().zip(grad) {
                *weight -= step * g;
            }
        }
    }

    /// Teaches the model one example learned after shipping (a moderator's decision).
    /// Only what it does not already know moves it, and never the classes' base rates: a
    /// day of approving ordinary comments must not make it forget what abuse looks like.
    /// Deterministic, so every node that applies the same examples in the same order has
    /// the same model.
    pub fn learn(&mut self, class: Class, features: &[u32]) {
        for _ in 0..ONLINE_STEPS {
            if self.probabilities(features)[class as usize] >= KNOWN {
                break;
            }
            self.step(class, features, ONLINE_RATE, false);
        }
    }

    /// Several passes over `examples` in a fixed shuffled order, the step size decaying.
    pub fn fit(examples: &[(Class, Vec<u32>)], epochs: usize, rate: f32) -> Self {
        Model::fit_in(UsedBuckets::none(), examples, epochs, rate)
    }

    /// `fit` with the buckets' lookup tables made beforehand (see `fit_shipped`).
    fn fit_in(tables: UsedBuckets, examples: &[(Class, Vec<u32>)], epochs: usize, rate: f32) -> Self {
        let used = tables.with_room_for(examples.iter().flat_map(|(_, f)| f.iter().map(|i| i % BUCKETS)));
        let mut model = Model { buckets: Buckets::Used(used), bias: [0.0; 3] };
        let mut order: Vec<usize> = (0..examples.len()).collect();
        let mut seed: u64 = 8;
        for epoch in 0..epochs {
            for i in (1..order.len()).rev() {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                order.swap(i, (seed >> 33) as usize % (i + 1));
            }
            let r = rate / (1.0 + epoch as f32).sqrt();
            for &i in &order {
                model.step(examples[i].0, &examples[i].1, r, true);
            }
        }
        model
    }

    /// The most likely class that is not benign, and its probability.
    pub fn worst(&self, body: &str) -> (Class, f64) {
        let p = self.probabilities(&features(body));
        if p[Class::Spam as usize] >= p[Class::Abuse as usize] {
            (Class::Spam, p[Class::Spam as usize])
        } else {
            (Class::Abuse, p[Class::Abuse as usize])
        }
    }
}

fn softmax(logits: [f64; 3]) -> [f64; 3] {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exp = logits.map(|l| (l - max).exp());
    let sum: f64 = exp.iter().sum();
    exp.map(|e| e / sum)
}

/// The labelled items the shipped model learns from (data/moderation/train.jsonl).
const TRAIN: &str = include_str!("../../../../data/moderation/train.jsonl");

/// One labelled item of a JSONL file, as the sets and `tribune moderation train` hold them.
#[derive(Debug, serde::Deserialize)]
pub struct Labelled {
    pub label: String,
    pub body: String,
}

/// The model every site starts from, trained once per process from the shipped split.
pub fn shipped() -> &'static Model {
    static SHIPPED: OnceLock<Model> = OnceLock::new();
    SHIPPED.get_or_init(|| {
        std::thread::scope(|s| s.spawn(fit_shipped).join()).expect("fitting the shipped model")
    })
}

/// Fits the shipped model on a thread of its own, the lookup tables of its buckets
/// allocated before the features of every train item (about 5 MB): freed last, those lie
/// at the top of the thread's arena, which glibc then gives back (the buckets themselves,
/// 1.4 MiB, are a mapping of their own). Fitted on a serving thread, or with the tables
/// made after them, they left holes that it kept for good: a node's idle RSS was
/// 29.9–30.2 MiB, and is 25.1–25.2.
fn fit_shipped() -> Model {
    let tables = UsedBuckets::none();
    let examples: Vec<(Class, Vec<u32>)> = TRAIN
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let item: Labelled = serde_json::from_str(line).expect("the shipped train split is valid JSONL");
            let class = Class::parse(&item.label).expect("the shipped train split has known labels");
            (class, features(&item.body))
        })
        .collect();
    Model::fit_in(tables, &examples, EPOCHS, RATE)
}

/// The model a site scores with, shared by the pipeline and whatever teaches it, and the
/// id of the last stored example applied (examples are applied in id order, once). Made
/// from the shipped model on first use, so commands that judge no comment never train it.
#[derive(Debug, Clone, Default)]
pub struct SharedModel(Arc<OnceLock<RwLock<(Model, i64)>>>);

impl SharedModel {
    fn lock(&self) -> &RwLock<(Model, i64)> {
        self.0.get_or_init(|| RwLock::new((Model::on_top_of(shipped()), 0)))
    }

    /// The id of the last stored example this model has learned.
    pub fn applied_through(&self) -> i64 {
        self.lock().read().map_or(0, |g| g.1)
    }

    /// Applies stored examples `(id, class, features)` in id order, skipping any already
    /// applied, so two refreshes racing each other learn each example once.
    pub fn apply(&self, examples: &[(i64, Class, Vec<u32>)]) {
        let Ok(mut guard) = self.lock().write() else { return };
        for (id, class, features) in examples {
            if *id > guard.1 {
                guard.0.learn(*class, features);
                guard.1 = *id;
            }
        }
    }

    /// The probability of each class for a comment with these features.
    pub fn probabilities(&self, features: &[u32]) -> [f64; 3] {
        self.lock().read().map_or([1.0, 0.0, 0.0], |g| g.0.probabilities(features))
    }

    pub fn worst(&self, body: &str) -> (Class, f64) {
        self.lock().read().map_or((Class::Benign, 0.0), |g| g.0.worst(body))
    }
}

#[cfg(test)]
impl SharedModel {
    /// Scores with `model` from now on: measurements that fit a model of their own.
    pub(crate) fn replace(&self, model: Model) {
        if let Ok(mut guard) = self.lock().write() {
            *guard = (model, 0);
        }
    }
}

/// Applies the examples stored since this model last looked; how many were new.
pub async fn refresh<S: FilterStore>(store: &S, model: &SharedModel) -> Result<usize, StoreError> {
    let examples = store.filter_examples_after(model.applied_through()).await?;
    model.apply(&examples);
    Ok(examples.len())
}

/// Teaches every node labelled texts (`tribune moderation train`): stored in one
/// transaction, then applied here.
pub async fn teach<S: FilterStore>(
    store: &S,
    model: &SharedModel,
    texts: &[(Class, &str)],
    source: &str,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let examples: Vec<FilterExample> = texts
        .iter()
        .map(|(class, body)| FilterExample {
            class: *class,
            features: features(body),
            source: source.to_owned(),
        })
        .collect();
    store.append_filter_examples(&examples, now).await?;
    refresh(store, model).await
}

/// The learned filter as a signal: holds (never refuses: a model can be wrong) a comment
/// it finds spam or abuse with at least `threshold` probability.
#[derive(Debug, Clone)]
pub struct Learned {
    pub model: SharedModel,
    pub threshold: f64,
}

/// The default threshold: by cross-validation on the train split, the model alone holds
/// under 1% of ordinary comments there (data/moderation/README.md).
pub const THRESHOLD: f64 = 0.85;

/// Spam is held this much below the threshold (0.60 by default): by cross-validation on the
/// train split (`cross_validation` below) the model then catches 85% of spam there, against
/// 78% at 0.85, for 0.3% of ordinary comments held as spam; lower, ordinary comments held
/// as spam double (0.7% at 0.50). Abuse keeps the full bar: there, a lower one costs more
/// (at 0.70, 1.6% of ordinary comments held as abuse, against 0.8%).
const SPAM_MARGIN: f64 = 0.25;

/// Fewer words than this are too little evidence ("I agree with you." read as spam at 96%):
/// short comments are left to the other signals (a link with hardly any text is held),
/// unless they carry a sign of spam ("check out my channel", a phone number).
const MIN_WORDS: usize = 6;

impl Signal for Learned {
    fn judge(&self, c: &Candidate<'_>) -> Option<Reason> {
        let (features, enough) = reading(c.body);
        if !enough {
            return None;
        }
        let p = self.model.probabilities(&features);
        let (spam, abuse) = (p[Class::Spam as usize], p[Class::Abuse as usize]);
        let (class, p) = if spam >= self.threshold - SPAM_MARGIN && spam >= abuse {
            (Class::Spam, spam)
        } else {
            (Class::Abuse, abuse)
        };
        let threshold = if class == Class::Spam { self.threshold - SPAM_MARGIN } else { self.threshold };
        if self.threshold > 1.0 {
            return None;
        }
        let reason = |detail: String, p: f64| Reason {
            signal: "learned filter",
            outcome: Outcome::Hold,
            detail,
            score: p as f32,
        };
        if p >= threshold {
            return Some(reason(format!("looks like {} ({:.0}% likely)", class.as_str(), p * 100.0), p));
        }
        // Sure it is not an ordinary comment, though torn between spam and abuse (a hateful
        // rant with a link, a scam that insults): the threshold holds for the two together.
        let either = spam + abuse;
        let class = if spam >= abuse { Class::Spam } else { Class::Abuse };
        (either >= self.threshold).then(|| {
            reason(
                format!(
                    "looks like spam or abuse ({:.0}% likely), most like {}",
                    either * 100.0,
                    class.as_str()
                ),
                either,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Features are stored with moderators' decisions: the same text must keep reading as
    /// the same ids. Here against the n-grams spelled out as strings, as they were first.
    #[test]
    fn a_text_reads_as_the_same_features_as_its_spelled_out_ngrams() {
        for body in
            ["Buy cheap pills now at my shop", "Ça va? Naïve café… 日本語 ok", "a", "Whaaaat 12345 you idiot"]
        {
            let text = model_text(body);
            let words: Vec<&str> = text.split_whitespace().collect();
            let mut spelled = Vec::new();
            for (i, w) in words.iter().enumerate() {
                spelled.push(hash(1, w));
                if let Some(next) = words.get(i + 1) {
                    spelled.push(hash(2, &format!("{w} {next}")));
                }
                let padded: Vec<char> = format!("<{w}>").chars().collect();
                for n in 3..=5 {
                    spelled.extend(padded.windows(n).map(|g| hash(3, &g.iter().collect::<String>())));
                }
            }
            for cue in cues::of(body) {
                spelled.extend((0..CUE_COPIES).map(|copy| hash(4 + copy, cue)));
            }
            spelled.sort_unstable();
            spelled.dedup();
            assert_eq!(reading(body).0, spelled, "{body}");
        }
    }

    /// Cross-validation on the train split, for choosing the step sizes and the threshold
    /// without looking at the eval split: for each fifth, a model fitted on three other
    /// fifths is scored on it, then taught 200 items of the remaining fifth as decisions and
    /// scored again. `CV="EPOCHS,RATE ..." cargo test -p tribune-core --lib
    /// cross_validation -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn cross_validation() {
        let items: Vec<(Class, Vec<u32>, String, bool)> = TRAIN
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let kind = v["kind"].as_str().or(v["source"].as_str()).unwrap().to_owned();
                let body = v["body"].as_str().unwrap();
                let (features, judged) = reading(body);
                (Class::parse(v["label"].as_str().unwrap()).unwrap(), features, kind, judged)
            })
            .collect();
        let configs = std::env::var("CV").unwrap_or_else(|_| format!("{EPOCHS},{RATE}"));
        for config in configs.split(' ') {
            let v: Vec<f32> = config.split(',').map(|x| x.parse().unwrap()).collect();
            let (mut before, mut after) = (Vec::new(), Vec::new());
            for fold in 0..5 {
                let part = |i: usize| i % 5;
                let train: Vec<(Class, Vec<u32>)> = items
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| part(*i) != fold && part(*i) != (fold + 1) % 5)
                    .map(|(_, it)| (it.0, it.1.clone()))
                    .collect();
                let mut model = Model::fit(&train, v[0] as usize, v[1]);
                let test: Vec<_> =
                    items.iter().enumerate().filter(|(i, _)| part(*i) == fold).map(|(_, it)| it).collect();
                let score = |m: &Model, out: &mut Vec<(Class, [f64; 2], String)>| {
                    for it in &test {
                        let p = if it.3 { m.probabilities(&it.1) } else { [1.0, 0.0, 0.0] };
                        out.push((it.0, [p[1], p[2]], it.2.clone()));
                    }
                };
                score(&model, &mut before);
                for it in items
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| part(*i) == (fold + 1) % 5)
                    .map(|(_, it)| it)
                    .take(200)
                {
                    model.learn(it.0, &it.1);
                }
                score(&model, &mut after);
            }
            for threshold in [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9] {
                for (name, scored) in [("shipped", &before), ("+200", &after)] {
                    let share = |class: Class, kind: Option<&str>, i: usize| {
                        let group: Vec<_> =
                            scored.iter().filter(|s| s.0 == class && kind.is_none_or(|k| s.2 == k)).collect();
                        group.iter().filter(|s| s.1[i] >= threshold).count() as f64
                            / group.len().max(1) as f64
                    };
                    println!(
                        "{config} {threshold:.2} {name:>7}: spam {:.3} abuse {:.3} (no profanity {:.3}) benign as spam {:.3} as abuse {:.3} (youtube {:.3}/{:.3} davidson {:.3}/{:.3} political {:.3}/{:.3} link {:.3}/{:.3})",
                        share(Class::Spam, None, 0),
                        share(Class::Abuse, None, 1),
                        share(Class::Abuse, Some("hate-no-profanity"), 1),
                        share(Class::Benign, None, 0),
                        share(Class::Benign, None, 1),
                        share(Class::Benign, Some("youtube-spam"), 0),
                        share(Class::Benign, Some("youtube-spam"), 1),
                        share(Class::Benign, Some("davidson-hate-offensive"), 0),
                        share(Class::Benign, Some("davidson-hate-offensive"), 1),
                        share(Class::Benign, Some("political"), 0),
                        share(Class::Benign, Some("political"), 1),
                        share(Class::Benign, Some("link"), 0),
                        share(Class::Benign, Some("link"), 1),
                    );
                }
            }
        }
    }

    #[test]
    fn short_comments_are_too_little_evidence() {
        let signal = Learned { model: SharedModel::default(), threshold: THRESHOLD };
        for body in ["I agree with you.", "A comment to render.", "Check this out."] {
            assert_eq!(signal.judge(&Candidate { body, author_name: "Ann" }), None, "{body}");
        }
    }

    #[test]
    fn a_short_comment_with_a_sign_of_spam_is_judged() {
        let signal = Learned { model: SharedModel::default(), threshold: THRESHOLD };
        let held = signal.judge(&Candidate { body: "Check out my channel please", author_name: "Ann" });
        assert_eq!(held.map(|r| r.outcome), Some(Outcome::Hold));
    }

    #[test]
    fn a_comment_sure_not_ordinary_but_torn_between_spam_and_abuse_is_held() {
        let body = "a rant that both sells and insults its readers";
        // Every feature of the comment points to spam and to abuse alike: half and half.
        let f = features(body);
        // No pass: a zero model with a bucket for each of the comment's features.
        let mut model = Model::fit(&[(Class::Spam, f.clone())], 0, RATE);
        let w = 5.0 / (f.len() as f32).sqrt();
        for i in &f {
            model.buckets.get_mut(*i).weights = [0.0, w, w];
        }
        let p = model.probabilities(&features(body));
        assert!(
            p[Class::Spam as usize] < THRESHOLD - SPAM_MARGIN && p[Class::Abuse as usize] < THRESHOLD,
            "{p:?}"
        );
        let signal = Learned {
            model: SharedModel(Arc::new(OnceLock::from(RwLock::new((model, 0))))),
            threshold: THRESHOLD,
        };
        let held = signal.judge(&Candidate { body, author_name: "Ann" }).expect("held");
        assert!(held.detail.starts_with("looks like spam or abuse"), "{}", held.detail);
    }

    #[test]
    fn links_are_not_what_the_model_reads() {
        assert_eq!(
            features("The report is here https://www.reuters.com/world/x and it is clear."),
            features("The report is here and it is clear.")
        );
        assert_eq!(features("sooooo 2024"), features("soo 1999"));
    }

    #[test]
    fn stored_features_read_back_and_bad_text_is_refused() {
        let f = features("a comment, stored as features");
        assert_eq!(features_from_text(&features_to_text(&f)), Some(f));
        assert_eq!(features_from_text("12 x"), None);
    }

    #[test]
    fn the_buckets_in_use_are_found_as_in_a_full_list_and_learn_alike() {
        let mut all = vec![Bucket::default(); BUCKETS as usize];
        let mut used =
            Buckets::Used(UsedBuckets::none().with_room_for([999, 0, 1, 63, 64, 65, 127, 500, 64]));
        for i in [0, 1, 63, 64, 65, 127, 500, 999] {
            all[i] = Bucket { weights: [i as f32, 1.0, 2.0], seen: 1.0 };
            *used.get_mut(i as u32) = all[i];
        }
        let same = |used: &Buckets, all: &[Bucket]| {
            (0..all.len() as u32).all(|i| {
                let (a, b) = (used.get(i), all[i as usize]);
                a.weights == b.weights && a.seen == b.seen
            })
        };
        assert!(same(&used, &all));
        // A bucket learned for the first time moves none of the others.
        used.get_mut(70).weights = [7.0; 3];
        all[70].weights = [7.0; 3];
        used.get_mut(1).seen = 5.0;
        all[1].seen = 5.0;
        assert!(same(&used, &all));
    }

    #[test]
    fn the_shipped_model_keeps_only_the_buckets_it_uses_and_a_site_only_what_it_learns() {
        let Buckets::Used(used) = &shipped().buckets else { panic!("the shipped model is compact") };
        assert!(used.buckets.len() < BUCKETS as usize / 2, "{} buckets in use", used.buckets.len());
        let site = SharedModel::default();
        // Not already sure spam (the model would learn nothing from it).
        let body = "Quantum widgets are the finest in the land, ask at the corner of Mill Road";
        let before = site.probabilities(&features(body));
        assert_eq!(before, shipped().probabilities(&features(body)), "a site starts as the shipped model");
        site.apply(&[(1, Class::Spam, features(body))]);
        assert!(site.probabilities(&features(body))[Class::Spam as usize] > before[Class::Spam as usize]);
        let guard = site.lock().read().unwrap();
        let Buckets::Over(_, changed) = &guard.0.buckets else { panic!("a site's model is an overlay") };
        assert!(changed.len() <= features(body).len(), "only the example's buckets were copied");
        assert_eq!(shipped().probabilities(&features(body)), before, "the shipped copy is untouched");
    }

    #[test]
    fn the_shipped_model_tells_hate_spam_and_argument_apart() {
        let model = shipped();
        let (class, p) = model.worst("Immigrants are vermin and should be wiped out from our towns.");
        assert_eq!(class, Class::Abuse, "{p}");
        assert!(p >= THRESHOLD, "{p}");
        let (class, p) = model.worst("Make $90 an hour from home, check my profile for details!");
        assert_eq!(class, Class::Spam, "{p}");
        assert!(p >= THRESHOLD, "{p}");
        let (_, p) =
            model.worst("The minister lied about the budget and should resign. See https://apnews.com/x");
        assert!(p < THRESHOLD, "{p}");
    }

    #[test]
    fn examples_apply_once_in_order_and_move_the_model() {
        let shared = SharedModel::default();
        let body = "Quantum widgets are the future, order your widget today";
        let (_, before) = shared.worst(body);
        let examples: Vec<_> = (1..=5).map(|id| (id, Class::Spam, features(body))).collect();
        shared.apply(&examples);
        shared.apply(&examples);
        assert_eq!(shared.applied_through(), 5);
        let (class, after) = shared.worst(body);
        assert_eq!(class, Class::Spam);
        assert!(after > before, "{before} -> {after}");
    }
}
