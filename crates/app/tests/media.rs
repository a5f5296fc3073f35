//! Images, as a publisher and a reader meet them: uploaded in the browser or from the
//! command line, judged by their bytes (a text file named .png is refused, so are a file
//! over the limit and a decompression bomb), stripped of EXIF (a phone's GPS position)
//! and turned upright, resized, served with a year's immutable cache, shown with `srcset`
//! and their size, and deleted only once no article uses them. Both backends.

mod common;

use chrono::{Duration, Utc};
use common::{Browser, TestApp, article, png, tribune_cli};
use image::GenericImageView;
use reqwest::StatusCode;
use tribune_core::user::Role;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    a_png_is_resized_and_served_for_a_year,
    a_phone_photo_loses_its_location_and_stays_upright,
    what_is_not_an_image_or_too_large_is_refused,
    an_image_in_use_cannot_be_deleted,
    articles_show_their_image_with_srcset_and_size,
    the_command_line_adds_the_readme_example,
    body_images_get_their_sizes_even_when_uploaded_after_the_article,
);

/// The marker written in the photo's EXIF description, and its GPS latitude's first bytes.
const SECRET: &[u8] = b"SECRET-PLACE-NEAR-HOME";

/// Uploads through the library's form, as a browser sends it (token first).
async fn upload(b: &Browser, file_name: &str, bytes: &[u8], alt: &str) -> common::Page {
    let csrf = b.csrf().await;
    b.post_multipart(
        "/admin/media",
        &[("csrf", &csrf), ("alt", alt)],
        ("file", file_name, "image/png", bytes),
    )
    .await
}

/// The name an upload redirected to (`/admin/media?added=NAME`).
fn added(page: &common::Page) -> String {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    page.header("location").strip_prefix("/admin/media?added=").expect("back to the library").to_owned()
}

async fn image_at(b: &Browser, path: &str) -> (image::DynamicImage, Vec<u8>) {
    let (status, headers, bytes) = b.get_bytes(path, &[]).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    let declared = headers["content-type"].to_str().unwrap();
    let format = image::guess_format(&bytes).unwrap();
    assert_eq!(declared, format.to_mime_type(), "{path}: the type says what the bytes are");
    (image::load_from_memory(&bytes).unwrap(), bytes)
}

async fn a_png_is_resized_and_served_for_a_year(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let editor = app.signed_in("Erin Editor", Role::Editor).await;
    let name = added(&upload(&editor, "River at Dusk.PNG", &png(2000, 1000), "The river at dusk").await);
    assert_eq!(name, "river-at-dusk.png", "named after the file");

    let reader = app.browser();
    let (full, _) = image_at(&reader, "/media/river-at-dusk.png").await;
    assert_eq!(full.dimensions(), (2000, 1000));
    for (w, h) in [(480, 240), (960, 480), (1600, 800)] {
        let (copy, _) = image_at(&reader, &format!("/media/w{w}/river-at-dusk.png")).await;
        assert_eq!(copy.dimensions(), (w, h), "the {w} px copy");
    }
    assert_eq!(
        reader.get("/media/w1200/river-at-dusk.png").await.status,
        StatusCode::NOT_FOUND,
        "no such copy"
    );
    assert_eq!(reader.get("/media/w480/nothing.png").await.status, StatusCode::NOT_FOUND);

    let (_, headers, _) = reader.get_bytes("/media/river-at-dusk.png", &[]).await;
    assert_eq!(headers["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let (status, again, body) =
        reader.get_bytes("/media/river-at-dusk.png", &[("if-none-match", &etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty() && again["etag"] == etag.as_str());

    // The same picture again is the same image; another one with the same file name gets
    // a name of its own.
    let same = added(&upload(&editor, "copy.png", &png(2000, 1000), "The river again").await);
    assert_eq!(same, "river-at-dusk.png");
    let other = added(&upload(&editor, "river at dusk.png", &png(300, 200), "A smaller river").await);
    assert_eq!(other, "river-at-dusk-2.png");
    let (small, _) = image_at(&reader, "/media/river-at-dusk-2.png").await;
    assert_eq!(small.dimensions(), (300, 200), "never upscaled");
    assert_eq!(reader.get("/media/w480/river-at-dusk-2.png").await.status, StatusCode::NOT_FOUND);

    // The library lists both with their path and Markdown.
    let library = editor.get("/admin/media").await;
    assert!(library.body.contains("/media/river-at-dusk.png"), "{}", library.body);
    assert!(library.body.contains("![The river at dusk](/media/river-at-dusk.png)"));
    assert!(library.body.contains("river-at-dusk-2.png"));
}

/// A JPEG as a phone writes it: an APP1 Exif segment with the orientation (6: turn 90°
/// clockwise to show), a description, and a GPS position.
fn phone_photo(w: u32, h: u32) -> Vec<u8> {
    // The left half red, the right half blue: once turned upright, red is on top.
    let img = image::RgbImage::from_fn(w, h, |x, _| {
        if x < w / 2 { image::Rgb([220, 20, 20]) } else { image::Rgb([20, 20, 220]) }
    });
    let mut jpeg = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90))
        .unwrap();
    let mut tiff: Vec<u8> = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32| {
        t.extend(tag.to_le_bytes());
        t.extend(kind.to_le_bytes());
        t.extend(count.to_le_bytes());
        t.extend(value.to_le_bytes());
    };
    let description_at = 8 + 2 + 3 * 12 + 4;
    let gps_at = (description_at + SECRET.len() as u32 + 1 + 1) & !1;
    tiff.extend(3u16.to_le_bytes());
    entry(&mut tiff, 0x010e, 2, SECRET.len() as u32 + 1, description_at); // ImageDescription
    entry(&mut tiff, 0x0112, 3, 1, 6); // Orientation: rotate 90° clockwise
    entry(&mut tiff, 0x8825, 4, 1, gps_at); // GPS IFD
    tiff.extend(0u32.to_le_bytes());
    tiff.extend(SECRET);
    tiff.push(0);
    tiff.resize(gps_at as usize, 0);
    tiff.extend(2u16.to_le_bytes());
    entry(&mut tiff, 0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0")); // GPSLatitudeRef
    entry(&mut tiff, 0x0002, 5, 3, gps_at + 2 + 2 * 12 + 4); // GPSLatitude
    tiff.extend(0u32.to_le_bytes());
    for (num, den) in [(48u32, 1u32), (51, 1), (2964, 100)] {
        tiff.extend(num.to_le_bytes());
        tiff.extend(den.to_le_bytes());
    }
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let mut out = vec![0xff, 0xd8, 0xff, 0xe1];
    out.extend(u16::try_from(app1.len() + 2).unwrap().to_be_bytes());
    out.extend(app1);
    out.extend(&jpeg[2..]);
    out
}

async fn a_phone_photo_loses_its_location_and_stays_upright(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let photo = phone_photo(1000, 600);
    assert!(photo.windows(SECRET.len()).any(|w| w == SECRET), "the test photo carries its EXIF");
    let author = app.signed_in("Ada Author", Role::Author).await;
    let name = added(&upload(&author, "IMG_2041.jpg", &photo, "A portrait from the market").await);
    assert_eq!(name, "img-2041.jpg");
    let reader = app.browser();
    for (path, size) in [("/media/img-2041.jpg", (600, 1000)), ("/media/w480/img-2041.jpg", (480, 800))] {
        let (img, bytes) = image_at(&reader, path).await;
        assert_eq!(img.dimensions(), size, "{path}: portrait, as the phone showed it");
        let top = img.get_pixel(size.0 / 2, 10);
        let bottom = img.get_pixel(size.0 / 2, size.1 - 10);
        assert!(top[0] > 150 && top[2] < 100, "{path}: the left (red) half is now on top: {top:?}");
        assert!(bottom[2] > 150 && bottom[0] < 100, "{path}: blue at the bottom: {bottom:?}");
        assert!(!bytes.windows(4).any(|w| w == b"Exif"), "{path}: no EXIF segment");
        assert!(!bytes.windows(SECRET.len()).any(|w| w == SECRET), "{path}: nothing of the metadata");
    }
}

/// A PNG whose header claims 20,000 × 20,000 pixels (1.6 GB to decode): a bomb.
fn png_bomb() -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(20_000u32.to_be_bytes());
    ihdr.extend(20_000u32.to_be_bytes());
    ihdr.extend([8, 6, 0, 0, 0]);
    out.extend(13u32.to_be_bytes());
    out.extend(&ihdr);
    out.extend(crc32fast::hash(&ihdr).to_be_bytes());
    out.extend(0u32.to_be_bytes());
    out.extend(b"IEND");
    out.extend(crc32fast::hash(b"IEND").to_be_bytes());
    out
}

async fn what_is_not_an_image_or_too_large_is_refused(db: TestDatabase) {
    let app = TestApp::with_config(db, |c| c.media_max_bytes = 100 * 1024).await;
    let editor = app.signed_in("Erin Editor", Role::Editor).await;
    let before = common::snapshot(&app.db).await;

    let fake = upload(&editor, "holiday.png", b"<html><script>alert(1)</script></html>", "Holiday").await;
    assert_eq!(fake.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", fake.body);
    assert!(fake.body.contains("not a JPEG or PNG image"), "{}", fake.body);

    let big = upload(&editor, "big.png", &vec![7u8; 300 * 1024], "Big").await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", big.body);
    assert!(big.body.contains("too large"), "{}", big.body);

    let bomb = upload(&editor, "bomb.png", &png_bomb(), "Bomb").await;
    assert_eq!(bomb.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bomb.body);
    assert!(bomb.body.contains("too large: at most"), "{}", bomb.body);

    let no_alt = upload(&editor, "fine.png", &png(10, 10), "  ").await;
    assert_eq!(no_alt.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_alt.body.contains("“alt” is required"), "{}", no_alt.body);

    // Without the token first, nothing is read.
    let forged = editor
        .post_multipart("/admin/media", &[("alt", "Forged")], ("file", "f.png", "image/png", &png(10, 10)))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(common::snapshot(&app.db).await, before, "a refused upload changes nothing");
    // Readers cannot upload.
    let reader = app.signed_in("Rita Reader", Role::Reader).await;
    assert_eq!(upload(&reader, "r.png", &png(10, 10), "Mine").await.status, StatusCode::FORBIDDEN);
}

async fn an_image_in_use_cannot_be_deleted(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let editor = app.signed_in("Erin Editor", Role::Editor).await;
    let lead = added(&upload(&editor, "lead.png", &png(800, 400), "The lead").await);
    let inline = added(&upload(&editor, "inline.png", &png(600, 300), "Inline").await);
    let mut input = article("Bridges", &["Ada Writer"], &[], Utc::now() - Duration::hours(1));
    input.image = Some(format!("/media/{lead}"));
    input.image_alt = Some("The lead".into());
    input.body_markdown = format!("Look:\n\n![Inline](/media/w480/{inline})\n");
    app.publish(input).await;

    for name in [&lead, &inline] {
        let csrf = editor.get("/admin/media").await.csrf();
        let refused = editor.post_form(&format!("/admin/media/{name}/delete"), &[("csrf", &csrf)]).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{name}: {}", refused.body);
        assert!(refused.body.contains("still used by bridges"), "{}", refused.body);
        assert_eq!(app.browser().get_bytes(&format!("/media/{name}"), &[]).await.0, StatusCode::OK);
    }

    let free = added(&upload(&editor, "spare.png", &png(100, 100), "Spare").await);
    let csrf = editor.get("/admin/media").await.csrf();
    let deleted = editor.post_form(&format!("/admin/media/{free}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    assert_eq!(app.browser().get(&format!("/media/{free}")).await.status, StatusCode::NOT_FOUND);
    let library = editor.get(deleted.header("location")).await;
    assert!(library.body.contains("Deleted spare.png."));
    assert!(!library.body.contains("/media/spare.png\""), "no longer listed");
    // The name is not given to another picture: browsers may keep the old one for a year.
    let again = added(&upload(&editor, "spare.png", &png(120, 100), "Another spare").await);
    assert_eq!(again, "spare-2.png");
}

async fn articles_show_their_image_with_srcset_and_size(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let editor = app.signed_in("Erin Editor", Role::Editor).await;
    let name = added(&upload(&editor, "harbour.png", &png(1200, 800), "Boats in the harbour").await);
    let mut input = article("Harbour news", &["Ada Writer"], &[], Utc::now() - Duration::hours(1));
    input.image = Some(format!("/media/{name}"));
    input.image_alt = Some("Boats in the harbour".into());
    app.publish(input).await;

    let reader = app.browser();
    let page = reader.get("/articles/harbour-news").await;
    let srcset =
        "srcset=\"/media/w480/harbour.png 480w, /media/w960/harbour.png 960w, /media/harbour.png 1200w\"";
    assert!(page.body.contains(srcset), "{}", page.body);
    assert!(
        page.body.contains("width=\"1200\" height=\"800\" alt=\"Boats in the harbour\""),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(&format!("<meta property=\"og:image\" content=\"{}/media/harbour.png\">", app.url))
    );
    assert!(page.body.contains("<meta property=\"og:image:width\" content=\"1200\">"));
    assert!(page.body.contains("<meta name=\"twitter:card\" content=\"summary_large_image\">"));
    assert!(page.body.contains(&format!("\"image\":\"{}/media/harbour.png\"", app.url)), "JSON-LD");

    // The front page's lead story shows it wide and at once; a list's card, small and lazily.
    let front = reader.get("/").await;
    assert!(front.body.contains("src=\"/media/w960/harbour.png\""), "{}", front.body);
    let list = reader.get("/authors/ada-writer").await;
    assert!(list.body.contains("class=\"thumb\" src=\"/media/w480/harbour.png\""), "{}", list.body);
    assert!(list.body.contains("loading=\"lazy\""));

    let rss = reader.get("/feed.rss").await;
    assert!(rss.body.contains(&format!("<enclosure url=\"{}/media/harbour.png\"", app.url)), "{}", rss.body);
    assert!(rss.body.contains("type=\"image/png\""));
    let atom = reader.get("/feed.atom").await;
    assert!(atom.body.contains("rel=\"enclosure\""), "{}", atom.body);
}

async fn the_command_line_adds_the_readme_example(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let dir = tempfile::tempdir().unwrap();
    let river = dir.path().join("river.jpg");
    std::fs::write(&river, phone_photo(700, 500)).unwrap();
    let (code, out, err) =
        tribune_cli(&["media", "add", river.to_str().unwrap(), "--alt", "The river in spring"], &app.db.url);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "/media/river.jpg");
    let (img, bytes) = image_at(&app.browser(), "/media/river.jpg").await;
    assert_eq!(img.dimensions(), (500, 700));
    assert!(!bytes.windows(SECRET.len()).any(|w| w == SECRET));

    let text = dir.path().join("notes.png");
    std::fs::write(&text, "just words").unwrap();
    let (code, _, err) =
        tribune_cli(&["media", "add", text.to_str().unwrap(), "--alt", "Notes"], &app.db.url);
    assert_eq!(code, 1);
    assert!(err.contains("not a JPEG or PNG image"), "{err}");
    let (code, _, err) = tribune_cli(&["media", "add", river.to_str().unwrap(), "--alt", ""], &app.db.url);
    assert_eq!(code, 1);
    assert!(err.contains("Alt is required"), "{err}");
}

/// An editor may write `![…](/media/late.png)` before uploading the image: the body is
/// rendered at save time, but the sizes come from the library when the page is, and the
/// upload drops the page that had none.
async fn body_images_get_their_sizes_even_when_uploaded_after_the_article(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let editor = app.signed_in("Erin Editor", Role::Editor).await;
    let mut input = article("Late pictures", &["Ada Writer"], &[], Utc::now() - Duration::hours(1));
    input.body_markdown =
        "Before.\n\n![](/media/late.png)\n\n![A remote one](https://pictures.example/x.png)\n".into();
    app.publish(input).await;

    let reader = app.browser();
    let before = reader.get("/articles/late-pictures").await;
    assert!(before.body.contains(r#"<img src="/media/late.png" alt="">"#), "{}", before.body);

    assert_eq!(added(&upload(&editor, "late.png", &png(1200, 600), "The late picture").await), "late.png");
    let after = reader.get("/articles/late-pictures").await;
    let img = r#"<img src="/media/w960/late.png" srcset="/media/w480/late.png 480w, /media/w960/late.png 960w, /media/late.png 1200w" sizes="(max-width: 46rem) calc(100vw - 2rem), 44rem" width="1200" height="600" loading="lazy" decoding="async" alt="The late picture">"#;
    assert!(after.body.contains(img), "the cached page was dropped and the image sized: {}", after.body);
    assert!(
        after.body.contains(r#"<img src="https://pictures.example/x.png" alt="A remote one">"#),
        "other images as they were: {}",
        after.body
    );
    assert_eq!(reader.get_bytes("/media/w960/late.png", &[]).await.0, StatusCode::OK);

    // Still in use by the body: not deleted.
    let csrf = editor.get("/admin/media").await.csrf();
    let refused = editor.post_form("/admin/media/late.png/delete", &[("csrf", &csrf)]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
}
