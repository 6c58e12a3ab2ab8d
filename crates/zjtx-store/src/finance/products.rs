//! Products.

use super::*;
use std::sync::Arc;

/// How long a kept copy of the listed products is used before it is checked again.
const LISTED_RECHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// The kept copy of the listed products (`Store::listed_products`).
#[derive(Clone, Debug)]
pub struct ListedCache {
    checked: std::time::Instant,
    stamp: (i64, i64, i64),
    products: Arc<Vec<Product>>,
}

impl Store {
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
            .await?;
        self.forget_listed();
        Ok(())
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
        .await?;
        self.forget_listed();
        Ok(())
    }

    /// The listed products, from a copy kept in memory: dropped when this instance reviews or
    /// withdraws a product, and checked against the database (a count, a sum of ids and the
    /// latest change of the listed set) at most every `LISTED_RECHECK`, so that another instance's
    /// review shows here within that time.
    pub async fn listed_products(&self) -> Result<Arc<Vec<Product>>> {
        let kept = self.listed.lock().map(|g| g.clone()).unwrap_or(None);
        if let Some(k) = &kept
            && k.checked.elapsed() < LISTED_RECHECK
        {
            return Ok(k.products.clone());
        }
        let stamp: Vec<(i64, i64, i64)> = rows!(
            self,
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(id), 0) AS BIGINT) AS ids, COALESCE(MAX(updated_at), 0) AS latest \
             FROM products WHERE status = 'listed'",
            [],
            |r| (r.try_get("n")?, r.try_get("ids")?, r.try_get("latest")?)
        );
        let stamp = stamp.first().copied().unwrap_or_default();
        let products = match kept {
            Some(k) if k.stamp == stamp => k.products,
            _ => Arc::new(self.products(Some("listed"), None).await?),
        };
        if let Ok(mut g) = self.listed.lock() {
            *g = Some(ListedCache {
                checked: std::time::Instant::now(),
                stamp,
                products: products.clone(),
            });
        }
        Ok(products)
    }

    fn forget_listed(&self) {
        if let Ok(mut g) = self.listed.lock() {
            *g = None;
        }
    }
}
