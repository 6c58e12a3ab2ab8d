//! Institutions.

use super::*;

impl Store {
    pub async fn create_institution(
        &self,
        name: &str,
        kind: &str,
        actor: Option<i64>,
    ) -> Result<i64> {
        self.insert_id(
            stmt(
                "INSERT INTO institutions (name, kind, created_at) VALUES (?, ?, ?) RETURNING id",
                vec![Bind::S(name), Bind::S(kind), Bind::I(now())],
            ),
            "institution.create",
            "institution",
            name,
            actor,
            "an institution of this name exists",
        )
        .await?
        .ok_or_else(|| StoreError::Conflict("not created".into()))
    }

    pub async fn institutions(&self) -> Result<Vec<Institution>> {
        Ok(rows!(
            self,
            "SELECT * FROM institutions ORDER BY id",
            [],
            |r| Institution {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                kind: r.try_get("kind")?,
            }
        ))
    }

    /// Links a financial institution's staff account to its institution.
    pub async fn set_institution(
        &self,
        username: &str,
        institution: i64,
        actor: Option<i64>,
    ) -> Result<()> {
        let detail = format!("institution {institution}");
        let target = format!("user:{username}");
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE users SET institution_id = ? WHERE username = ? AND role = 'institution' \
                     AND EXISTS (SELECT 1 FROM institutions WHERE id = ?)",
                    vec![Bind::I(institution), Bind::S(username), Bind::I(institution)],
                ),
                audit(actor, "institution.staff", &target, &detail),
            ],
            Some("no such institution account, or no such institution"),
        )
        .await
    }
}
