//! Tribune: one binary that serves a reader-funded news site. This crate is the outer
//! layer: configuration, the command line, the HTTP front and the page cache. The rules
//! live in `tribune-core`, the SQL in `tribune-store`.

pub mod account_mail;
pub mod cache;
pub mod cli;
mod cli_export;
mod cli_import;
mod cli_moderation;
mod cli_operations;
pub mod coherence;
pub mod commented;
pub mod compress;
pub mod config;
pub mod connections;
pub mod demo;
pub mod digest_mail;
pub mod funding_bar;
pub mod http;
pub mod keys;
pub mod mail;
pub mod mail_worker;
pub mod metrics;
pub mod reply_mail;
pub mod server;
pub mod site;
pub mod theme;
pub mod work_pool;
