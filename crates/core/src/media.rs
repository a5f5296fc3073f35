//! Images an editor uploads: what a file must be to be accepted (a JPEG or PNG by its
//! bytes, within pixel bounds), how it is made safe to publish (decoded and re-encoded from
//! its pixels, so EXIF with its GPS position never leaves, turned upright first), the
//! resized copies a page's `srcset` offers, the name it is served under, and the use cases
//! that add and delete one.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

use crate::article::FieldError;
use crate::slug::Slug;
use crate::store::{Page, PageRequest, StoreError};
use crate::user::User;
use crate::work::{Busy, Worker};

/// The widths of the resized copies; an image narrower than one gets no copy of that width
/// (never upscaled).
pub const VARIANT_WIDTHS: [u32; 3] = [480, 960, 1600];
/// The widest and tallest image accepted: a bound on a decompression bomb's pixel count
/// (a 40-megapixel camera is 7,728 px wide).
pub const MAX_SIDE: u32 = 10_000;
/// What a decoder may allocate at once: 10,000 × 10,000 RGBA is 400 MB, so big panoramas
/// pass but not several at a time on a small server.
const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;
pub const MAX_ALT_CHARS: usize = 500;
/// At most this many articles are named when an image cannot be deleted.
const USERS_NAMED: u32 = 5;
/// The articles whose pages an upload drops at most: those that showed the image's path
/// before it existed (a body written first, the image uploaded after).
pub const SHOWN_BY_AT_MOST: u32 = 1_000;
const JPEG_QUALITY: u8 = 85;

/// The formats Tribune serves; anything else is refused by its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Jpeg,
    Png,
}

impl MediaKind {
    pub fn content_type(self) -> &'static str {
        match self {
            MediaKind::Jpeg => "image/jpeg",
            MediaKind::Png => "image/png",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            MediaKind::Jpeg => "jpg",
            MediaKind::Png => "png",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("the file is not a JPEG or PNG image (its content was checked, not its name)")]
    NotAnImage,
    #[error("the image is {0}; only JPEG and PNG images can be uploaded")]
    Unsupported(String),
    #[error("the image is too large: at most {MAX_SIDE} pixels wide and tall")]
    TooManyPixels,
    #[error("the image could not be read: {0}")]
    Broken(String),
    #[error("{}", .0.iter().map(|e| format!("{} {}", e.field, e.problem)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error("you may not {0}")]
    Forbidden(&'static str),
    #[error("this image is still used by {}: take it out of them first", .0.join(", "))]
    InUse(Vec<String>),
    #[error("no such image")]
    NotFound,
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An image as re-encoded, with its resized copies, ready to store.
#[derive(Debug, Clone)]
pub struct Processed {
    pub kind: MediaKind,
    pub width: u32,
    pub height: u32,
    /// SHA-256 of the re-encoded full-size image, hex: the ETag and the duplicate check.
    pub hash: String,
    /// The full-size image first, then each narrower copy, each with its width.
    pub files: Vec<(u32, Vec<u8>)>,
}

/// The format `bytes` really are, whatever the file was called.
pub fn sniff(bytes: &[u8]) -> Result<MediaKind, MediaError> {
    match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg) => Ok(MediaKind::Jpeg),
        Ok(ImageFormat::Png) => Ok(MediaKind::Png),
        Ok(other) => Err(MediaError::Unsupported(format!("{other:?}").to_uppercase())),
        Err(_) => Err(MediaError::NotAnImage),
    }
}

/// Decodes `bytes` within the bounds, turns the pixels upright as the EXIF orientation
/// says, and re-encodes them (nothing of the file but its pixels survives), at full size
/// and at each narrower [`VARIANT_WIDTHS`]. CPU-bound: run it on a [`Worker`].
pub fn process(bytes: &[u8]) -> Result<Processed, MediaError> {
    let (kind, pixels) = decode(bytes)?;
    let (width, height) = (pixels.width(), pixels.height());
    let full = encode(&pixels, kind)?;
    let hash = hex(&Sha256::digest(&full));
    let mut files = vec![(width, full)];
    files.extend(copies(&pixels, kind)?);
    Ok(Processed { kind, width, height, hash, files })
}

/// The narrower copies of a stored full-size image, made again (a restore's export holds
/// only the full size). CPU-bound: run it on a [`Worker`] or a blocking thread.
pub fn copies_of(full: &[u8]) -> Result<Vec<(u32, Vec<u8>)>, MediaError> {
    let (kind, pixels) = decode(full)?;
    copies(&pixels, kind)
}

/// The pixels of `bytes`, within the bounds, turned upright as the EXIF orientation says.
fn decode(bytes: &[u8]) -> Result<(MediaKind, DynamicImage), MediaError> {
    let kind = sniff(bytes)?;
    let mut reader = ImageReader::new(Cursor::new(bytes));
    reader.set_format(match kind {
        MediaKind::Jpeg => ImageFormat::Jpeg,
        MediaKind::Png => ImageFormat::Png,
    });
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    let orientation = decoder.orientation().map_err(decode_error)?;
    let mut pixels = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    pixels.apply_orientation(orientation);
    Ok((kind, pixels))
}

/// A copy at each of [`VARIANT_WIDTHS`] narrower than the image, with its width.
fn copies(pixels: &DynamicImage, kind: MediaKind) -> Result<Vec<(u32, Vec<u8>)>, MediaError> {
    let (width, height) = (pixels.width(), pixels.height());
    VARIANT_WIDTHS
        .into_iter()
        .filter(|&w| w < width)
        .map(|w| {
            let h = scaled_height(width, height, w);
            let smaller = pixels.resize_exact(w, h, image::imageops::FilterType::CatmullRom);
            Ok((w, encode(&smaller, kind)?))
        })
        .collect()
}

fn decode_error(e: image::ImageError) -> MediaError {
    match e {
        image::ImageError::Limits(_) => MediaError::TooManyPixels,
        image::ImageError::Unsupported(u) => MediaError::Broken(u.to_string()),
        e => MediaError::Broken(e.to_string()),
    }
}

fn encode(pixels: &DynamicImage, kind: MediaKind) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    let written = match kind {
        // JPEG has no alpha; the encoders write no metadata of their own.
        MediaKind::Jpeg => DynamicImage::ImageRgb8(pixels.to_rgb8())
            .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)),
        MediaKind::Png => pixels.write_with_encoder(image::codecs::png::PngEncoder::new(&mut out)),
    };
    written.map_err(|e| MediaError::Broken(e.to_string()))?;
    Ok(out)
}

/// The height of a copy `w` wide, in proportion, at least one pixel.
pub fn scaled_height(width: u32, height: u32, w: u32) -> u32 {
    ((u64::from(height) * u64::from(w) + u64::from(width) / 2) / u64::from(width)).max(1) as u32
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A stored image's description, as lists and pages need it (not its bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub id: i64,
    /// Unique forever (a deleted image's name is not given again, so a browser's year-long
    /// copy of `/media/{name}` can never be another picture).
    pub name: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
    pub content_hash: String,
    pub byte_size: i64,
    pub uploaded_by: Option<i64>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl Media {
    pub fn path(&self) -> String {
        format!("/media/{}", self.name)
    }

    /// The path of the copy `w` wide (the full-size image at its own width).
    pub fn variant_path(&self, w: u32) -> String {
        if w >= self.width { self.path() } else { format!("/media/w{w}/{}", self.name) }
    }

    /// The widths stored: each narrower copy, then the full size.
    pub fn widths(&self) -> Vec<u32> {
        let mut widths: Vec<u32> = VARIANT_WIDTHS.into_iter().filter(|&w| w < self.width).collect();
        widths.push(self.width);
        widths
    }

    /// `srcset`'s value: every copy with its width.
    pub fn srcset(&self) -> String {
        self.widths().iter().map(|&w| format!("{} {w}w", self.variant_path(w))).collect::<Vec<_>>().join(", ")
    }

    /// The smallest copy at least `w` wide (or the full size): for thumbnails.
    pub fn path_for_width(&self, w: u32) -> String {
        let chosen = self.widths().into_iter().find(|&x| x >= w).unwrap_or(self.width);
        self.variant_path(chosen)
    }

    /// The Markdown that shows it in an article's body.
    pub fn markdown(&self) -> String {
        let alt: String = self.alt.chars().map(|c| if matches!(c, '[' | ']') { ' ' } else { c }).collect();
        format!("![{alt}]({})", self.path())
    }
}

/// The name of the image an article's `/media/…` path (or an absolute URL ending in one)
/// shows, if it is one of ours.
pub fn name_in_url(url: &str) -> Option<&str> {
    let path = if url.starts_with('/') {
        url
    } else {
        url.find("://").and_then(|i| url[i + 3..].find('/').map(|j| &url[i + 3 + j..]))?
    };
    let rest = path.strip_prefix("/media/")?;
    // `/media/NAME` or `/media/wWIDTH/NAME`, nothing else (`/media/../x.jpg` is not ours).
    let name = match rest.split_once('/') {
        None => rest,
        Some((width, name)) if is_width(width) && !name.contains('/') => name,
        Some(_) => return None,
    };
    is_media_name(name).then_some(name)
}

/// A copy's folder: `w` and a width.
fn is_width(folder: &str) -> bool {
    folder.strip_prefix('w').is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// A name Tribune gives: a slug, a dot, a known extension.
pub fn is_media_name(name: &str) -> bool {
    name.rsplit_once('.').is_some_and(|(stem, ext)| matches!(ext, "jpg" | "png") && Slug::parse(stem).is_ok())
}

/// The name derived from what the file was called (`River at dusk.JPG` → `river-at-dusk`),
/// `image` when nothing usable is left; the extension comes from the content.
pub fn name_stem(file_name: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or("");
    let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
    let mut slug = Slug::from_text(stem).map(|s| s.as_str().to_owned()).unwrap_or_else(|_| "image".into());
    // Room for `-NN` and the extension within a slug's length.
    if slug.len() > 80 {
        slug.truncate(80);
        slug = slug.trim_end_matches('-').to_owned();
    }
    slug
}

/// The first of `stem.ext`, `stem-2.ext`, `stem-3.ext`… that is not in `taken`.
pub fn free_name(stem: &str, ext: &str, taken: &[String]) -> String {
    (1..)
        .map(|n| if n == 1 { format!("{stem}.{ext}") } else { format!("{stem}-{n}.{ext}") })
        .find(|name| !taken.iter().any(|t| t == name))
        .expect("an unbounded range has a free name")
}

/// The alt text, trimmed; required, since a reader who cannot see the image relies on it.
pub fn validate_alt(alt: &str) -> Result<String, MediaError> {
    let alt = crate::text::normalized(alt.trim());
    let problem = if let Some(c) = crate::text::control_character(&alt) {
        crate::text::control_message(c)
    } else if alt.is_empty() {
        "is required: describe the image for readers who cannot see it".to_owned()
    } else if alt.chars().count() > MAX_ALT_CHARS {
        format!("is too long (at most {MAX_ALT_CHARS} characters)")
    } else {
        return Ok(alt);
    };
    Err(MediaError::Invalid(vec![FieldError::new("alt", problem)]))
}

/// What the store keeps of a new image.
#[derive(Debug, Clone)]
pub struct NewMedia {
    pub name: String,
    pub alt: String,
    pub processed: Processed,
    pub uploaded_by: Option<i64>,
}

/// A stored file: one copy's bytes, with what a response needs.
#[derive(Debug, Clone)]
pub struct MediaFile {
    pub bytes: Vec<u8>,
    pub content_type: String,
    pub content_hash: String,
}

pub trait MediaStore {
    /// Names taken by `stem.*` and `stem-N.*`, deleted images' included.
    async fn media_names_like(&self, stem: &str) -> Result<Vec<String>, StoreError>;
    /// A live image with these exact pixels, if one was uploaded before.
    async fn media_by_hash(&self, hash: &str) -> Result<Option<Media>, StoreError>;
    /// Stores the image and its copies in one transaction; `Conflict("name")` when the name
    /// was taken meanwhile.
    async fn insert_media(&self, media: &NewMedia) -> Result<Media, StoreError>;
    async fn media_by_names(&self, names: &[&str]) -> Result<Vec<Media>, StoreError>;
    async fn list_media(&self, page: PageRequest) -> Result<Page<Media>, StoreError>;
    /// The copy `width` wide (`None`: full size) of a live image.
    async fn media_file(&self, name: &str, width: Option<u32>) -> Result<Option<MediaFile>, StoreError>;
    /// The slugs of articles whose image or body uses the image, at most `limit`.
    async fn articles_using_media(&self, name: &str, limit: u32) -> Result<Vec<String>, StoreError>;
    /// Drops the bytes and hides the image; its name stays taken.
    async fn delete_media(&self, id: i64) -> Result<(), StoreError>;
}

/// Adds an image: checks the uploader's right and the alt text, makes it safe on `worker`
/// (never on the caller's thread), and stores it under a free name derived from
/// `file_name`. The same pixels uploaded again give the image already stored.
pub async fn add_media<S: MediaStore, W: Worker>(
    store: &S,
    worker: &W,
    uploader: Option<&User>,
    file_name: &str,
    bytes: Vec<u8>,
    alt: &str,
) -> Result<Media, MediaError> {
    if uploader.is_some_and(|u| !u.can_write_articles()) {
        return Err(MediaError::Forbidden("upload images"));
    }
    let alt = validate_alt(alt)?;
    sniff(&bytes)?;
    let processed = worker.run(move || process(&bytes)).await??;
    if let Some(existing) = store.media_by_hash(&processed.hash).await? {
        return Ok(existing);
    }
    let stem = name_stem(file_name);
    let new = NewMedia { name: String::new(), alt, processed, uploaded_by: uploader.map(|u| u.id) };
    // Another upload may take the same name between the look and the write: try again.
    let mut new = new;
    for _ in 0..3 {
        let taken = store.media_names_like(&stem).await?;
        new.name = free_name(&stem, new.processed.kind.extension(), &taken);
        match store.insert_media(&new).await {
            Err(StoreError::Conflict(_)) => continue,
            other => return Ok(other?),
        }
    }
    Err(StoreError::Conflict("name".into()).into())
}

/// Deletes an image unless an article still shows it. Editors may delete any; authors
/// their own uploads.
pub async fn delete_media<S: MediaStore>(store: &S, user: &User, name: &str) -> Result<Media, MediaError> {
    let media = store.media_by_names(&[name]).await?.into_iter().next().ok_or(MediaError::NotFound)?;
    if !(user.can_edit_any() || user.can_write_articles() && media.uploaded_by == Some(user.id)) {
        return Err(MediaError::Forbidden("delete images others uploaded"));
    }
    let users = store.articles_using_media(name, USERS_NAMED).await?;
    if !users.is_empty() {
        return Err(MediaError::InUse(users));
    }
    store.delete_media(media.id).await?;
    Ok(media)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_file_and_stay_unique() {
        assert_eq!(name_stem("River at Dusk.JPG"), "river-at-dusk");
        assert_eq!(name_stem("C:\\photos\\été.png"), "ete");
        assert_eq!(name_stem("....png"), "image");
        let taken = vec!["river.jpg".to_owned(), "river-2.jpg".to_owned()];
        assert_eq!(free_name("river", "jpg", &taken), "river-3.jpg");
        assert_eq!(free_name("river", "png", &taken), "river.png");
    }

    #[test]
    fn media_paths_are_recognised_only_when_ours() {
        assert_eq!(name_in_url("/media/river.jpg"), Some("river.jpg"));
        assert_eq!(name_in_url("/media/w480/river.jpg"), Some("river.jpg"));
        assert_eq!(name_in_url("https://news.example/media/river.jpg"), Some("river.jpg"));
        assert_eq!(name_in_url("/images/river.jpg"), None);
        assert_eq!(name_in_url("/media/../etc.jpg"), None);
    }

    #[test]
    fn copies_are_never_wider_than_the_original() {
        let m = Media {
            id: 1,
            name: "a.jpg".into(),
            content_type: "image/jpeg".into(),
            width: 1000,
            height: 500,
            alt: "x [y]".into(),
            content_hash: String::new(),
            byte_size: 0,
            uploaded_by: None,
            created_at: chrono::Utc::now(),
        };
        assert_eq!(m.srcset(), "/media/w480/a.jpg 480w, /media/w960/a.jpg 960w, /media/a.jpg 1000w");
        assert_eq!(m.path_for_width(500), "/media/w960/a.jpg");
        assert_eq!(m.markdown(), "![x  y ](/media/a.jpg)");
        assert_eq!(scaled_height(1000, 500, 480), 240);
    }

    #[test]
    fn a_file_is_judged_by_its_bytes() {
        assert!(matches!(sniff(b"not an image at all"), Err(MediaError::NotAnImage)));
        assert!(matches!(validate_alt("  "), Err(MediaError::Invalid(_))));
    }
}
