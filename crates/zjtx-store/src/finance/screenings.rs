//! Saved screenings.

use super::*;

impl Store {
    pub async fn save_search(
        &self,
        institution: i64,
        user_id: i64,
        name: &str,
        filter: &str,
        seen: &str,
    ) -> Result<i64> {
        self.insert_id(
            stmt(
                "INSERT INTO saved_searches (institution_id, user_id, name, filter, seen, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                vec![
                    Bind::I(institution),
                    Bind::I(user_id),
                    Bind::S(name),
                    Bind::S(filter),
                    Bind::S(seen),
                    Bind::I(now()),
                ],
            ),
            "search.save",
            "search",
            name,
            Some(user_id),
            "",
        )
        .await?
        .ok_or_else(|| StoreError::Conflict("not saved".into()))
    }

    pub async fn saved_searches(&self, institution: i64) -> Result<Vec<SavedSearch>> {
        Ok(rows!(
            self,
            "SELECT * FROM saved_searches WHERE institution_id = ? ORDER BY id",
            [Bind::I(institution)],
            |r| SavedSearch {
                id: r.try_get("id")?,
                user_id: r.try_get("user_id")?,
                name: r.try_get("name")?,
                filter: r.try_get("filter")?,
                seen: r.try_get("seen")?,
            }
        ))
    }

    /// Records what a saved search has shown, and tells its owner about what is new.
    pub async fn search_seen(&self, id: i64, seen: &str, msgs: &[Message<'_>]) -> Result<()> {
        let mut stmts = vec![stmt(
            "UPDATE saved_searches SET seen = ? WHERE id = ?",
            vec![Bind::S(seen), Bind::I(id)],
        )];
        stmts.extend(messages(msgs));
        self.exec_tx(stmts, None).await
    }
}
