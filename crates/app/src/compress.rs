//! Compressed forms of cached pages and assets, made once per page version and shared by
//! every response, and the choice among them by a request's `Accept-Encoding`.
//! A page with a reader's CSRF token is compressed once too: its fixed segments are
//! compressed apart, and each response puts its token between them uncompressed (a stored
//! deflate block for gzip, an uncompressed meta-block for brotli).

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

    /// The best encoding the request accepts, among brotli, gzip and identity: the highest
    /// q-value wins, ties go to the smaller (brotli, then gzip). Identity when nothing else
    /// is acceptable, as RFC 9110 (12.5.3) lets a server do.
    pub fn negotiate(headers: &HeaderMap) -> Encoding {
        let mut q = Accepted::default();
        for value in headers.get_all(header::ACCEPT_ENCODING) {
            for item in value.to_str().unwrap_or("").split(',') {
                q.add(item);
            }
        }
        let candidates = [
            (Encoding::Brotli, q.of(q.br)),
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
        let coding = parts.next().unwrap_or("").trim();
        let is = |name: &str| coding.eq_ignore_ascii_case(name);
        let slot = if is("br") {
            &mut self.br
        } else if is("gzip") || is("x-gzip") {
            &mut self.gzip
        } else if is("identity") {
            &mut self.identity
        } else if is("*") {
            &mut self.any
        } else {
            return;
        };
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
/// Brotli quality and window. Measured on the demo's 500-comment article (98 KB): quality
/// 5 gives 6.8 KB in 3.6 ms, 9 the same in 20 ms, 10 gives 6.1 KB in 63 ms and 11 (as
/// nginx's `brotli_static` files are made) 5.8 KB in 280 ms; a page is compressed again at
/// every change, on the request that finds it new.
const BROTLI_QUALITY: i32 = 5;
/// Brotli's largest window, 4 MiB. A page gets the smallest window that holds it whole (as
/// good a ratio): the encoder's ring buffer follows the window (8 MiB at 22). Measured on
/// the demo, a node's RSS after its pages were compressed went from 27.3–28.3 to 26.5–26.7 MiB.
const BROTLI_MAX_WINDOW: i32 = 22;
/// Below 17 the `brotli` crate wants a hasher it does not have (type 40) and falls back to
/// one with a 32 MiB table: a node's peak RSS went from 27 to 40 MiB.
const BROTLI_MIN_WINDOW: i32 = 17;

/// The smallest window that holds `len` bytes (brotli's window is 2^lgwin - 16 bytes).
fn brotli_window(len: usize) -> i32 {
    (BROTLI_MIN_WINDOW..BROTLI_MAX_WINDOW).find(|&w| (1usize << w) - 16 >= len).unwrap_or(BROTLI_MAX_WINDOW)
}

/// One version of a page (its holes filled) in the segments between its form tokens, with
/// its compressed forms, each made the first time a response asks for it.
#[derive(Debug)]
pub struct Variants {
    pub identity: Segments,
    gzip: OnceLock<GzipSegments>,
    brotli: OnceLock<BrotliSegments>,
}

impl Variants {
    pub fn new(identity: Segments) -> Self {
        Variants { identity, gzip: OnceLock::new(), brotli: OnceLock::new() }
    }

    pub fn gzip(&self) -> &GzipSegments {
        self.gzip.get_or_init(|| GzipSegments::new(&self.identity))
    }

    pub fn brotli(&self) -> &BrotliSegments {
        self.brotli.get_or_init(|| BrotliSegments::new(&self.identity))
    }

    /// The body for `encoding` with `token` between the segments.
    pub fn pieces(&self, encoding: Encoding, token: &Bytes) -> VecDeque<Bytes> {
        match encoding {
            Encoding::Identity => interleave(&self.identity, token),
            Encoding::Gzip => self.gzip().pieces(token),
            Encoding::Brotli => self.brotli().pieces(token),
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

/// Segments compressed once as brotli streams that concatenate byte by byte, each ending
/// on a byte boundary without a last block (added once, after the last segment). The
/// first is an ordinary stream, header and all. The others are made in the encoder's
/// "catable" mode: no static dictionary and no reference before their own start (whose
/// distances would change with where they land), their first two bytes stored (the
/// literals' context), so they decode the same after any token.
#[derive(Debug)]
pub struct BrotliSegments {
    parts: Vec<Bytes>,
}

/// Brotli's last meta-block, empty: ISLAST and ISLASTEMPTY set, then padding.
const BROTLI_LAST_BLOCK: u8 = 0b11;

impl BrotliSegments {
    pub fn new(segments: &[Bytes]) -> Self {
        // One window for all: the first segment's header sets it for the whole stream.
        let window = brotli_window(segments.iter().map(Bytes::len).sum());
        let parts = segments
            .iter()
            .enumerate()
            .map(|(i, segment)| Bytes::from(brotli_segment(segment, window, i == 0)))
            .collect();
        BrotliSegments { parts }
    }

    /// The brotli body with `token` between the segments as uncompressed meta-blocks.
    pub fn pieces(&self, token: &Bytes) -> VecDeque<Bytes> {
        let stored = Bytes::from(uncompressed_meta_blocks(token));
        let mut pieces = interleave(&self.parts, &stored);
        pieces.push_back(Bytes::from_static(&[BROTLI_LAST_BLOCK]));
        pieces
    }
}

/// `data` as brotli that ends on a byte boundary without a last block: the stream's start
/// when `first`, else a catable stream without a header.
fn brotli_segment(data: &[u8], window: i32, first: bool) -> Vec<u8> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY,
        lgwin: window,
        appendable: true,
        byte_align: true,
        catable: !first,
        bare_stream: !first,
        ..Default::default()
    };
    let mut out =
        brotli::CompressorWriter::with_params(Vec::with_capacity(data.len() / 4 + 16), 4096, &params);
    out.write_all(data).expect("writing to memory");
    let mut stream = out.into_inner();
    if first {
        // A stream with a header is written with its last block: that goes after the last segment.
        assert_eq!(stream.pop(), Some(BROTLI_LAST_BLOCK), "an appendable stream ends in its last block");
    }
    stream
}

/// `data` as brotli meta-blocks stored as they are (at most 65,536 bytes each): a header of
/// ISLAST = 0, four nibbles of length, ISUNCOMPRESSED = 1, padded to a byte; then the bytes.
fn uncompressed_meta_blocks(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 3);
    for chunk in data.chunks(1 << 16) {
        let header: u32 = (((chunk.len() - 1) as u32) << 3) | (1 << 19);
        out.extend_from_slice(&header.to_le_bytes()[..3]);
        out.extend_from_slice(chunk);
    }
    out
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
            assert_eq!(Encoding::negotiate(&accept(value)), expected, "{value:?}");
        }
        assert_eq!(Encoding::negotiate(&HeaderMap::new()), Identity, "no header");
    }

    fn gunzip(pieces: VecDeque<Bytes>) -> Vec<u8> {
        let bytes: Vec<u8> = pieces.iter().flat_map(|p| p.iter().copied()).collect();
        let mut out = Vec::new();
        // MultiGzDecoder would hide a trailer that ends the member early: read one member.
        flate2::read::GzDecoder::new(&bytes[..]).read_to_end(&mut out).expect("valid gzip");
        out
    }

    fn unbrotli(pieces: VecDeque<Bytes>) -> Vec<u8> {
        let bytes: Vec<u8> = pieces.iter().flat_map(|p| p.iter().copied()).collect();
        let mut out = Vec::new();
        brotli::Decompressor::new(&bytes[..], 4096).read_to_end(&mut out).expect("valid brotli");
        out
    }

    #[test]
    fn a_token_spliced_between_compressed_segments_makes_valid_gzip_and_brotli() {
        let text = "<p>Some words, and some words again.</p>".repeat(500);
        let segments: Segments = vec![
            Bytes::from(text.clone()),
            Bytes::from_static(b"\"><b>"),
            Bytes::new(),
            Bytes::from(text.clone()),
        ]
        .into();
        let variants = Variants::new(segments);
        // The tokens include the text's own words: the segments after one must not take
        // them for an earlier copy of themselves.
        for token in ["abc123", "", "<p>Some words", "x", &"t".repeat(70_000)] {
            let expected = format!("{text}{token}\"><b>{token}{token}{text}");
            let token = Bytes::from(token.to_owned());
            let gzip = gunzip(variants.pieces(Encoding::Gzip, &token));
            assert!(gzip == expected.as_bytes(), "gzip, token of {} bytes", token.len());
            let brotli = unbrotli(variants.pieces(Encoding::Brotli, &token));
            assert!(brotli == expected.as_bytes(), "brotli, token of {} bytes", token.len());
        }
        let token = Bytes::from_static(b"abc");
        for encoding in [Encoding::Gzip, Encoding::Brotli] {
            let size: usize = variants.pieces(encoding, &token).iter().map(Bytes::len).sum();
            assert!(size < text.len() / 10, "{encoding:?}: {size} bytes");
        }
    }

    #[test]
    fn a_page_gets_the_smallest_brotli_window_that_holds_it() {
        assert_eq!(brotli_window(0), BROTLI_MIN_WINDOW);
        assert_eq!(brotli_window(98_000), 17);
        assert_eq!(brotli_window(131_056), 17);
        assert_eq!(brotli_window(131_057), 18);
        assert_eq!(brotli_window(50_000_000), BROTLI_MAX_WINDOW);
    }

    #[test]
    fn pages_cut_anywhere_decode_with_any_token() {
        // Words the static dictionary holds, markup, and repeats that reach back far.
        let page: String = (0..400)
            .map(|i| {
                format!("<li class=\"c\">The council's vote number {} of the year, again.</li>\n", i % 37)
            })
            .collect();
        let bytes = page.as_bytes();
        for cuts in [vec![1], vec![2, 3], vec![17_000], vec![100, 5_000, 25_000], vec![bytes.len() - 1]] {
            let mut segments = Vec::new();
            let mut start = 0;
            for &cut in &cuts {
                segments.push(Bytes::copy_from_slice(&bytes[start..cut]));
                start = cut;
            }
            segments.push(Bytes::copy_from_slice(&bytes[start..]));
            let variants = Variants::new(segments.clone().into());
            for token in ["", "z", "The council's vote", "\0\0"] {
                let expected =
                    segments.iter().map(|s| String::from_utf8_lossy(s)).collect::<Vec<_>>().join(token);
                let token = Bytes::from(token.to_owned());
                assert!(
                    unbrotli(variants.pieces(Encoding::Brotli, &token)) == expected.as_bytes(),
                    "{cuts:?}"
                );
                assert!(gunzip(variants.pieces(Encoding::Gzip, &token)) == expected.as_bytes(), "{cuts:?}");
            }
        }
    }

    #[test]
    fn a_page_without_a_token_decodes_in_every_encoding() {
        for page in [Bytes::from("<main>a page</main>".repeat(100)), Bytes::new()] {
            let variants = Variants::new(vec![page.clone()].into());
            assert_eq!(unbrotli(variants.pieces(Encoding::Brotli, &Bytes::new())), page);
            assert_eq!(gunzip(variants.pieces(Encoding::Gzip, &Bytes::new())), page);
            let identity: Vec<u8> =
                variants.pieces(Encoding::Identity, &Bytes::new()).into_iter().flatten().collect();
            assert_eq!(identity, page);
        }
    }
}
