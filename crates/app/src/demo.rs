//! The demo site's content: neutral, generated, the same on every machine. About forty
//! articles by five authors under eight tags, a few syndicated from a partner paper, one
//! scheduled and one draft; discussions from a few comments to ten thousand, with deep
//! reply chains and deleted comments kept for their replies; and an admin account.

use chrono::{Duration, Utc};
use tribune_core::article::{ArticleInput, ArticleStatus};
use tribune_core::publishing::{AddUserError, SaveTarget, save_article};
use tribune_core::store::{SettingStore, StoreError};
use tribune_core::user::{NewUser, Role};
use tribune_core::work::Inline;
use tribune_store::Store;

use crate::keys::random_token;
use tribune_core::funding::donations::{FundingError, ManualDonation, add_manual_donation, set_goal};
use tribune_core::funding::guard::Guard;
use tribune_core::funding::month::Month;

pub const ADMIN_EMAIL: &str = "admin@demo.example";
const ARTICLES: usize = 40;

const AUTHORS: [&str; 5] = ["Maya Okafor", "Jonas Lindqvist", "Priya Raman", "Tomás Ferreira", "Elena Novak"];
const TAGS: [&str; 8] =
    ["Local", "Environment", "Culture", "Science", "Economy", "Transport", "Education", "Health"];
const PLACES: [&str; 8] = [
    "Riverside",
    "Northgate",
    "the Old Town",
    "Hillcrest",
    "the harbour district",
    "Millbrook",
    "Eastfield",
    "the valley",
];
const SUBJECTS: [&str; 10] = [
    "library",
    "community garden",
    "bus network",
    "school board",
    "farmers' market",
    "river clean-up",
    "cycling lanes",
    "youth orchestra",
    "health clinic",
    "housing co-operative",
];
const VERBS: [&str; 8] =
    ["expands", "rethinks", "celebrates", "reviews", "opens up", "plans for", "measures", "funds"];
const OBJECTS: [&str; 8] = [
    "its weekend hours",
    "a decade of work",
    "a new budget",
    "its public data",
    "volunteer training",
    "the winter season",
    "a neighbourhood survey",
    "longer opening times",
];
const SENTENCES: [&str; 12] = [
    "Residents who attended the evening meeting asked detailed questions about costs and timing.",
    "The proposal was drafted over several months with input from neighbourhood associations.",
    "Volunteers say the change has already made a visible difference on weekday mornings.",
    "Figures published by the council show a steady rise in use since the spring.",
    "Several local businesses have offered to sponsor the next phase of the project.",
    "Critics argue that the timetable is ambitious and that maintenance costs remain unclear.",
    "A public consultation will run until the end of the month, online and on paper.",
    "Organisers hope to publish a full report, with the raw data, before the next meeting.",
    "The committee will meet again in six weeks to review progress and hear objections.",
    "Older residents in particular welcomed the decision to keep a paper-based option.",
    "Independent reviewers found the plan sound but recommended clearer reporting.",
    "Families interviewed for this article described the service as reliable and friendly.",
];

/// A small deterministic generator, so every demo site has the same content.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next() % items.len()]
    }
}

/// Creates the demo content and admin once; returns the admin's email and password.
pub async fn ensure_demo_content(store: &Store, tz: chrono_tz::Tz) -> Result<(String, String), StoreError> {
    let password = store.setting_or_insert("demo_admin_password", &random_token()[..16]).await?;
    if store.setting("demo_content").await?.is_none() {
        create_admin(store, &password).await?;
        create_articles(store).await?;
        create_discussions(store).await?;
        create_funding(store, tz).await?;
        store.setting_or_insert("demo_content", "created").await?;
        tracing::info!("created the demo content");
    }
    Ok((ADMIN_EMAIL.to_owned(), password))
}

async fn create_admin(store: &Store, password: &str) -> Result<(), StoreError> {
    let admin = NewUser {
        email: ADMIN_EMAIL.into(),
        name: "Demo Admin".into(),
        role: Role::Admin,
        password: password.into(),
    };
    match tribune_core::publishing::add_user(store, &Inline, admin, Utc::now()).await {
        Ok(_) | Err(AddUserError::Invalid(tribune_core::user::UserError::EmailTaken)) => Ok(()),
        Err(AddUserError::Store(e)) => Err(e),
        Err(e @ (AddUserError::Invalid(_) | AddUserError::Busy(_))) => {
            Err(StoreError::Database(e.to_string()))
        }
    }
}

async fn create_articles(store: &Store) -> Result<(), StoreError> {
    let now = Utc::now();
    let mut rng = Lcg(202_007);
    for i in 0..ARTICLES {
        let input = demo_article(&mut rng, i, now);
        // Written a second apart, the newest story last, as a newsroom writes them: the
        // admin's list (newest written first) then reads like the front page.
        let written = now - Duration::seconds(i as i64);
        save_article(store, SaveTarget::BySlug, input, None, written).await.map_err(|e| match e {
            tribune_core::publishing::PublishError::Store(e) => e,
            e => StoreError::Database(format!("demo article {i}: {e}")),
        })?;
    }
    Ok(())
}

fn demo_article(rng: &mut Lcg, i: usize, now: chrono::DateTime<Utc>) -> ArticleInput {
    let subject = rng.pick(&SUBJECTS);
    let place = rng.pick(&PLACES);
    let title = format!("{} {} {} {}", capitalize(place), subject, rng.pick(&VERBS), rng.pick(&OBJECTS));
    let mut authors = vec![AUTHORS[i % AUTHORS.len()].to_owned()];
    if i % 7 == 3 {
        authors.push(AUTHORS[(i + 2) % AUTHORS.len()].to_owned());
    }
    let tags = vec![TAGS[i % TAGS.len()].to_owned(), TAGS[(i * 3 + 1) % TAGS.len()].to_owned()];
    let syndicated = i % 9 == 4;
    let (status, published_at) = match i {
        0 => (ArticleStatus::Scheduled, now + Duration::days(1)),
        1 => (ArticleStatus::Draft, now),
        _ => (ArticleStatus::Published, now - Duration::hours(9 * i as i64 + 2)),
    };
    ArticleInput {
        slug: Some(format!(
            "{}-{}",
            tribune_core::slug::Slug::from_text(&title).map(|s| s.to_string()).unwrap_or_default(),
            i
        )),
        title,
        summary: None,
        body_markdown: body(rng, subject, place),
        status: Some(status),
        published_at: Some(published_at),
        authors,
        tags,
        source_name: syndicated.then(|| "The Valley Courier".to_owned()),
        source_url: syndicated.then(|| format!("https://valley-courier.example/stories/{i}")),
        image: None,
        image_alt: None,
    }
}

fn body(rng: &mut Lcg, subject: &str, place: &str) -> String {
    let mut md = format!(
        "The {subject} in {place} is the subject of a lively local debate this week. {}\n\n",
        rng.pick(&SENTENCES)
    );
    for _ in 0..3 {
        md.push_str(&format!(
            "{} {} {}\n\n",
            rng.pick(&SENTENCES),
            rng.pick(&SENTENCES),
            rng.pick(&SENTENCES)
        ));
    }
    md.push_str("## What happens next\n\n");
    md.push_str(&format!(
        "1. {}\n2. {}\n3. {}\n\n",
        rng.pick(&SENTENCES),
        rng.pick(&SENTENCES),
        rng.pick(&SENTENCES)
    ));
    md.push_str(&format!("> {}\n\n", rng.pick(&SENTENCES)));
    md.push_str(&format!("{} *This article will be updated as the story develops.*\n", rng.pick(&SENTENCES)));
    md
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

const COMMENTERS: [&str; 12] =
    ["Ana", "Bram", "Chidi", "Dana K.", "Emeka", "Fatima", "Georg", "Hana", "Ivo", "June", "Kofi", "Lotte"];
const REMARKS: [&str; 10] = [
    "Thanks for covering this. I went to the meeting and it was packed.",
    "Does anyone know whether the figures include the weekend service?",
    "I *strongly* agree with the second point, less so with the first.",
    "The consultation form is hard to find. Here is what worked for me:\n\n1. Open the council site\n2. Search for the project name\n3. Scroll to the bottom",
    "> The committee will meet again in six weeks\n\nLet's hope they publish the minutes this time.",
    "My family has used this for years and it has always been reliable.",
    "Good reporting, but I would like to see the raw data linked.",
    "Could the paper follow up on the maintenance costs?",
    "This is the kind of story only local news covers. Worth supporting.",
    "I disagree: the timetable is realistic if the volunteers keep at it.",
];

/// How many comments each demo article gets, by its place in the list (0 and 1 are the
/// scheduled and draft articles). The largest shows pages of threads; one is a chain.
const DISCUSSIONS: [(usize, Discussion); 9] = [
    (2, Discussion::Threads(10_000)),
    (3, Discussion::Threads(500)),
    (4, Discussion::Threads(20)),
    (5, Discussion::Chain(300)),
    (6, Discussion::Threads(120)),
    (7, Discussion::Threads(45)),
    (8, Discussion::Threads(8)),
    (10, Discussion::Threads(3)),
    (12, Discussion::Threads(60)),
];

#[derive(Clone, Copy)]
enum Discussion {
    /// Top-level threads with replies to replies, some of them deleted.
    Threads(usize),
    /// One reply to the one before, this deep.
    Chain(usize),
}

async fn create_discussions(store: &Store) -> Result<(), StoreError> {
    use tribune_core::store::{ArticleStore, CommentStore, PageRequest};
    let now = Utc::now();
    let everything = store.all_articles(None, PageRequest::new(1, 1000)).await?.items;
    let mut rng = Lcg(1_999);
    for (index, shape) in DISCUSSIONS {
        let slug_suffix = format!("-{index}");
        let Some(article) = everything.iter().find(|a| a.slug.as_str().ends_with(&slug_suffix)) else {
            continue;
        };
        let started = article.published_at.unwrap_or(now).min(now);
        let comments = generate_discussion(&mut rng, shape, started, now);
        store.import_comments(article.id, &comments).await?;
    }
    Ok(())
}

fn generate_discussion(
    rng: &mut Lcg,
    shape: Discussion,
    started: chrono::DateTime<Utc>,
    now: chrono::DateTime<Utc>,
) -> Vec<tribune_core::store::ImportedComment> {
    use tribune_core::comment::{CommentInput, CommentStatus, validate};
    let count = match shape {
        Discussion::Threads(n) | Discussion::Chain(n) => n,
    };
    let span = (now - started).num_seconds().max(count as i64);
    let mut out: Vec<tribune_core::store::ImportedComment> = Vec::with_capacity(count);
    let mut has_reply = vec![false; count];
    for i in 0..count {
        let parent = match shape {
            Discussion::Chain(_) => i.checked_sub(1),
            // About one comment in ten starts a thread; the others answer a recent one.
            Discussion::Threads(_) if i == 0 || rng.next().is_multiple_of(10) => None,
            Discussion::Threads(_) => Some(i - 1 - rng.next() % i.min(6)),
        };
        if let Some(p) = parent {
            has_reply[p] = true;
        }
        let input = CommentInput {
            body: rng.pick(&REMARKS).to_owned(),
            author_name: Some(rng.pick(&COMMENTERS).to_owned()),
            ..Default::default()
        };
        let comment = validate(&input, None).expect("demo comments are valid");
        let created_at = started + Duration::seconds(span * i as i64 / count as i64);
        out.push(tribune_core::store::ImportedComment {
            parent,
            comment,
            status: CommentStatus::Published,
            created_at,
            source: None,
        });
    }
    // Now and then a commenter deleted a comment that others had answered: its place stays.
    for (i, c) in out.iter_mut().enumerate() {
        if has_reply[i] && i % 23 == 7 {
            c.status = CommentStatus::Deleted;
            c.comment.body_markdown.clear();
            c.comment.body_html.clear();
        }
    }
    out
}

/// A goal for this month and, so the bar has something to show, a few gifts: some named,
/// one in another currency (recorded, not counted toward the goal).
async fn create_funding(store: &Store, tz: chrono_tz::Tz) -> Result<(), StoreError> {
    let now = Utc::now();
    let month = Month::containing(now, tz);
    let as_store_error = |e: FundingError| match e {
        FundingError::Store(e) => e,
        e => StoreError::Database(format!("demo funding: {e}")),
    };
    let text = Some("Independent local news, paid for by its readers.".to_owned());
    let guard = Guard::default();
    set_goal(store, month, "5000", "USD", &["0".into(), "2500".into(), "5000".into()], text, guard, now)
        .await
        .map_err(as_store_error)?;
    let gifts = [
        ("120.00", "USD", Some("Ines Moreau")),
        ("50", "USD", None),
        ("25.50", "USD", Some("Dev Patel")),
        ("112", "USD", None),
        ("40", "EUR", Some("Lena Vogel")),
    ];
    for (amount, currency, donor) in gifts {
        let gift = ManualDonation {
            amount: amount.into(),
            currency: currency.into(),
            date: Some(now.with_timezone(&tz).date_naive()),
            donor: donor.map(str::to_owned),
            note: Some("demo".into()),
        };
        add_manual_donation(store, gift, guard, tz, now).await.map_err(as_store_error)?;
    }
    Ok(())
}
