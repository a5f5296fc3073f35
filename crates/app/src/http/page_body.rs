//! A response body sent as several shared pieces (a cached page's segments, plain or
//! compressed, with the reader's token between them), so a cached page is never copied
//! for a response.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use http_body::{Frame, SizeHint};

pub struct Pieces {
    pieces: VecDeque<Bytes>,
    remaining: u64,
}

impl Pieces {
    /// A body of `pieces` sent in order; one piece needs no wrapper.
    pub fn body(mut pieces: VecDeque<Bytes>) -> Body {
        if pieces.len() == 1 {
            return Body::from(pieces.pop_front().expect("one piece"));
        }
        let remaining = pieces.iter().map(|p| p.len() as u64).sum();
        Body::new(Pieces { pieces, remaining })
    }
}

impl http_body::Body for Pieces {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let next = self.pieces.pop_front();
        if let Some(piece) = &next {
            self.remaining -= piece.len() as u64;
        }
        Poll::Ready(next.map(|piece| Ok(Frame::data(piece))))
    }

    fn is_end_stream(&self) -> bool {
        self.pieces.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}
