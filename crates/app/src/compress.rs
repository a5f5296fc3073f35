//! Compressed forms of cached pages and assets, made once per page version and shared by
//! every response, and the choice among them by a request's `Accept-Encoding`.
//! A page with a reader's CSRF token is sent as gzip without compressing anything per
//! response: its fixed segments are compressed once and the token goes between them as
//! a stored (uncompressed) deflate block.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::OnceLock;

use axum::body::Bytes;
use axum::http::{HeaderMap, header};
use crc32fast::Hasher as Crc;
use flate2::{Compress, Compression, FlushCompress};

use crate::cache::Segments;

/// How a response body is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoding {
    /// The `Content-Encoding` to send, if any.
    pub fn header(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some("gzip"),
            Encoding::Brotli => Some("br"),
        }
    }

    /// Appended to a page's ETag, so each variant has its own (a cache must not answer
    /// a gzip client's `If-None-Match` with the brotli bytes, or the other way round).
    pub fn etag_suffix(self) -> &'static str {
        match self {
            Encoding::Identity => "",
            Encoding::Gzip => "-gz",
            Encoding::Brotli => "-br",
        }
    }

    /// The best encoding the request accepts, among gzip, brotli (when `brotli` is offered)
    /// and identity: the highest q-value wins, ties go to the smaller (brotli, then gzip).
    /// Identity when nothing else is acceptable, as RFC 9110 (12.5.3) lets a server do.
    pub fn negotiate(headers: &HeaderMap, brotli: bool) -> Encoding {
        let mut q = Accepted::default();
        for value in headers.get_all(header::ACCEPT_ENCODING) {
            for item in value.to_str().unwrap_or("").split(',') {
                q.add(item);
            }
        }
        let candidates = [
            (Encoding::Brotli, if brotli { q.of(q.br) } else { 0 }),
            (Encoding::Gzip, q.of(q.gzip)),
            // Acceptable unless refused, but below any coding the request names.
            (Encoding::Identity, q.identity.or(q.any).unwrap_or(1)),
        ];
        let (best, best_q) = candidates
            .iter()
            .fold((Encoding::Identity, 0), |(e, bq), &(c, cq)| if cq > bq { (c, cq) } else { (e, bq) });
        if best_q == 0 { Encoding::Identity } else { best }
    }
}

/// The q-values (in thousandths) a request gives, by coding; `None` when not named.
#[derive(Default)]
struct Accepted {
    br: Option<u16>,
    gzip: Option<u16>,
    identity: Option<u16>,
    any: Option<u16>,
}

impl Accepted {
    fn add(&mut self, item: &str) {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut q = Some(1000);
        for param in parts {
            if let Some((name, value)) = param.split_once('=')
                && name.trim().eq_ignore_ascii_case("q")
            {
                q = qvalue(value.trim());
            }
        }
        // An unreadable q-value makes the item count for nothing rather than for everything.
        let q = q.unwrap_or(0);
        let slot = match coding.as_str() {
            "br" => &mut self.br,
            "gzip" | "x-gzip" => &mut self.gzip,
            "identity" => &mut self.identity,
            "*" => &mut self.any,
            _ => return,
        };
        *slot = Some(q);
    }

    /// A named coding's q-value, else what `*` gives, else not acceptable.
    fn of(&self, named: Option<u16>) -> u16 {
        named.or(self.any).unwrap_or(0)
    }
}

/// RFC 9110's qvalue (`0`, `0.5`, `1.000`) in thousandths.
fn qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// gzip level for what is compressed once and sent many times.
const GZIP_LEVEL: u32 = 9;
/// Brotli quality and window. Measured on the demo's largest page (116 KB): quality 5
/// gives 7.3 KB in a few ms, 9 gives 7.2 KB in three times that, 11 gives 6.0 KB in
/// seconds; a page is compressed again at every change, on the request that finds it new.
const BROTLI_QUALITY: u32 = 5;
const BROTLI_WINDOW: u32 = 22;

/// One version of a page (its holes filled) in the segments between its form tokens, with
/// its compressed forms, each made the first time a response asks for it.
#[derive(Debug)]
pub struct Variants {
    pub identity: Segments,
    gzip: OnceLock<GzipSegments>,
    brotli: OnceLock<Bytes>,
}

impl Variants {
    pub fn new(identity: Segments) -> Self {
        Variants { identity, gzip: OnceLock::new(), brotli: OnceLock::new() }
    }

    pub fn gzip(&self) -> &GzipSegments {
        self.gzip.get_or_init(|| GzipSegments::new(&self.identity))
    }

    /// Brotli only for a page without a reader's token: a brotli stream cannot take one
    /// spliced in the way deflate's stored blocks can.
    pub fn has_brotli(&self) -> bool {
        self.identity.len() == 1
    }

    /// The whole page in brotli; call only when [`Variants::has_brotli`].
    pub fn brotli(&self) -> &Bytes {
        self.brotli.get_or_init(|| brotli(&self.identity[0]))
    }

    /// The body for `encoding` with `token` between the segments.
    pub fn pieces(&self, encoding: Encoding, token: &Bytes) -> VecDeque<Bytes> {
        match encoding {
            Encoding::Identity => interleave(&self.identity, token),
            Encoding::Gzip => self.gzip().pieces(token),
            Encoding::Brotli => VecDeque::from([self.brotli().clone()]),
        }
    }
}

/// `segments` with `between` after every segment but the last.
fn interleave(segments: &[Bytes], between: &Bytes) -> VecDeque<Bytes> {
    let mut pieces = VecDeque::with_capacity(segments.len() * 2);
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            pieces.push_back(between.clone());
        }
        pieces.push_back(segment.clone());
    }
    pieces
}

pub fn brotli(data: &[u8]) -> Bytes {
    let mut out = brotli::CompressorWriter::new(
        Vec::with_capacity(data.len() / 4),
        4096,
        BROTLI_QUALITY,
        BROTLI_WINDOW,
    );
    out.write_all(data).expect("writing to memory");
    Bytes::from(out.into_inner())
}

/// A gzip member's header: deflate, no name, no time, unknown OS.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
/// The last deflate block: final, fixed Huffman codes, nothing but its end code.
const FINAL_BLOCK: [u8; 2] = [0x03, 0x00];

/// Segments compressed once, each as raw deflate ending in a sync flush (which leaves the
/// stream byte-aligned), so that they concatenate into one valid deflate stream.
#[derive(Debug)]
pub struct GzipSegments {
    /// The first starts with the gzip header; the last ends with the final block.
    parts: Vec<Bytes>,
    /// Each uncompressed segment's CRC-32 and length, combined into the trailer.
    crcs: Vec<Crc>,
    lengths: Vec<usize>,
}

impl GzipSegments {
    pub fn new(segments: &[Bytes]) -> Self {
        let last = segments.len() - 1;
        let parts = segments
            .iter()
            .enumerate()
            .map(|(i, segment)| {
                let mut out = Vec::with_capacity(segment.len() / 4 + 64);
                if i == 0 {
                    out.extend_from_slice(&GZIP_HEADER);
                }
                deflate_sync(segment, &mut out);
                if i == last {
                    out.extend_from_slice(&FINAL_BLOCK);
                }
                Bytes::from(out)
            })
            .collect();
        let crcs = segments
            .iter()
            .map(|s| {
                let mut crc = Crc::new();
                crc.update(s);
                crc
            })
            .collect();
        GzipSegments { parts, crcs, lengths: segments.iter().map(Bytes::len).collect() }
    }

    /// The gzip body with `token` between the segments: the shared parts, the token as
    /// stored blocks, and a trailer whose CRC is combined from the parts' (no pass over
    /// the page).
    pub fn pieces(&self, token: &Bytes) -> VecDeque<Bytes> {
        let stored = Bytes::from(stored_blocks(token));
        let mut token_crc = Crc::new();
        token_crc.update(token);
        let mut crc = self.crcs[0].clone();
        let mut pieces = VecDeque::with_capacity(self.parts.len() * 2 + 1);
        pieces.push_back(self.parts[0].clone());
        for (part, part_crc) in self.parts.iter().zip(&self.crcs).skip(1) {
            pieces.push_back(stored.clone());
            crc.combine(&token_crc);
            pieces.push_back(part.clone());
            crc.combine(part_crc);
        }
        let mut trailer = Vec::with_capacity(8);
        let length: usize = self.lengths.iter().sum::<usize>() + token.len() * (self.parts.len() - 1);
        trailer.extend_from_slice(&crc.finalize().to_le_bytes());
        // gzip keeps the length modulo 2^32.
        trailer.extend_from_slice(&(length as u32).to_le_bytes());
        pieces.push_back(Bytes::from(trailer));
        pieces
    }
}

/// `data` as raw deflate ending in a sync flush, appended to `out`.
fn deflate_sync(data: &[u8], out: &mut Vec<u8>) {
    let mut compress = Compress::new(Compression::new(GZIP_LEVEL), false);
    loop {
        if out.capacity() - out.len() < 64 {
            out.reserve(out.capacity().max(4096));
        }
        let read = compress.total_in() as usize;
        compress.compress_vec(&data[read..], out, FlushCompress::Sync).expect("deflate in memory");
        // Done when all is read and the flush did not fill the space it was given.
        if compress.total_in() as usize == data.len() && out.capacity() - out.len() >= 64 {
            return;
        }
    }
}

/// `data` as non-final stored deflate blocks (at most 65,535 bytes each).
fn stored_blocks(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 5);
    for chunk in data.chunks(u16::MAX as usize) {
        let len = chunk.len() as u16;
        out.push(0); // not final, stored; the rest of the byte is padding
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use axum::http::HeaderValue;

    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn negotiates_by_q_value() {
        use Encoding::*;
        let cases = [
            ("", Identity),
            ("gzip, deflate, br, zstd", Brotli),
            ("br;q=0.5, gzip", Gzip),
            ("gzip;q=0.8, br;q=0.9", Brotli),
            ("br;q=0, gzip;q=0", Identity),
            ("*", Brotli),
            ("*;q=0.5, br;q=0", Gzip),
            ("identity", Identity),
            ("identity;q=0, *;q=0", Identity),
            ("gzip;q=1.000", Gzip),
            ("gzip;q=2", Identity),
            ("GZIP", Gzip),
            ("deflate", Identity),
        ];
        for (value, expected) in cases {
            assert_eq!(Encoding::negotiate(&accept(value), true), expected, "{value:?}");
        }
        assert_eq!(Encoding::negotiate(&HeaderMap::new(), true), Identity, "no header");
        assert_eq!(Encoding::negotiate(&accept("br"), false), Identity, "brotli not offered");
        assert_eq!(Encoding::negotiate(&accept("br, gzip"), false), Gzip);
    }

    fn gunzip(pieces: VecDeque<Bytes>) -> Vec<u8> {
        let bytes: Vec<u8> = pieces.iter().flat_map(|p| p.iter().copied()).collect();
        let mut out = Vec::new();
        // MultiGzDecoder would hide a trailer that ends the member early: read one member.
        flate2::read::GzDecoder::new(&bytes[..]).read_to_end(&mut out).expect("valid gzip");
        out
    }

    #[test]
    fn a_token_spliced_between_compressed_segments_makes_valid_gzip() {
        let text = "<p>Some words, and some words again.</p>".repeat(500);
        let segments: Segments = vec![
            Bytes::from(text.clone()),
            Bytes::from_static(b"\"><b>"),
            Bytes::new(),
            Bytes::from(text.clone()),
        ]
        .into();
        let variants = Variants::new(segments);
        for token in ["abc123", "", &"t".repeat(70_000)] {
            let expected = format!("{text}{token}\"><b>{token}{token}{text}");
            let body = gunzip(variants.pieces(Encoding::Gzip, &Bytes::from(token.to_owned())));
            assert!(body == expected.as_bytes(), "token of {} bytes", token.len());
        }
        let size: usize =
            variants.pieces(Encoding::Gzip, &Bytes::from_static(b"abc")).iter().map(Bytes::len).sum();
        assert!(size < text.len() / 10, "compressed: {size} bytes");
    }

    #[test]
    fn brotli_decodes_to_the_page() {
        let page = Bytes::from("<main>a page</main>".repeat(100));
        let variants = Variants::new(vec![page.clone()].into());
        assert!(variants.has_brotli());
        let mut out = Vec::new();
        brotli::Decompressor::new(&variants.brotli()[..], 4096).read_to_end(&mut out).unwrap();
        assert_eq!(out, page);
        assert_eq!(gunzip(variants.pieces(Encoding::Gzip, &Bytes::new())), page);
    }
}
