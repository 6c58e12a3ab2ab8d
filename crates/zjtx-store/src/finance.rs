//! The finance zone: institutions and their staff, products and their review, financing needs,
//! consent and every access it allows, saved screenings, applications and outcomes, matchmaking
//! events, the listing pipeline, and the statistics counted from them.
//!
//! As in `declare`, every change of state is one transaction with its audit record, guarded on
//! the state it starts from.

use serde::Serialize;
use sqlx::Row;
pub use zjtx_core::workflow::application::Status as ApplicationStatus;

use super::declare::{audit, messages, stmt};
use super::{Bind, Message, Result, Store, StoreError, now, safe};

#[derive(Clone, Debug, Serialize)]
pub struct Institution {
    pub id: i64,
    pub name: String,
    pub kind: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Product {
    pub id: i64,
    pub institution_id: i64,
    pub institution: String,
    pub name: String,
    pub kind: String,
    pub min_amount: i64,
    pub max_amount: i64,
    pub term_min: i64,
    pub term_max: i64,
    pub rate_kind: String,
    /// Basis points: the annual rate (fixed) or the spread over LPR.
    pub rate_bp: i64,
    /// Comma-separated collateral modes.
    pub collateral: String,
    pub repayment: String,
    pub channel: String,
    /// `zjtx_core::finance::Eligibility` as JSON.
    pub eligibility: String,
    /// submitted, listed, rejected, withdrawn.
    pub status: String,
    pub review_reason: Option<String>,
}

pub struct NewProduct {
    pub institution_id: i64,
    pub name: String,
    pub kind: String,
    pub min_amount: i64,
    pub max_amount: i64,
    pub term_min: i64,
    pub term_max: i64,
    pub rate_kind: String,
    pub rate_bp: i64,
    pub collateral: String,
    pub repayment: String,
    pub channel: String,
    pub eligibility: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Need {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    pub amount: i64,
    pub purpose: String,
    pub term_months: i64,
    pub collateral: String,
    /// open, met, closed.
    pub status: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct NeedResponse {
    pub institution: String,
    pub product_id: Option<i64>,
    pub text: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Consent {
    pub id: i64,
    pub uscc: String,
    pub institution_id: i64,
    pub institution: String,
    /// Comma-separated categories.
    pub categories: String,
    pub predicates_only: bool,
    pub purpose: String,
    pub valid_from: String,
    pub valid_until: String,
    pub revoked: bool,
}

impl Consent {
    pub fn covers(&self, category: &str) -> bool {
        self.categories.split(',').any(|c| c == category)
    }
}

impl zjtx_core::workflow::consent::Terms for Consent {
    fn id(&self) -> i64 {
        self.id
    }
    fn covers(&self, category: &str) -> bool {
        Consent::covers(self, category)
    }
    fn predicates_only(&self) -> bool {
        self.predicates_only
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Access {
    pub institution: String,
    pub username: String,
    pub categories: String,
    pub route: String,
    pub consent_id: Option<i64>,
    pub at: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct SavedSearch {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// The screening's query string.
    pub filter: String,
    /// USCCs already seen, comma-separated.
    pub seen: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Application {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    pub product_id: i64,
    pub product: String,
    pub institution_id: i64,
    pub need_id: Option<i64>,
    pub amount: i64,
    pub status: ApplicationStatus,
    pub granted_amount: Option<i64>,
    pub granted_on: Option<String>,
    pub disbursed_on: Option<String>,
    pub decline_reason: Option<String>,
    pub created_on: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub status: String,
    pub detail: String,
    pub at: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct FinEvent {
    pub id: i64,
    pub title: String,
    pub held_on: String,
    pub region_code: Option<String>,
    /// (enterprise USCC or institution id as text, outcome, amount).
    pub participants: Vec<(String, String, Option<i64>)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Listing {
    pub uscc: String,
    pub name: String,
    pub stage: String,
    pub updated_at: i64,
}

/// The finance statistics of a period and (optionally) some districts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FinStats {
    pub institutions: i64,
    pub products_listed: i64,
    pub needs_posted: i64,
    pub needs_met: i64,
    pub applications: i64,
    pub granted_count: i64,
    pub granted_amount: i64,
    pub disbursed_count: i64,
    pub disbursed_amount: i64,
    pub enterprises_served: i64,
    /// (top tier, enterprises served, amount granted).
    pub by_tier: Vec<(String, i64, i64)>,
}

const PRODUCT_COLS: &str =
    "p.*, i.name AS institution FROM products p JOIN institutions i ON i.id = p.institution_id";
const APPLICATION_COLS: &str = "a.*, e.name AS name, p.name AS product FROM applications a \
     JOIN enterprises e ON e.uscc = a.uscc JOIN products p ON p.id = a.product_id";

macro_rules! product_row {
    ($r:expr) => {{
        let r = $r;
        Product {
            id: r.try_get("id")?,
            institution_id: r.try_get("institution_id")?,
            institution: r.try_get("institution")?,
            name: r.try_get("name")?,
            kind: r.try_get("kind")?,
            min_amount: r.try_get("min_amount")?,
            max_amount: r.try_get("max_amount")?,
            term_min: r.try_get("term_min")?,
            term_max: r.try_get("term_max")?,
            rate_kind: r.try_get("rate_kind")?,
            rate_bp: r.try_get("rate_bp")?,
            collateral: r.try_get("collateral")?,
            repayment: r.try_get("repayment")?,
            channel: r.try_get("channel")?,
            eligibility: r.try_get("eligibility")?,
            status: r.try_get("status")?,
            review_reason: r.try_get("review_reason")?,
        }
    }};
}

macro_rules! application_row {
    ($r:expr) => {{
        let r = $r;
        Application {
            id: r.try_get("id")?,
            uscc: r.try_get("uscc")?,
            name: r.try_get("name")?,
            product_id: r.try_get("product_id")?,
            product: r.try_get("product")?,
            institution_id: r.try_get("institution_id")?,
            need_id: r.try_get("need_id")?,
            amount: r.try_get("amount")?,
            status: {
                let s: String = r.try_get("status")?;
                ApplicationStatus::parse(&s).ok_or_else(|| {
                    sqlx::Error::Decode(format!("unknown application status {s:?}").into())
                })?
            },
            granted_amount: r.try_get("granted_amount")?,
            granted_on: r.try_get("granted_on")?,
            disbursed_on: r.try_get("disbursed_on")?,
            decline_reason: r.try_get("decline_reason")?,
            created_on: r.try_get("created_on")?,
        }
    }};
}

macro_rules! rows {
    ($self:expr, $sql:expr, [$($b:expr),*], |$r:ident| $make:expr) => {{
        let sql = $self.sql($sql).into_owned();
        on_pool!($self, p => {
            let q = sqlx::query(safe(&sql));
            $(let q = $b.bind_to(q);)*
            let rows = q.fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for $r in &rows {
                out.push($make);
            }
            out
        })
    }};
}

impl Store {
    // ---- institutions -------------------------------------------------------------------------

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

    // ---- products -----------------------------------------------------------------------------

    /// Submits a product for the bureau's review.
    pub async fn create_product(&self, p: &NewProduct, actor: Option<i64>) -> Result<i64> {
        let t = now();
        self.insert_id(
            stmt(
                "INSERT INTO products (institution_id, name, kind, min_amount, max_amount, term_min, term_max, rate_kind, \
                 rate_bp, collateral, repayment, channel, eligibility, status, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'submitted', ?, ?) RETURNING id",
                vec![
                    Bind::I(p.institution_id),
                    Bind::S(&p.name),
                    Bind::S(&p.kind),
                    Bind::I(p.min_amount),
                    Bind::I(p.max_amount),
                    Bind::I(p.term_min),
                    Bind::I(p.term_max),
                    Bind::S(&p.rate_kind),
                    Bind::I(p.rate_bp),
                    Bind::S(&p.collateral),
                    Bind::S(&p.repayment),
                    Bind::S(&p.channel),
                    Bind::S(&p.eligibility),
                    Bind::I(t),
                    Bind::I(t),
                ],
            ),
            "product.submit",
            "product",
            &p.name,
            actor,
            "",
        )
        .await?
        .ok_or_else(|| StoreError::Conflict("not created".into()))
    }

    pub async fn product(&self, id: i64) -> Result<Option<Product>> {
        let sql = format!("SELECT {PRODUCT_COLS} WHERE p.id = ?");
        Ok(rows!(self, &sql, [Bind::I(id)], |r| product_row!(r))
            .into_iter()
            .next())
    }

    /// Products in a state (all when `None`), of one institution (all when `None`).
    pub async fn products(
        &self,
        status: Option<&str>,
        institution: Option<i64>,
    ) -> Result<Vec<Product>> {
        let sql = format!(
            "SELECT {PRODUCT_COLS} WHERE (? = '' OR p.status = ?) AND (? = 0 OR p.institution_id = ?) ORDER BY p.id"
        );
        let (s, i) = (status.unwrap_or(""), institution.unwrap_or(0));
        Ok(rows!(
            self,
            &sql,
            [Bind::S(s), Bind::S(s), Bind::I(i), Bind::I(i)],
            |r| product_row!(r)
        ))
    }

    /// The bureau lists a submitted product, or refuses it with a reason.
    pub async fn review_product(
        &self,
        id: i64,
        list: bool,
        reason: &str,
        actor: Option<i64>,
        msgs: &[Message<'_>],
    ) -> Result<()> {
        let target = format!("product:{id}");
        let to = if list { "listed" } else { "rejected" };
        let mut stmts = vec![
            stmt(
                "UPDATE products SET status = ?, review_reason = ?, updated_at = ? WHERE id = ? AND status = 'submitted'",
                vec![Bind::S(to), Bind::S(reason), Bind::I(now()), Bind::I(id)],
            ),
            audit(
                actor,
                if list {
                    "product.list"
                } else {
                    "product.reject"
                },
                &target,
                reason,
            ),
        ];
        stmts.extend(messages(msgs));
        self.exec_tx(stmts, Some("the product is not awaiting review"))
            .await
    }

    /// The institution withdraws one of its products.
    pub async fn withdraw_product(
        &self,
        id: i64,
        institution: i64,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("product:{id}");
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE products SET status = 'withdrawn', updated_at = ? WHERE id = ? AND institution_id = ? \
                     AND status IN ('submitted', 'listed')",
                    vec![Bind::I(now()), Bind::I(id), Bind::I(institution)],
                ),
                audit(actor, "product.withdraw", &target, ""),
            ],
            Some("the product cannot be withdrawn"),
        )
        .await
    }

    // ---- needs --------------------------------------------------------------------------------

    pub async fn post_need(
        &self,
        uscc: &str,
        amount: i64,
        purpose: &str,
        term_months: i64,
        collateral: &str,
        actor: Option<i64>,
    ) -> Result<i64> {
        self.insert_id(
            stmt(
                "INSERT INTO needs (uscc, amount, purpose, term_months, collateral, status, created_at) \
                 VALUES (?, ?, ?, ?, ?, 'open', ?) RETURNING id",
                vec![
                    Bind::S(uscc),
                    Bind::I(amount),
                    Bind::S(purpose),
                    Bind::I(term_months),
                    Bind::S(collateral),
                    Bind::I(now()),
                ],
            ),
            "need.post",
            "need",
            purpose,
            actor,
            "",
        )
        .await?
        .ok_or_else(|| StoreError::Conflict("not posted".into()))
    }

    /// Needs of an enterprise (`Some`) or every open need (`None`), newest first.
    pub async fn needs(&self, uscc: Option<&str>) -> Result<Vec<Need>> {
        let u = uscc.unwrap_or("");
        Ok(rows!(
            self,
            "SELECT n.*, e.name FROM needs n JOIN enterprises e ON e.uscc = n.uscc \
             WHERE (? <> '' AND n.uscc = ?) OR (? = '' AND n.status = 'open') ORDER BY n.id DESC",
            [Bind::S(u), Bind::S(u), Bind::S(u)],
            |r| Need {
                id: r.try_get("id")?,
                uscc: r.try_get("uscc")?,
                name: r.try_get("name")?,
                amount: r.try_get("amount")?,
                purpose: r.try_get("purpose")?,
                term_months: r.try_get("term_months")?,
                collateral: r.try_get("collateral")?,
                status: r.try_get("status")?,
                created_at: r.try_get("created_at")?,
            }
        ))
    }

    pub async fn respond_need(
        &self,
        need: i64,
        institution: i64,
        product: Option<i64>,
        text: &str,
        actor: Option<i64>,
        msgs: &[Message<'_>],
    ) -> Result<()> {
        let target = format!("need:{need}");
        let mut stmts = vec![
            stmt(
                "INSERT INTO need_responses (need_id, institution_id, product_id, text, created_at) \
                 SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM needs WHERE id = ? AND status = 'open')",
                vec![
                    Bind::I(need),
                    Bind::I(institution),
                    Bind::OI(product),
                    Bind::S(text),
                    Bind::I(now()),
                    Bind::I(need),
                ],
            ),
            audit(actor, "need.respond", &target, text),
        ];
        stmts.extend(messages(msgs));
        self.exec_tx(stmts, Some("the need is no longer open"))
            .await
    }

    pub async fn need_responses(&self, need: i64) -> Result<Vec<NeedResponse>> {
        Ok(rows!(
            self,
            "SELECT r.*, i.name AS institution FROM need_responses r JOIN institutions i ON i.id = r.institution_id \
             WHERE r.need_id = ? ORDER BY r.id",
            [Bind::I(need)],
            |r| NeedResponse {
                institution: r.try_get("institution")?,
                product_id: r.try_get("product_id")?,
                text: r.try_get("text")?,
                created_at: r.try_get("created_at")?,
            }
        ))
    }

    // ---- consent and access -------------------------------------------------------------------

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
        self.insert_id(
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
            ],
            Some("no such consent in force"),
        )
        .await
    }

    /// An enterprise's consents (`institution` None) or those it gave one institution, newest first.
    pub async fn consents(&self, uscc: &str, institution: Option<i64>) -> Result<Vec<Consent>> {
        let i = institution.unwrap_or(0);
        Ok(rows!(
            self,
            "SELECT c.*, i.name AS institution FROM consents c JOIN institutions i ON i.id = c.institution_id \
             WHERE c.uscc = ? AND (? = 0 OR c.institution_id = ?) ORDER BY c.id DESC",
            [Bind::S(uscc), Bind::I(i), Bind::I(i)],
            |r| Consent {
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
        ))
    }

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

    /// Who read an enterprise's data, newest first.
    pub async fn access_log(&self, uscc: &str) -> Result<Vec<Access>> {
        Ok(rows!(
            self,
            "SELECT a.*, i.name AS institution, u.username FROM data_access a \
             JOIN institutions i ON i.id = a.institution_id JOIN users u ON u.id = a.user_id \
             WHERE a.uscc = ? ORDER BY a.at DESC, a.id DESC",
            [Bind::S(uscc)],
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

    // ---- saved screenings ---------------------------------------------------------------------

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

    // ---- applications -------------------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    pub async fn apply(
        &self,
        uscc: &str,
        product: i64,
        need: Option<i64>,
        amount: i64,
        today: &str,
        actor: Option<i64>,
    ) -> Result<i64> {
        let id = self
            .insert_id(
                stmt(
                    "INSERT INTO applications (uscc, product_id, institution_id, need_id, amount, status, region_code, created_on, updated_at) \
                     SELECT e.uscc, p.id, p.institution_id, ?, ?, 'applied', e.region_code, ?, ? \
                     FROM products p, enterprises e WHERE p.id = ? AND p.status = 'listed' AND e.uscc = ? RETURNING id",
                    vec![
                        Bind::OI(need),
                        Bind::I(amount),
                        Bind::S(today),
                        Bind::I(now()),
                        Bind::I(product),
                        Bind::S(uscc),
                    ],
                ),
                "application.apply",
                "application",
                uscc,
                actor,
                "",
            )
            .await?
            .ok_or_else(|| StoreError::Conflict("the product is not listed".into()))?;
        self.exec(
            "INSERT INTO application_steps (application_id, status, detail, at, by_user) VALUES (?, 'applied', '', ?, ?)",
            &[Bind::I(id), Bind::I(now()), Bind::OI(actor)],
        )
        .await?;
        Ok(id)
    }

    pub async fn application(&self, id: i64) -> Result<Option<Application>> {
        let sql = format!("SELECT {APPLICATION_COLS} WHERE a.id = ?");
        Ok(rows!(self, &sql, [Bind::I(id)], |r| application_row!(r))
            .into_iter()
            .next())
    }

    /// Applications of an enterprise (`uscc`) or to an institution (`institution`).
    pub async fn applications(
        &self,
        uscc: Option<&str>,
        institution: Option<i64>,
    ) -> Result<Vec<Application>> {
        let sql = format!(
            "SELECT {APPLICATION_COLS} WHERE (? = '' OR a.uscc = ?) AND (? = 0 OR a.institution_id = ?) ORDER BY a.id DESC"
        );
        let (u, i) = (uscc.unwrap_or(""), institution.unwrap_or(0));
        Ok(rows!(
            self,
            &sql,
            [Bind::S(u), Bind::S(u), Bind::I(i), Bind::I(i)],
            |r| application_row!(r)
        ))
    }

    pub async fn application_steps(&self, id: i64) -> Result<Vec<Step>> {
        Ok(rows!(
            self,
            "SELECT * FROM application_steps WHERE application_id = ? ORDER BY at, id",
            [Bind::I(id)],
            |r| Step {
                status: r.try_get("status")?,
                detail: r.try_get("detail")?,
                at: r.try_get("at")?,
            }
        ))
    }

    /// Moves an application on (accepted, granted with amount and date, disbursed with its date,
    /// or declined with a reason), with its step, audit record and messages; a disbursement meets
    /// the need it answered.
    #[allow(clippy::too_many_arguments)]
    pub async fn application_step(
        &self,
        id: i64,
        institution: i64,
        from: ApplicationStatus,
        to: ApplicationStatus,
        amount: Option<i64>,
        on: Option<&str>,
        detail: &str,
        actor: Option<i64>,
        msgs: &[Message<'_>],
    ) -> Result<()> {
        use ApplicationStatus as S;
        let set = match to {
            S::Granted => "granted_amount = ?, granted_on = ?",
            S::Disbursed => "disbursed_on = ?",
            S::Declined => "decline_reason = ?",
            S::Applied | S::Accepted => "",
        };
        let to_name = to.as_str();
        let mut binds = vec![Bind::S(to_name), Bind::I(now())];
        match to {
            S::Granted => {
                binds.push(Bind::OI(amount));
                binds.push(Bind::OS(on));
            }
            S::Disbursed => binds.push(Bind::OS(on)),
            S::Declined => binds.push(Bind::S(detail)),
            S::Applied | S::Accepted => {}
        }
        binds.push(Bind::I(id));
        binds.push(Bind::I(institution));
        binds.push(Bind::S(from.as_str()));
        let sql = format!(
            "UPDATE applications SET status = ?, updated_at = ?{}{set} WHERE id = ? AND institution_id = ? AND status = ?",
            if set.is_empty() { "" } else { ", " },
        );
        let target = format!("application:{id}");
        let action = format!("application.{to_name}");
        let mut stmts = vec![
            stmt(sql, binds),
            stmt(
                "INSERT INTO application_steps (application_id, status, detail, at, by_user) VALUES (?, ?, ?, ?, ?)",
                vec![
                    Bind::I(id),
                    Bind::S(to_name),
                    Bind::S(detail),
                    Bind::I(now()),
                    Bind::OI(actor),
                ],
            ),
            audit(actor, &action, &target, detail),
        ];
        if to == S::Disbursed {
            stmts.push(stmt(
                "UPDATE needs SET status = 'met' WHERE id = (SELECT need_id FROM applications WHERE id = ?)",
                vec![Bind::I(id)],
            ));
        }
        stmts.extend(messages(msgs));
        self.exec_tx(
            stmts,
            Some("the application is not in a state that allows this"),
        )
        .await
    }

    // ---- events and the listing pipeline ------------------------------------------------------

    pub async fn create_fin_event(
        &self,
        title: &str,
        held_on: &str,
        region: Option<&str>,
        actor: Option<i64>,
    ) -> Result<i64> {
        self.insert_id(
            stmt(
                "INSERT INTO fin_events (title, held_on, region_code, created_at) VALUES (?, ?, ?, ?) RETURNING id",
                vec![Bind::S(title), Bind::S(held_on), Bind::OS(region), Bind::I(now())],
            ),
            "event.create",
            "event",
            title,
            actor,
            "",
        )
        .await?
        .ok_or_else(|| StoreError::Conflict("not created".into()))
    }

    pub async fn add_participant(
        &self,
        event: i64,
        uscc: Option<&str>,
        institution: Option<i64>,
        outcome: &str,
        amount: Option<i64>,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("event:{event}");
        self.exec_tx(
            vec![
                stmt(
                    "INSERT INTO fin_event_participants (event_id, uscc, institution_id, outcome, amount) \
                     SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM fin_events WHERE id = ?)",
                    vec![
                        Bind::I(event),
                        Bind::OS(uscc),
                        Bind::OI(institution),
                        Bind::S(outcome),
                        Bind::OI(amount),
                        Bind::I(event),
                    ],
                ),
                audit(actor, "event.participant", &target, outcome),
            ],
            Some("no such event"),
        )
        .await
    }

    /// Events in some regions (all when `None`), newest first, with their participants.
    pub async fn fin_events(&self, regions: Option<&[String]>) -> Result<Vec<FinEvent>> {
        let mut events: Vec<FinEvent> = rows!(
            self,
            "SELECT * FROM fin_events ORDER BY held_on DESC, id DESC",
            [],
            |r| FinEvent {
                id: r.try_get("id")?,
                title: r.try_get("title")?,
                held_on: r.try_get("held_on")?,
                region_code: r.try_get("region_code")?,
                participants: Vec::new(),
            }
        );
        if let Some(rs) = regions {
            events.retain(|e| e.region_code.as_ref().is_some_and(|c| rs.contains(c)));
        }
        let parts: Vec<(i64, String, String, Option<i64>)> = rows!(
            self,
            "SELECT p.event_id, COALESCE(p.uscc, CAST(p.institution_id AS TEXT)) AS who, p.outcome, p.amount \
             FROM fin_event_participants p ORDER BY p.event_id",
            [],
            |r| (
                r.try_get("event_id")?,
                r.try_get::<Option<String>, _>("who")?.unwrap_or_default(),
                r.try_get("outcome")?,
                r.try_get("amount")?
            )
        );
        for e in &mut events {
            e.participants = parts
                .iter()
                .filter(|p| p.0 == e.id)
                .map(|p| (p.1.clone(), p.2.clone(), p.3))
                .collect();
        }
        Ok(events)
    }

    pub async fn set_listing_stage(
        &self,
        uscc: &str,
        stage: &str,
        note: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("enterprise:{uscc}");
        self.exec_tx(
            vec![
                stmt(
                    "INSERT INTO listing_history (uscc, stage, note, at, by_user) \
                     SELECT uscc, ?, ?, ?, ? FROM enterprises WHERE uscc = ?",
                    vec![
                        Bind::S(stage),
                        Bind::S(note),
                        Bind::I(now()),
                        Bind::OI(actor),
                        Bind::S(uscc),
                    ],
                ),
                stmt(
                    "DELETE FROM listing_pipeline WHERE uscc = ?",
                    vec![Bind::S(uscc)],
                ),
                stmt(
                    "INSERT INTO listing_pipeline (uscc, stage, updated_at) VALUES (?, ?, ?)",
                    vec![Bind::S(uscc), Bind::S(stage), Bind::I(now())],
                ),
                audit(actor, "listing.stage", &target, stage),
            ],
            Some("no such enterprise"),
        )
        .await
    }

    pub async fn listing_pipeline(&self) -> Result<Vec<Listing>> {
        Ok(rows!(
            self,
            "SELECT l.*, e.name FROM listing_pipeline l JOIN enterprises e ON e.uscc = l.uscc ORDER BY l.stage, l.uscc",
            [],
            |r| Listing {
                uscc: r.try_get("uscc")?,
                name: r.try_get("name")?,
                stage: r.try_get("stage")?,
                updated_at: r.try_get("updated_at")?,
            }
        ))
    }

    pub async fn listing_history(&self, uscc: &str) -> Result<Vec<(String, String, i64)>> {
        Ok(rows!(
            self,
            "SELECT stage, note, at FROM listing_history WHERE uscc = ? ORDER BY at, id",
            [Bind::S(uscc)],
            |r| (r.try_get("stage")?, r.try_get("note")?, r.try_get("at")?)
        ))
    }

    // ---- statistics ---------------------------------------------------------------------------

    /// Counts the finance zone's work for dates `from`..=`to` (needs and products by creation,
    /// grants and disbursements by their dates), within some districts (all when `None`).
    pub async fn fin_stats(
        &self,
        from: &str,
        to: &str,
        regions: Option<&[String]>,
    ) -> Result<FinStats> {
        let (t0, t1) = (day_start(from), day_start(to) + 86_400);
        let region_cond = |col: &str| match regions {
            None => String::new(),
            Some([]) => " AND 1 = 0".into(),
            Some(rs) => format!(" AND {col} IN ({})", vec!["?"; rs.len()].join(", ")),
        };
        let rb: Vec<Bind<'_>> = regions
            .unwrap_or_default()
            .iter()
            .map(|r| Bind::S(r.as_str()))
            .collect();
        fn with<'a>(
            sql: String,
            mut binds: Vec<Bind<'a>>,
            rb: &[Bind<'a>],
        ) -> (String, Vec<Bind<'a>>) {
            binds.extend_from_slice(rb);
            (sql, binds)
        }
        let mut st = FinStats {
            institutions: self
                .count2(&(
                    "SELECT COUNT(*) AS n, CAST(0 AS BIGINT) AS s FROM institutions".into(),
                    Vec::new(),
                ))
                .await?
                .0,
            products_listed: self
                .count2(&(
                    "SELECT COUNT(*) AS n, CAST(0 AS BIGINT) AS s FROM products WHERE status = 'listed'".into(),
                    Vec::new(),
                ))
                .await?
                .0,
            ..FinStats::default()
        };
        let needs = with(
            format!(
                "SELECT COUNT(*) AS n, CAST(SUM(CASE WHEN n.status = 'met' THEN 1 ELSE 0 END) AS BIGINT) AS s FROM needs n \
                 JOIN enterprises e ON e.uscc = n.uscc WHERE n.created_at >= ? AND n.created_at < ?{}",
                region_cond("e.region_code")
            ),
            vec![Bind::I(t0), Bind::I(t1)],
            &rb,
        );
        (st.needs_posted, st.needs_met) = self.count2(&needs).await?;
        let apps = with(
            format!(
                "SELECT COUNT(*) AS n, CAST(0 AS BIGINT) AS s FROM applications a WHERE a.created_on >= ? AND a.created_on <= ?{}",
                region_cond("a.region_code")
            ),
            vec![Bind::S(from), Bind::S(to)],
            &rb,
        );
        st.applications = self.count2(&apps).await?.0;
        let granted = with(
            format!(
                "SELECT COUNT(*) AS n, CAST(SUM(a.granted_amount) AS BIGINT) AS s FROM applications a WHERE a.granted_on >= ? AND a.granted_on <= ?{}",
                region_cond("a.region_code")
            ),
            vec![Bind::S(from), Bind::S(to)],
            &rb,
        );
        (st.granted_count, st.granted_amount) = self.count2(&granted).await?;
        let disbursed = with(
            format!(
                "SELECT COUNT(*) AS n, CAST(SUM(a.granted_amount) AS BIGINT) AS s FROM applications a WHERE a.disbursed_on >= ? AND a.disbursed_on <= ?{}",
                region_cond("a.region_code")
            ),
            vec![Bind::S(from), Bind::S(to)],
            &rb,
        );
        (st.disbursed_count, st.disbursed_amount) = self.count2(&disbursed).await?;
        let served = with(
            format!(
                "SELECT COUNT(DISTINCT a.uscc) AS n, CAST(0 AS BIGINT) AS s FROM applications a WHERE a.granted_on >= ? AND a.granted_on <= ?{}",
                region_cond("a.region_code")
            ),
            vec![Bind::S(from), Bind::S(to)],
            &rb,
        );
        st.enterprises_served = self.count2(&served).await?.0;
        for tier in ["giant", "srdi", "innovative", "tech_sme", "none"] {
            let q = with(
                format!(
                    "SELECT COUNT(DISTINCT a.uscc) AS n, CAST(SUM(a.granted_amount) AS BIGINT) AS s FROM applications a \
                     JOIN enterprises e ON e.uscc = a.uscc WHERE e.top_tier = ? AND a.granted_on >= ? AND a.granted_on <= ?{}",
                    region_cond("a.region_code")
                ),
                vec![Bind::S(tier), Bind::S(from), Bind::S(to)],
                &rb,
            );
            let (n, s) = self.count2(&q).await?;
            st.by_tier.push((tier.to_owned(), n, s));
        }
        Ok(st)
    }
}

impl Store {
    /// One row of `n` and `s` (a count and a sum).
    async fn count2(&self, q: &(String, Vec<Bind<'_>>)) -> Result<(i64, i64)> {
        let sql = self.sql(&q.0).into_owned();
        Ok(on_pool!(self, p => {
            let mut query = sqlx::query(safe(&sql));
            for b in &q.1 {
                query = b.bind_to(query);
            }
            let r = query.fetch_one(p).await?;
            (r.try_get::<i64, _>("n")?, r.try_get::<Option<i64>, _>("s")?.unwrap_or(0))
        }))
    }
}

/// Unix seconds at the start of a date (UTC), or 0.
fn day_start(d: &str) -> i64 {
    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(0, |t| t.and_utc().timestamp())
}
