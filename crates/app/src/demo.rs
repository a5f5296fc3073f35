//! The demo site's content: neutral, generated, the same on every machine. About forty
//! articles by five authors under eight tags, a few syndicated from a partner paper, one
//! scheduled and one draft; discussions from a few comments to ten thousand, with deep
//! reply chains and deleted comments kept for their replies; and an admin account. Some
//! stories have an image (abstract, drawn here); an About page, a menu and a (made-up)
//! card payment link make the header and the Give button look as a real site's do.

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
        let images = create_images(store).await?;
        create_articles(store, &images).await?;
        create_discussions(store).await?;
        create_funding(store, tz).await?;
        store.setting_or_insert("demo_content", "created").await?;
        tracing::info!("created the demo content");
    }
    // Its own mark, so that a demo folder made before these existed gets them too.
    if store.setting("demo_navigation").await?.is_none() {
        create_navigation(store).await?;
        store.setting_or_insert("demo_navigation", "created").await?;
    }
    Ok((ADMIN_EMAIL.to_owned(), password))
}

/// Every third story has an image (the newest ones included, so the front page leads
/// with one).
const IMAGE_EVERY: usize = 3;
const IMAGES: usize = 6;
const PALETTES: [([u8; 3], [u8; 3], [u8; 3]); IMAGES] = [
    ([32, 74, 135], [120, 170, 210], [236, 196, 120]),
    ([46, 94, 72], [150, 190, 140], [240, 226, 180]),
    ([120, 52, 48], [214, 132, 96], [248, 220, 190]),
    ([58, 54, 96], [146, 132, 190], [232, 210, 226]),
    ([30, 90, 100], [110, 180, 180], [250, 236, 200]),
    ([90, 80, 60], [190, 170, 130], [242, 238, 226]),
];
const IMAGE_ALTS: [&str; IMAGES] = [
    "Abstract illustration: blue bands with a warm sun",
    "Abstract illustration: green hills under a pale sky",
    "Abstract illustration: red and orange layers",
    "Abstract illustration: violet waves",
    "Abstract illustration: teal water with a light horizon",
    "Abstract illustration: sandy dunes",
];

/// Neutral abstract pictures (soft bands and a disc), stored as uploads are, so they get
/// their narrower copies; returns their `/media/…` paths and descriptions.
async fn create_images(store: &Store) -> Result<Vec<(String, String)>, StoreError> {
    let mut out = Vec::with_capacity(IMAGES);
    for (i, (palette, alt)) in PALETTES.iter().zip(IMAGE_ALTS).enumerate() {
        let bytes = draw(i, *palette);
        let media =
            tribune_core::media::add_media(store, &Inline, None, &format!("demo-{}.jpg", i + 1), bytes, alt)
                .await
                .map_err(|e| StoreError::Database(format!("demo image {i}: {e}")))?;
        out.push((format!("/media/{}", media.name), alt.to_owned()));
    }
    Ok(out)
}

fn draw(seed: usize, (deep, middle, light): ([u8; 3], [u8; 3], [u8; 3])) -> Vec<u8> {
    let (w, h) = (1200u32, 800u32);
    let mix = |a: [u8; 3], b: [u8; 3], t: f32| -> [u8; 3] {
        let t = t.clamp(0.0, 1.0);
        [0, 1, 2].map(|k| (f32::from(a[k]) * (1.0 - t) + f32::from(b[k]) * t) as u8)
    };
    let phase = seed as f32 * 1.7;
    let (cx, cy, r) = (w as f32 * (0.25 + 0.1 * seed as f32 % 0.5), h as f32 * 0.32, h as f32 * 0.16);
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let (xf, yf) = (x as f32 / w as f32, y as f32 / h as f32);
        // A sky from light to middle, then three wavy bands toward the deep colour.
        let mut c = mix(light, middle, yf * 1.2);
        for band in 0..3 {
            let edge = 0.5 + band as f32 * 0.14 + 0.05 * (xf * 6.0 + phase + band as f32).sin();
            if yf > edge {
                c = mix(middle, deep, 0.35 + band as f32 * 0.3);
            }
        }
        let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
        if d < r && yf < 0.55 {
            c = mix(light, [255, 250, 240], 0.6);
        }
        image::Rgb(c)
    });
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 85)
        .encode_image(&img)
        .expect("encoding to memory cannot fail");
    bytes
}

/// An About page, a menu leading to it and to a few tags, and a way to give (a made-up
/// payment link) so that the Give button shows.
async fn create_navigation(store: &Store) -> Result<(), StoreError> {
    use tribune_core::article::ArticleKind;
    use tribune_core::menu::{MenuItem, MenuStore, MenuTarget};
    let about = ArticleInput {
        kind: Some(ArticleKind::Page),
        slug: Some("about".into()),
        title: "About us".into(),
        summary: Some("Who writes this paper, who pays for it, and how to reach us.".into()),
        body_markdown: ABOUT.into(),
        status: Some(ArticleStatus::Published),
        ..Default::default()
    };
    save_article(store, SaveTarget::BySlug, about, None, Utc::now()).await.map_err(|e| match e {
        tribune_core::publishing::PublishError::Store(e) => e,
        e => StoreError::Database(format!("demo about page: {e}")),
    })?;
    let slug = |s: &str| tribune_core::slug::Slug::parse(s).expect("a demo slug");
    let tag = |label: &str, s: &str| MenuItem { label: label.into(), target: MenuTarget::Tag(slug(s)) };
    let menu = [
        tag("Local", "local"),
        tag("Environment", "environment"),
        tag("Culture", "culture"),
        tag("Economy", "economy"),
        tag("Health", "health"),
        MenuItem { label: "About".into(), target: MenuTarget::Page(slug("about")) },
    ];
    store.save_menu(&menu).await?;
    let prefix = tribune_core::site::STORED_PREFIX;
    store
        .change_settings(
            &[(format!("{prefix}support_card_url"), "https://pay.example/demo-gazette".into())],
            &[],
        )
        .await
}

const ABOUT: &str = "We are a small, independent newsroom covering the valley and its towns: \
councils and schools, rivers and buses, clubs and concerts.\n\n\
## Who pays for this\n\n\
Our readers. There is no paywall and no advertising: a monthly goal at the top of every page \
shows how far this month's gifts have come.\n\n\
## Contact\n\n\
Write to the newsroom at news@demo.example. Corrections are published under the article they \
concern.\n\n\
*This is demo content, generated for the Tribune demo site.*\n";

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

async fn create_articles(store: &Store, images: &[(String, String)]) -> Result<(), StoreError> {
    let now = Utc::now();
    let mut rng = Lcg(202_007);
    for i in 0..ARTICLES {
        let mut input = demo_article(&mut rng, i, now);
        if i % IMAGE_EVERY == 0 && !images.is_empty() {
            let (url, alt) = &images[(i / IMAGE_EVERY) % images.len()];
            input.image = Some(url.clone());
            input.image_alt = Some(alt.clone());
        }
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
        kind: None,
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
