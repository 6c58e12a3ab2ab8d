//! One event: its parties and outcomes, and the steps that record them.

use super::*;
use zjtx_store::{ChainOutcome, ChainParty};

pub struct PartyRow {
    pub p: ChainParty,
    pub role: &'static str,
}

pub struct OutcomeRow {
    pub o: ChainOutcome,
    pub kind: &'static str,
    pub status: &'static str,
    pub amount: String,
    /// The steps open from its status: (target key, label).
    pub steps: Vec<(&'static str, &'static str)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "chain_event.html")]
pub struct EventPage {
    pub tr: Tr,
    pub nav: Nav,
    pub e: ChainEvent,
    pub kind: &'static str,
    pub district: String,
    pub parties: Vec<PartyRow>,
    pub outcomes: Vec<OutcomeRow>,
    pub can_record: bool,
    pub held: bool,
    pub roles: Vec<(&'static str, &'static str)>,
    pub outcome_kinds: Vec<(&'static str, &'static str)>,
}

/// `GET /chains/events/{id}`.
pub async fn event(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<EventPage, AppError> {
    let e = event_or_404(&st, &user, id).await?;
    let can_record = !matches!(seat(&user), flow::Seat::Other);
    let parties = st
        .store
        .chain_parties(id)
        .await?
        .into_iter()
        .map(|p| PartyRow {
            role: role_label(p.role),
            p,
        })
        .collect();
    // A firm sees what came of the event for itself, never another party's orders or financing.
    let own_parties: Option<Vec<i64>> = match (&user.user.role, &user.user.uscc) {
        (UserRole::Enterprise, uscc) => Some(
            st.store
                .chain_parties(id)
                .await?
                .iter()
                .filter(|p| p.uscc.is_some() && p.uscc == *uscc)
                .map(|p| p.id)
                .collect(),
        ),
        _ => None,
    };
    let outcomes = st
        .store
        .chain_outcomes(id)
        .await?
        .into_iter()
        .filter(|o| {
            own_parties
                .as_ref()
                .is_none_or(|own| own.contains(&o.party_id))
        })
        .map(|o| OutcomeRow {
            kind: outcome_label(o.kind),
            status: status_label(o.status),
            amount: o.amount.map(|a| wan(Some(a))).unwrap_or_default(),
            steps: if can_record {
                [Status::Signed, Status::Executed, Status::Cancelled]
                    .into_iter()
                    .filter(|to| flow::advance(&flow::Seat::City, o.status, *to, "x").is_ok())
                    .map(|to| (to.key(), step_label(to)))
                    .collect()
            } else {
                Vec::new()
            },
            o,
        })
        .collect();
    let held =
        chrono::NaiveDate::parse_from_str(&e.held_on, "%Y-%m-%d").is_ok_and(|d| d <= st.today());
    Ok(EventPage {
        tr: Tr,
        nav: Nav::of(&user),
        kind: kind_label(e.kind),
        district: district_name(e.region_code.as_deref()),
        e,
        parties,
        outcomes,
        can_record,
        held,
        roles: Role::ALL
            .iter()
            .map(|r| (r.key(), role_label(*r)))
            .collect(),
        outcome_kinds: OutcomeKind::ALL
            .iter()
            .map(|k| (k.key(), outcome_label(*k)))
            .collect(),
    })
}

fn step_label(to: Status) -> &'static str {
    match to {
        Status::Signed => i18n::t("登记签约"),
        Status::Executed => i18n::t("登记履约"),
        Status::Cancelled => i18n::t("取消"),
        Status::Intention => i18n::t("意向"),
    }
}

/// An event a recorder may change: visible to them and in their seat's reach.
async fn recordable(st: &AppState, user: &CurrentUser, id: i64) -> Result<ChainEvent, AppError> {
    if matches!(seat(user), flow::Seat::Other) {
        return Err(AppError::Forbidden);
    }
    event_or_404(st, user, id).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PartyForm {
    pub csrf: String,
    pub role: String,
    pub who: String,
}

/// `POST /chains/events/{id}/parties`.
pub async fn add_party(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<PartyForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let e = recordable(&st, &user, id).await?;
    let (role, party) = flow::party(&f.role, &f.who).map_err(refused)?;
    st.store
        .add_chain_party(e.id, role, &party, Some(user.user.id))
        .await?
        .ok_or_else(|| AppError::BadRequest(i18n::t("企业库中没有该统一社会信用代码").into()))?;
    Ok(Redirect::to(&format!("/chains/events/{id}#parties")))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OutcomeForm {
    pub csrf: String,
    pub party: String,
    pub kind: String,
    pub amount: String,
    pub status: String,
    pub note: String,
}

/// `POST /chains/events/{id}/outcomes`.
pub async fn add_outcome(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<OutcomeForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let e = recordable(&st, &user, id).await?;
    let held_on = chrono::NaiveDate::parse_from_str(&e.held_on, "%Y-%m-%d")
        .map_err(|_| AppError::Internal(format!("chain event {id} date {:?}", e.held_on)))?;
    let o = flow::outcome(held_on, &f.kind, &f.amount, &f.status, &f.note, st.today())
        .map_err(refused)?;
    let party: i64 = f
        .party
        .trim()
        .parse()
        .map_err(|_| refused(Refusal::Invalid(vec![Field::Party])))?;
    st.store
        .add_chain_outcome(e.id, party, &o, Some(user.user.id))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Redirect::to(&format!("/chains/events/{id}#outcomes")))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    pub csrf: String,
    pub to: String,
    pub reason: String,
}

/// `POST /chains/outcomes/{id}/status`: signed, executed or cancelled (with a reason).
pub async fn set_status(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<StatusForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let o = st
        .store
        .chain_outcome(id)
        .await?
        .ok_or(AppError::NotFound)?;
    recordable(&st, &user, o.event_id).await?;
    let to = Status::from_key(f.to.trim())
        .ok_or_else(|| refused(Refusal::Invalid(vec![Field::Status])))?;
    let to = flow::advance(&seat(&user), o.status, to, &f.reason).map_err(refused)?;
    st.store
        .set_chain_outcome_status(id, o.status, to, f.reason.trim(), Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!(
        "/chains/events/{}#outcomes",
        o.event_id
    )))
}
