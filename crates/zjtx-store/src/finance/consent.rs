//! Consent and access.

use super::*;

impl Store {
    #[allow(clippy::too_many_arguments)]
    pub async fn grant_consent(
        &self,
        uscc: &str,
        institution: i64,
        categories: &str,
        predicates_only: bool,
        purpose: &str,
        from: &str,
        until: &str,
        actor: Option<i64>,
    ) -> Result<i64> {
        self.insert_id_then(
            stmt(
                "INSERT INTO consents (uscc, institution_id, categories, predicates_only, purpose, valid_from, valid_until, created_at) \
                 SELECT ?, id, ?, ?, ?, ?, ?, ? FROM institutions WHERE id = ? RETURNING id",
                vec![
                    Bind::S(uscc),
                    Bind::S(categories),
                    Bind::I(i64::from(predicates_only)),
                    Bind::S(purpose),
                    Bind::S(from),
                    Bind::S(until),
                    Bind::I(now()),
                    Bind::I(institution),
                ],
            ),
            "consent.grant",
            "consent",
            categories,
            actor,
            "",
            vec![outbox("consent.granted", None, "")],
        )
        .await?
        .ok_or_else(|| StoreError::Conflict("no such institution".into()))
    }

    /// Revokes a consent of this enterprise, at once.
    pub async fn revoke_consent(&self, id: i64, uscc: &str, actor: Option<i64>) -> Result<()> {
        let target = format!("consent:{id}");
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE consents SET revoked_at = ? WHERE id = ? AND uscc = ? AND revoked_at IS NULL",
                    vec![Bind::I(now()), Bind::I(id), Bind::S(uscc)],
                ),
                audit(actor, "consent.revoke", &target, ""),
                outbox("consent.revoked", Some(id), ""),
            ],
            Some("no such consent in force"),
        )
        .await
    }

    /// One consent by its id.
    pub async fn consent(&self, id: i64) -> Result<Option<Consent>> {
        Ok(rows!(
            self,
            "SELECT c.*, i.name AS institution FROM consents c JOIN institutions i ON i.id = c.institution_id \
             WHERE c.id = ?",
            [Bind::I(id)],
            |r| consent_row!(r)
        )
        .into_iter()
        .next())
    }

    /// An enterprise's consents (`institution` None) or those it gave one institution, newest first.
    pub async fn consents(&self, uscc: &str, institution: Option<i64>) -> Result<Vec<Consent>> {
        let i = institution.unwrap_or(0);
        Ok(rows!(
            self,
            "SELECT c.*, i.name AS institution FROM consents c JOIN institutions i ON i.id = c.institution_id \
             WHERE c.uscc = ? AND (? = 0 OR c.institution_id = ?) ORDER BY c.id DESC",
            [Bind::S(uscc), Bind::I(i), Bind::I(i)],
            |r| consent_row!(r)
        ))
    }
}

/// Reads a consent joined with its institution's name (any backend's row).
macro_rules! consent_row {
    ($r:expr) => {{
        let r = $r;
        Consent {
            id: r.try_get("id")?,
            uscc: r.try_get("uscc")?,
            institution_id: r.try_get("institution_id")?,
            institution: r.try_get("institution")?,
            categories: r.try_get("categories")?,
            predicates_only: r.try_get::<i64, _>("predicates_only")? != 0,
            purpose: r.try_get("purpose")?,
            valid_from: r.try_get("valid_from")?,
            valid_until: r.try_get("valid_until")?,
            revoked: r.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
        }
    }};
}
use consent_row;

impl Store {
    /// The consents in force on `today` that an enterprise gave an institution (read afresh on
    /// every request: a revocation takes effect on the very next one).
    pub async fn consents_in_force(
        &self,
        uscc: &str,
        institution: i64,
        today: &str,
    ) -> Result<Vec<Consent>> {
        Ok(self
            .consents(uscc, Some(institution))
            .await?
            .into_iter()
            .filter(|c| {
                !c.revoked && c.valid_from.as_str() <= today && today <= c.valid_until.as_str()
            })
            .collect())
    }

    /// The enterprises with a consent in force for an institution on `today`.
    pub async fn consenting(&self, institution: i64, today: &str) -> Result<Vec<String>> {
        Ok(rows!(
            self,
            "SELECT DISTINCT uscc FROM consents WHERE institution_id = ? AND revoked_at IS NULL \
             AND valid_from <= ? AND valid_until >= ? ORDER BY uscc",
            [Bind::I(institution), Bind::S(today), Bind::S(today)],
            |r| r.try_get::<String, _>("uscc")?
        ))
    }

    /// Logs an institution's read of an enterprise's data.
    pub async fn log_access(
        &self,
        uscc: &str,
        institution: i64,
        user_id: i64,
        categories: &str,
        route: &str,
        consent: Option<i64>,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO data_access (uscc, institution_id, user_id, categories, route, consent_id, at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
            &[
                Bind::S(uscc),
                Bind::I(institution),
                Bind::I(user_id),
                Bind::S(categories),
                Bind::S(route),
                Bind::OI(consent),
                Bind::I(now()),
            ],
        )
        .await?;
        Ok(())
    }

    /// Who read an enterprise's data, newest first: the reads of it alone, and the reads of
    /// every consenting firm at once (`log_access_set`) shown once for each of its consents to
    /// that institution in force at that moment — granted before (or in the same second), not
    /// revoked before, the day within its dates — under that consent and its categories.
    pub async fn access_log(&self, uscc: &str) -> Result<Vec<Access>> {
        Ok(rows!(
            self,
            "SELECT x.* FROM ( \
               SELECT a.at, a.id AS n, a.categories, a.route, a.consent_id, i.name AS institution, u.username \
               FROM data_access a JOIN institutions i ON i.id = a.institution_id JOIN users u ON u.id = a.user_id \
               WHERE a.uscc = ? \
               UNION ALL \
               SELECT s.at, s.id AS n, c.categories, s.route, c.id AS consent_id, i.name AS institution, u.username \
               FROM consents c JOIN data_access_sets s ON s.institution_id = c.institution_id \
                 AND s.at >= c.created_at AND (c.revoked_at IS NULL OR c.revoked_at >= s.at) \
                 AND s.day >= c.valid_from AND s.day <= c.valid_until \
               JOIN institutions i ON i.id = s.institution_id JOIN users u ON u.id = s.user_id \
               WHERE c.uscc = ? \
             ) x ORDER BY x.at DESC, x.n DESC",
            [Bind::S(uscc), Bind::S(uscc)],
            |r| Access {
                institution: r.try_get("institution")?,
                username: r.try_get("username")?,
                categories: r.try_get("categories")?,
                route: r.try_get("route")?,
                consent_id: r.try_get("consent_id")?,
                at: r.try_get("at")?,
            }
        ))
    }

    /// Logs a read of every firm with a consent in force for `institution` on `day` (a
    /// screening, a product's eligible list): one row, which each such firm's access log shows.
    pub async fn log_access_set(
        &self,
        institution: i64,
        user_id: i64,
        route: &str,
        day: &str,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO data_access_sets (institution_id, user_id, route, day, at) VALUES (?, ?, ?, ?, ?)",
            &[
                Bind::I(institution),
                Bind::I(user_id),
                Bind::S(route),
                Bind::S(day),
                Bind::I(now()),
            ],
        )
        .await?;
        Ok(())
    }
}
