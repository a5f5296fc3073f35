//! Moving in: other platforms' exports read as a stream of plain items (a thread, a post),
//! never as a whole document in memory, with every quirk of a real export tolerated and
//! reported rather than fatal.

mod autop;
pub mod discussions;
pub mod disqus;
pub mod html;
pub mod placing;
pub mod report;
pub mod urls;
pub mod wordpress;
pub mod wxr;
mod xml;

/// Why an export cannot be read: where in the file, and what was found there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} (byte {byte}): {message}")]
pub struct ReadError {
    pub line: u64,
    pub byte: u64,
    pub message: String,
}
