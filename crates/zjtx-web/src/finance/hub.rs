//! The hub.

use super::*;

pub struct AppView {
    pub a: Application,
    pub amount: String,
    pub status: &'static str,
    pub steps: Vec<(String, &'static str, String)>,
    pub granted: String,
}

pub struct NeedView {
    pub n: zjtx_store::Need,
    pub amount: String,
    pub collateral: String,
    pub status: &'static str,
    pub responses: Vec<zjtx_store::NeedResponse>,
}

pub struct ProductView {
    pub p: Product,
    pub kind: &'static str,
    pub amounts: String,
    pub rate: String,
    pub collateral: String,
    pub status: &'static str,
}

pub(super) fn product_view(p: Product) -> ProductView {
    ProductView {
        kind: kind_label(&p.kind),
        amounts: format!("{}–{}", wan(Some(p.min_amount)), wan(Some(p.max_amount))),
        rate: if p.rate_kind == "lpr" {
            i18n::f("LPR + {} 个基点", &[&p.rate_bp])
        } else {
            format!(
                "{}%",
                zjtx_core::num::Dec4::from_units(p.rate_bp * 100).unwrap_or_default()
            )
        },
        collateral: labels(&p.collateral),
        status: kind_label(p.status.as_str()),
        p,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "finance.html")]
pub struct FinancePage {
    pub tr: Tr,
    pub nav: Nav,
    /// A refused need: why, the field it names, and what was typed (kept in the form).
    pub need_error: Option<(String, &'static str)>,
    pub need_input: NeedForm,
    pub role: &'static str,
    pub today: String,
    // enterprise
    pub needs: Vec<NeedView>,
    pub consents: Vec<(Consent, String)>,
    pub access: Vec<(String, zjtx_store::Access, String)>,
    pub applications: Vec<AppView>,
    pub matched: Vec<MatchView>,
    /// The need the products are ranked for, if any.
    pub for_need: Option<String>,
    pub institutions: Vec<zjtx_store::Institution>,
    /// The institutions with their kind's name, for the bureau's list.
    pub institution_rows: Vec<(zjtx_store::Institution, &'static str)>,
    // institution
    pub products: Vec<ProductView>,
    pub open_needs: Vec<NeedView>,
    pub searches: Vec<zjtx_store::SavedSearch>,
    // city
    pub pending: Vec<ProductView>,
    pub events: Vec<zjtx_store::FinEvent>,
    /// Each enterprise of the pipeline, its stage, and its history ("stage (date) → …").
    pub listing: Vec<(zjtx_store::Listing, &'static str, String)>,
    // choices
    pub kinds: Vec<(&'static str, &'static str)>,
    pub collaterals: Vec<(&'static str, &'static str)>,
    pub categories: Vec<(&'static str, &'static str)>,
    pub ch: Choices,
    pub stages: Vec<(&'static str, &'static str)>,
    pub inst_kinds: Vec<(&'static str, &'static str)>,
}

/// What eligibility forms and screenings choose from: tiers, sizes, ecosystems and districts,
/// each as (key, name in the reader's language).
pub struct Choices {
    pub tiers: Vec<(&'static str, &'static str)>,
    pub sizes: Vec<(&'static str, &'static str)>,
    pub ecosystems: Vec<(&'static str, &'static str)>,
    pub districts: Vec<(String, String)>,
}

impl Choices {
    pub(super) async fn new(st: &AppState) -> Result<Choices, AppError> {
        Ok(Choices {
            tiers: ["innovative", "tech_sme", "srdi", "giant"]
                .map(|k| (k, glossary::tier_short(k, lang())))
                .to_vec(),
            sizes: ["medium", "small", "micro"]
                .map(|k| (k, glossary::size_by_key(k, lang())))
                .to_vec(),
            ecosystems: zjtx_core::enterprise::ECOSYSTEMS
                .iter()
                .map(|e| (*e, glossary::ecosystem(e, lang())))
                .collect(),
            districts: st
                .districts(&zjtx_store::Scope::all())
                .await?
                .into_iter()
                .map(|r| (r.code.clone(), r.name.clone()))
                .collect(),
        })
    }
}

pub(super) fn choices(keys: &[&'static str]) -> Vec<(&'static str, &'static str)> {
    keys.iter().map(|k| (*k, kind_label(k))).collect()
}

pub(super) async fn app_view(st: &AppState, a: Application) -> Result<AppView, AppError> {
    let steps = st
        .store
        .application_steps(a.id)
        .await?
        .into_iter()
        .map(|s| {
            (
                crate::common::local_day(s.at),
                kind_label(&s.status),
                s.detail,
            )
        })
        .collect();
    Ok(AppView {
        amount: wan(Some(a.amount)),
        status: kind_label(a.status.as_str()),
        granted: a.granted_amount.map(|g| wan(Some(g))).unwrap_or_default(),
        steps,
        a,
    })
}

pub(super) async fn need_view(st: &AppState, n: zjtx_store::Need) -> Result<NeedView, AppError> {
    Ok(NeedView {
        amount: wan(Some(n.amount)),
        collateral: labels(&n.collateral),
        status: kind_label(&n.status),
        responses: st.store.need_responses(n.id).await?,
        n,
    })
}

impl FinancePage {
    /// Whether a refused need names this field.
    pub fn need_field(&self, f: &str) -> bool {
        self.need_error.as_ref().is_some_and(|(_, x)| *x == f)
    }
    /// Whether the refused need had this collateral ticked.
    pub fn need_picked(&self, k: &str) -> bool {
        self.need_input.collateral.iter().any(|c| c == k)
    }
}

#[derive(Deserialize, Default)]
pub struct HubQuery {
    /// For an enterprise: rank the products for this financing need (amount, term, collateral).
    #[serde(default)]
    pub need: Option<i64>,
}

/// `GET /finance`: the zone, as the user's role uses it.
pub async fn hub(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(hq): Query<HubQuery>,
) -> Result<FinancePage, AppError> {
    hub_page(&st, &user, hq).await
}

/// The zone's page as the user's role uses it.
pub(super) async fn hub_page(
    st: &AppState,
    user: &CurrentUser,
    hq: HubQuery,
) -> Result<FinancePage, AppError> {
    let (st, user) = (st.clone(), user.clone());
    let today = st.today();
    let mut page = FinancePage {
        need_error: None,
        need_input: NeedForm::default(),
        tr: Tr,
        nav: Nav::of(&user),
        role: user.user.role.key(),
        today: today.to_string(),
        needs: Vec::new(),
        consents: Vec::new(),
        access: Vec::new(),
        applications: Vec::new(),
        matched: Vec::new(),
        for_need: None,
        institutions: st.store.institutions().await?,
        institution_rows: Vec::new(),
        products: Vec::new(),
        open_needs: Vec::new(),
        searches: Vec::new(),
        pending: Vec::new(),
        events: Vec::new(),
        listing: Vec::new(),
        kinds: choices(fin::PRODUCT_KINDS),
        collaterals: choices(fin::COLLATERAL),
        categories: choices(fin::CATEGORIES),
        ch: Choices::new(&st).await?,
        stages: zjtx_core::workflow::listing::Stage::ALL
            .iter()
            .map(|s| (s.key(), kind_label(s.key())))
            .collect(),
        inst_kinds: choices(fin::INSTITUTION_KINDS),
    };
    match user.user.role {
        Role::Enterprise => {
            let uscc = own_uscc(&user)?;
            let row = st.store.enterprise(uscc).await?.ok_or(AppError::NotFound)?;
            for n in st.store.needs(Some(uscc)).await? {
                page.needs.push(need_view(&st, n).await?);
            }
            page.consents = st
                .store
                .consents(uscc, None)
                .await?
                .into_iter()
                .map(|c| {
                    let l = labels(&c.categories);
                    (c, l)
                })
                .collect();
            page.access = st
                .store
                .access_log(uscc)
                .await?
                .into_iter()
                .map(|a| {
                    let when = crate::common::local_time(a.at, "%Y-%m-%d %H:%M");
                    let l = if a.categories == "public" {
                        i18n::t("公开信息").to_owned()
                    } else {
                        labels(&a.categories)
                    };
                    (when, a, l)
                })
                .collect();
            for a in st.store.applications(Some(uscc), None).await? {
                page.applications.push(app_view(&st, a).await?);
            }
            let need = match hq.need {
                Some(id) => {
                    let n = st
                        .store
                        .needs(Some(uscc))
                        .await?
                        .into_iter()
                        .find(|n| n.id == id)
                        .ok_or(AppError::NotFound)?;
                    page.for_need = Some(n.purpose.clone());
                    Some(need_terms(&n))
                }
                None => None,
            };
            page.matched = matches(&st, &row, need.as_ref()).await?;
        }
        Role::Institution => {
            let inst = institution_of(&user)?;
            page.products = st
                .store
                .products(None, Some(inst))
                .await?
                .into_iter()
                .map(product_view)
                .collect();
            let listed: Vec<Product> = page
                .products
                .iter()
                .filter(|v| v.p.status == zjtx_store::ProductStatus::Listed)
                .map(|v| v.p.clone())
                .collect();
            for n in routed_needs(&st, user.user.id, inst, &listed).await? {
                page.open_needs.push(need_view(&st, n).await?);
            }
            for a in st.store.applications(None, Some(inst)).await? {
                page.applications.push(app_view(&st, a).await?);
            }
            page.searches = st.store.saved_searches(inst).await?;
        }
        Role::City | Role::District => {
            page.institution_rows = page
                .institutions
                .iter()
                .map(|i| (i.clone(), kind_label(&i.kind)))
                .collect();
            page.pending = st
                .store
                .products(Some("submitted"), None)
                .await?
                .into_iter()
                .map(product_view)
                .collect();
            let scope = user.scope(&st.store).await?;
            page.events = st.store.fin_events(scope.regions.as_deref()).await?;
            for l in st.store.listing_pipeline().await? {
                // A district sees the pipeline of its own firms only.
                let visible = st
                    .store
                    .enterprise(&l.uscc)
                    .await?
                    .is_some_and(|row| auth::can_see(&scope, &row));
                if !visible {
                    continue;
                }
                let history = st
                    .store
                    .listing_history(&l.uscc)
                    .await?
                    .into_iter()
                    .map(|(stage, _, at)| {
                        let day = crate::common::local_day(at);
                        format!("{} ({day})", kind_label(&stage))
                    })
                    .collect::<Vec<_>>()
                    .join(" → ");
                let s = kind_label(&l.stage);
                page.listing.push((l, s, history));
            }
            if user.user.role == Role::District {
                page.pending.clear();
            }
        }
        _ => return Err(AppError::Forbidden),
    }
    Ok(page)
}

/// The open needs shown to institution `inst`: those a listed product of it (`listed`) matches —
/// the firm's eligibility and the need's amount, term and collateral — judged on what the firm's
/// consents let the institution know (a rule they leave undecided does not hold the need back,
/// so routing tells nothing more). Every firm with an open need is read in one query, the reads
/// logged as "needs".
pub(super) async fn routed_needs(
    st: &AppState,
    user_id: i64,
    inst: i64,
    listed: &[Product],
) -> Result<Vec<zjtx_store::Need>, AppError> {
    let set = zjtx_store::SubjectSet {
        open_needs: true,
        ..Default::default()
    };
    let firms: std::collections::HashMap<String, Consented> =
        consented_many(st, user_id, inst, set, "needs", LogAs::Each)
            .await?
            .into_iter()
            .map(|(s, c)| (s.row.uscc, c))
            .collect();
    let mut out = Vec::new();
    for n in st.store.needs(None).await? {
        let Some(c) = firms.get(&n.uscc) else {
            continue;
        };
        if need_matched(listed, c, &n) {
            out.push(n);
        }
    }
    Ok(out)
}

/// Whether a listed product of the institution matches the need, on what consent shows it.
pub(super) fn need_matched(listed: &[Product], c: &Consented, n: &zjtx_store::Need) -> bool {
    let need = need_terms(n);
    listed.iter().any(|p| {
        c.possible(&fin::check(
            &eligibility(p),
            &terms(p),
            &c.facts,
            Some(&need),
        ))
    })
}
