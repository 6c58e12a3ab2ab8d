//! Statistics.

use super::*;

impl Store {
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
