//! The navigation menu: its rows in order, replaced whole.

use tribune_core::article::NamedLink;
use tribune_core::menu::{MenuItem, MenuStore, MenuTarget};
use tribune_core::slug::Slug;
use tribune_core::store::StoreError;

use crate::Store;
use crate::error::from_sqlx;

impl MenuStore for Store {
    async fn menu(&self) -> Result<Vec<MenuItem>, StoreError> {
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT label, target_kind, target FROM menu_items ORDER BY position")
                .fetch_all(&self.pool)
                .await
                .map_err(from_sqlx)?;
        Ok(rows
            .into_iter()
            .filter_map(|(label, kind, target)| {
                Some(MenuItem { label, target: MenuTarget::from_parts(&kind, &target)? })
            })
            .collect())
    }

    async fn save_menu(&self, items: &[MenuItem]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM menu_items").execute(&mut *tx).await.map_err(from_sqlx)?;
        for (position, item) in items.iter().enumerate() {
            let (kind, target) = item.target.parts();
            sqlx::query(
                "INSERT INTO menu_items (position, label, target_kind, target) VALUES ($1, $2, $3, $4)",
            )
            .bind(position as i64)
            .bind(&item.label)
            .bind(kind)
            .bind(target)
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        }
        tx.commit().await.map_err(from_sqlx)
    }

    async fn pages(&self) -> Result<Vec<NamedLink>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT slug, title FROM articles WHERE kind = 'page' ORDER BY title, slug")
                .fetch_all(&self.pool)
                .await
                .map_err(from_sqlx)?;
        rows.into_iter()
            .map(|(slug, name)| {
                let slug = Slug::parse(&slug)
                    .map_err(|e| StoreError::Database(format!("stored slug {slug:?}: {e}")))?;
                Ok(NamedLink { slug, name })
            })
            .collect()
    }
}
