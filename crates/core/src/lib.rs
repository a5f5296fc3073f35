//! Tribune's domain: what an article, an author and a user are, the rules that govern
//! them, and the storage traits the use cases need. It knows no HTTP and no SQL, so every
//! rule here can be read (and tested) without a server or a database.

// All implementors of the storage traits live in this workspace and every caller uses a
// concrete store type, so the `Send`-ness of the returned futures is always known.
#![allow(async_fn_in_trait)]

pub mod account;
pub mod account_mail;
pub mod accounts;
pub mod article;
pub mod article_list;
pub mod author_notices;
pub mod comment;
pub mod discussion;
pub mod dump;
pub mod embed;
pub mod export;
pub mod front_matter;
pub mod funding;
pub mod import;
pub mod mail;
pub mod markdown;
pub mod media;
pub mod menu;
pub mod moderation;
pub mod moderators;
pub mod password;
pub mod publishing;
pub mod reply_notices;
pub mod search;
pub mod setup;
pub mod site;
pub mod slug;
pub mod store;
pub mod supporters;
pub mod text;
pub mod thread;
pub mod throttle;
pub mod user;
pub mod user_admin;
pub mod work;
