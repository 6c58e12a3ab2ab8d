//! Military–civil fusion: the bureau records a firm's military-industry qualification on its
//! page, and lists the qualified firms that pass a tier without its title, to recommend them.

use super::*;
use zjtx_store::MilitaryFirm;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MilitaryForm {
    pub csrf: String,
    pub certified_on: String,
    pub note: String,
    /// `yes`: clear the record.
    pub clear: String,
}

/// `POST /enterprises/{uscc}/military`: the city records (or clears) the qualification.
pub async fn set(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(uscc): Path<String>,
    Form(f): Form<MilitaryForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let row = st
        .store
        .enterprise(uscc.trim())
        .await?
        .ok_or(AppError::NotFound)?;
    let city = user.user.role == UserRole::City;
    if f.clear == "yes" {
        if !city {
            return Err(AppError::Forbidden);
        }
        st.store
            .clear_military(&row.uscc, Some(user.user.id))
            .await?;
    } else {
        use zjtx_core::workflow::military::{Refusal, record};
        let on = record(city, &f.certified_on, &f.note, st.today()).map_err(|r| match r {
            Refusal::NotYourSeat => AppError::Forbidden,
            Refusal::BadDate => {
                AppError::BadRequest(i18n::t("证书日期应为不晚于今天的日期").into())
            }
            Refusal::NoteTooLong => AppError::BadRequest(i18n::t("内容过长").into()),
        })?;
        st.store
            .set_military(
                &row.uscc,
                &on.to_string(),
                f.note.trim(),
                Some(user.user.id),
            )
            .await?;
    }
    Ok(Redirect::to(&format!("/enterprises/{}#military", row.uscc)))
}

#[derive(Template, WebTemplate)]
#[template(path = "military.html")]
pub struct MilitaryPage {
    pub tr: Tr,
    pub nav: Nav,
    pub firms: Vec<(MilitaryFirm, Vec<&'static str>, String)>,
    pub total: usize,
}

/// `GET /chains/military`: the qualified firms that are candidates for a title.
pub async fn list(State(st): State<AppState>, user: CurrentUser) -> Result<MilitaryPage, AppError> {
    let scope = user.scope(&st.store).await?;
    let today = st.today().to_string();
    let all = st
        .store
        .military_firms(scope.regions.as_deref(), &today, false)
        .await?;
    let total = all.len();
    let firms = all
        .into_iter()
        .filter(|f| !f.candidate_for.is_empty())
        .map(|f| {
            let tiers = f
                .candidate_for
                .iter()
                .map(|t| zjtx_core::glossary::tier_by_key(t, crate::i18n::lang()))
                .collect();
            let district = district_name(f.region_code.as_deref());
            (f, tiers, district)
        })
        .collect();
    Ok(MilitaryPage {
        tr: Tr,
        nav: Nav::of(&user),
        firms,
        total,
    })
}
