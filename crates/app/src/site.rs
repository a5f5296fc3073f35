//! The configuration as it is now: the file and `TRIBUNE_*` variables give the defaults,
//! the settings an admin saved in the database override them. Each node keeps the result
//! and reads it again when the invalidation log says the settings changed (`coherence`).

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use tribune_core::menu::MenuStore;
use tribune_core::site::{Reach, SettingsChange, SiteSettings, reach_of};
use tribune_core::store::{SettingStore, StoreError};
use tribune_store::Store;

use crate::cache::FRONT;
use crate::config::Config;
use crate::funding_bar::FUNDING_KEY;

/// The invalidation log's key for "the settings changed: read them again" (the
/// navigation menu is read with them).
pub const SETTINGS_KEY: &str = "settings";

use tribune_core::site::STORED_PREFIX as PREFIX;

pub struct LiveConfig {
    /// From the file, the environment and the flags: the defaults.
    base: Arc<Config>,
    /// `base` with the stored settings over it.
    current: RwLock<Arc<Config>>,
    /// The keys an admin has set (the rest show "default from config").
    stored: RwLock<Arc<BTreeMap<String, String>>>,
}

impl LiveConfig {
    pub fn new(base: Arc<Config>) -> Self {
        LiveConfig { current: RwLock::new(base.clone()), base, stored: RwLock::default() }
    }

    pub fn current(&self) -> Arc<Config> {
        self.current.read().expect("config lock").clone()
    }

    pub fn base(&self) -> &Config {
        &self.base
    }

    /// The values an admin saved, by key.
    pub fn stored(&self) -> Arc<BTreeMap<String, String>> {
        self.stored.read().expect("settings lock").clone()
    }

    /// Reads the stored settings again and puts them over the defaults.
    pub async fn reload(&self, store: &Store) -> Result<(), StoreError> {
        let stored: BTreeMap<String, String> = store
            .settings_with_prefix(PREFIX)
            .await?
            .into_iter()
            .filter_map(|(k, v)| Some((k.strip_prefix(PREFIX)?.to_owned(), v)))
            .collect();
        let (settings, skipped) = self.base.site_settings().with_stored(&stored);
        for key in skipped {
            tracing::warn!(key, "a stored setting is not valid; its default is used");
        }
        let mut config = self.base.with_site_settings(&settings);
        config.menu = store.menu().await?;
        let config = Arc::new(config);
        *self.current.write().expect("config lock") = config;
        *self.stored.write().expect("settings lock") = Arc::new(stored);
        Ok(())
    }

    /// The settings as they are now.
    pub fn settings(&self) -> SiteSettings {
        self.current().site_settings()
    }
}

/// The configuration as a running server has it (the admin's settings over `base`): what a
/// command works with, so that it counts in the site's time zone as the server does.
pub async fn live(store: &Store, base: &Config) -> Result<Arc<Config>, StoreError> {
    let live = LiveConfig::new(Arc::new(base.clone()));
    live.reload(store).await?;
    Ok(live.current())
}

/// Stores a validated change.
pub async fn save(store: &Store, change: &SettingsChange) -> Result<(), StoreError> {
    let set: Vec<(String, String)> =
        change.set.iter().map(|(k, v)| (format!("{PREFIX}{k}"), v.clone())).collect();
    let remove: Vec<String> = change.reset.iter().map(|k| format!("{PREFIX}{k}")).collect();
    store.change_settings(&set, &remove).await
}

/// The cache keys of the pages that show the settings `keys` changed: every node reads the
/// settings again (`SETTINGS_KEY`) and drops only those pages.
pub fn keys_of_change<'a>(keys: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out = vec![SETTINGS_KEY.to_owned()];
    for reach in reach_of(keys) {
        match reach {
            Reach::EveryPage => out.push("*".into()),
            Reach::Lists => out.extend([FRONT.to_owned(), "tag:*".into(), "author:*".into()]),
            Reach::Articles => out.push("article:*".into()),
            Reach::Funding => out.push(FUNDING_KEY.into()),
        }
    }
    out
}
