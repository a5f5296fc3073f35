//! Moving out: a site's articles and discussions written as other platforms' import files,
//! streamed, so that a site of any size costs the memory of one item.

pub mod disqus;
pub mod wxr;
mod xml;

#[cfg(test)]
mod fixtures;
