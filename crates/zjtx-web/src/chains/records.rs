//! The records behind each figure of the line: the firms that took part, and the counted orders,
//! financing and projects, each linked to its event.

use super::*;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RecordsQuery {
    pub year: String,
    pub chain: String,
    pub district: String,
    /// `firms`, `order`, `financing` or `project`.
    pub what: String,
}

pub struct CountedRow {
    pub held_on: String,
    pub event_title: String,
    pub event_id: i64,
    pub party: String,
    pub amount: String,
    pub status: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "chain_records.html")]
pub struct RecordsPage {
    pub tr: Tr,
    pub nav: Nav,
    pub heading: String,
    pub back: String,
    pub firms: Vec<(String, String, i64)>,
    pub counted: Vec<CountedRow>,
    pub total: String,
    pub is_firms: bool,
}

/// `GET /chains/records`: what a figure of the line counts.
pub async fn records(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<RecordsQuery>,
) -> Result<RecordsPage, AppError> {
    let eq = EventsQuery {
        year: q.year.clone(),
        chain: q.chain.clone(),
        district: q.district.clone(),
    };
    let (f, year) = filter_for(&st, &user, &eq).await?;
    let back = format!("/chains/events?{}", query_of(year, &eq));
    let scope_label = format!(
        "{year} · {} · {}",
        if eq.chain.trim().is_empty() {
            i18n::t("全部产业链")
        } else {
            eq.chain.trim()
        },
        if eq.district.trim().is_empty() {
            i18n::t("全部区县").to_owned()
        } else {
            district_name(Some(eq.district.trim()))
        }
    );
    if q.what == "firms" {
        let firms = st.store.chain_firms(&f).await?;
        return Ok(RecordsPage {
            tr: Tr,
            nav: Nav::of(&user),
            heading: format!("{} · {scope_label}", i18n::t("参与企业")),
            back,
            total: firms.len().to_string(),
            firms,
            counted: Vec::new(),
            is_firms: true,
        });
    }
    let kind = OutcomeKind::from_key(q.what.trim())
        .filter(|k| *k != OutcomeKind::Intention)
        .ok_or(AppError::NotFound)?;
    let rows = st.store.chain_counted(&f, kind).await?;
    let total = match kind {
        OutcomeKind::Project => rows.len().to_string(),
        _ => wan(Some(rows.iter().filter_map(|(_, _, o)| o.amount).sum())),
    };
    Ok(RecordsPage {
        tr: Tr,
        nav: Nav::of(&user),
        heading: format!("{} · {scope_label}", outcome_label(kind)),
        back,
        firms: Vec::new(),
        counted: rows
            .into_iter()
            .map(|(held_on, event_title, o)| CountedRow {
                held_on,
                event_title,
                event_id: o.event_id,
                amount: o.amount.map(|a| wan(Some(a))).unwrap_or_default(),
                status: status_label(o.status),
                party: o.party,
            })
            .collect(),
        total,
        is_firms: false,
    })
}
