//! The expert pool and the draw.

use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "experts.html")]
pub struct ExpertsPage {
    pub tr: Tr,
    pub nav: Nav,
    pub experts: Vec<zjtx_store::ExpertRow>,
    /// A refusal of the form to add an expert, and the field it concerns ("" for none).
    pub error: Option<(String, &'static str)>,
    /// What was typed, kept when refused.
    pub input: ExpertForm,
    /// An account just opened: its name and its first password, shown this once.
    pub opened: Option<(String, String)>,
}

impl ExpertsPage {
    pub fn invalid(&self, field: &str) -> bool {
        self.error.as_ref().is_some_and(|(_, f)| *f == field)
    }
}

/// The kinds of a conflict of interest: key, Chinese label.
const CONFLICT_KINDS: [(&str, &str); 3] = [
    ("employment", "任职"),
    ("shareholding", "持股"),
    ("relation", "亲属或其他关系"),
];

/// The kinds of a conflict of interest: key, label in the reader's language (in the order of
/// `CONFLICT_KINDS`).
pub fn conflict_kinds() -> [(&'static str, &'static str); 3] {
    [
        ("employment", i18n::t("任职")),
        ("shareholding", i18n::t("持股")),
        ("relation", i18n::t("亲属或其他关系")),
    ]
}

/// A conflict's kind by its key or its label in either language (亲属 for short).
fn conflict_kind(s: &str) -> Option<&'static str> {
    let s = if s == "亲属" {
        "亲属或其他关系"
    } else {
        s
    };
    CONFLICT_KINDS
        .iter()
        .zip(conflict_kinds())
        .find(|((k, zh), (_, label))| *k == s || *zh == s || *label == s)
        .map(|((k, _), _)| *k)
}

/// `kind` as the reader says it.
pub fn conflict_label(kind: &str) -> &'static str {
    conflict_kinds()
        .into_iter()
        .find(|(k, _)| *k == kind)
        .map_or("", |(_, l)| l)
}

async fn experts_page(st: &AppState, user: &CurrentUser) -> Result<ExpertsPage, AppError> {
    Ok(ExpertsPage {
        tr: Tr,
        nav: Nav::of(user),
        experts: st.store.experts().await?,
        error: None,
        input: ExpertForm::default(),
        opened: None,
    })
}

pub async fn experts(
    State(st): State<AppState>,
    user: CurrentUser,
) -> Result<ExpertsPage, AppError> {
    experts_page(&st, &user).await
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ExpertForm {
    pub csrf: String,
    pub username: String,
    pub name: String,
    pub fields: String,
    pub employer: String,
    /// One per line: `USCC kind` (任职 / 持股 / 亲属或其他关系, or the keys).
    pub conflicts: String,
}

/// A refusal of the expert form: its message and the field it concerns.
type Refused = (String, &'static str);

/// The expert form read and checked: the employer's code, the conflicts `(USCC, kind)`, the
/// fields.
type ReadExpert = (Option<String>, Vec<(String, String)>, Vec<String>);

fn read_expert(f: &ExpertForm) -> Result<ReadExpert, Refused> {
    let uscc = |s: &str, line: usize, field: &'static str| {
        zjtx_core::ids::Uscc::parse(s.trim())
            .map(|u| u.to_string())
            .map_err(|_| {
                let what = i18n::f("「{}」不是有效的统一社会信用代码（18 位）", &[&s.trim()]);
                match line {
                    0 => (what, field),
                    n => (i18n::f("利益冲突第 {} 行：{}", &[&n, &what]), field),
                }
            })
    };
    let name = f.username.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_whitespace) {
        return Err((
            i18n::t("请填写账户名（不含空格，最多 64 个字符）").into(),
            "username",
        ));
    }
    if f.name.trim().is_empty() || f.name.trim().chars().count() > 100 {
        return Err((i18n::t("请填写专家姓名（最多 100 个字符）").into(), "name"));
    }
    let fields: Vec<String> = f
        .fields
        .split([',', '，', '、'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if fields.is_empty() || f.fields.chars().count() > 500 {
        return Err((
            i18n::t("请填写评审领域，多个领域用逗号或顿号分隔").into(),
            "fields",
        ));
    }
    let employer = match f.employer.trim() {
        "" => None,
        s => Some(uscc(s, 0, "employer")?),
    };
    let mut conflicts = Vec::new();
    for (i, line) in f.conflicts.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (code, kind) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let Some(kind) = conflict_kind(kind.trim()) else {
            return Err((
                i18n::f(
                    "利益冲突第 {} 行：{}",
                    &[&(i + 1), &i18n::t("类型应为 任职、持股 或 亲属或其他关系")],
                ),
                "conflicts",
            ));
        };
        conflicts.push((uscc(code, i + 1, "conflicts")?, kind.to_owned()));
    }
    Ok((employer, conflicts, fields))
}

/// `POST /experts`: an expert into the pool — an account of theirs opened for them when the name
/// is new (its first password shown once, to hand over), or an existing expert account. Refused:
/// the page again, the message beside the field, what was typed kept.
pub async fn add_expert(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<ExpertForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&f.csrf)?;
    let refused = |page: ExpertsPage, why: Refused| {
        let page = ExpertsPage {
            error: Some(why),
            input: f.clone(),
            ..page
        };
        Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response())
    };
    let (employer, conflicts, fields) = match read_expert(&f) {
        Ok(x) => x,
        Err(why) => return refused(experts_page(&st, &user).await?, why),
    };
    let fields = fields.join(",");
    let x = zjtx_store::NewExpert {
        name: f.name.trim(),
        fields: &fields,
        employer_uscc: employer.as_deref(),
        conflicts: &conflicts,
    };
    let username = f.username.trim();
    let existing = st.store.user_by_name(username).await?;
    let mut opened = None;
    let done = match existing {
        Some(u) if u.role != Role::Expert => Err((
            i18n::t("该账户名已被其他角色使用，请换一个账户名").into(),
            "username",
        )),
        Some(u) => st
            .store
            .add_expert(
                u.id,
                x.name,
                x.fields,
                x.employer_uscc,
                x.conflicts,
                Some(user.user.id),
            )
            .await
            .map_err(|_| (i18n::t("该专家已在专家库中").into(), "username")),
        None => {
            // 16 hex characters: 64 random bits, short enough to read out.
            let first = auth::random_token()?[..16].to_owned();
            let hash = auth::hash_password(&first)?;
            let account = zjtx_store::NewUser {
                username: username.to_owned(),
                password_hash: hash,
                role: Role::Expert,
                region_code: None,
                uscc: None,
            };
            let r = st
                .store
                .add_expert_account(&account, &x, Some(user.user.id))
                .await
                .map_err(|_| {
                    (
                        i18n::t("该账户名已被使用，请换一个账户名").into(),
                        "username",
                    )
                });
            opened = Some((username.to_owned(), first));
            r
        }
    };
    match (done, opened) {
        // The first password is shown on this answer only: a page, not a redirect.
        (Ok(_), Some(opened)) => {
            let mut page = experts_page(&st, &user).await?;
            page.opened = Some(opened);
            Ok(page.into_response())
        }
        (Ok(_), None) => Ok(Redirect::to("/experts").into_response()),
        (Err(why), _) => refused(experts_page(&st, &user).await?, why),
    }
}

#[derive(Deserialize)]
pub struct ActiveForm {
    pub csrf: String,
    /// "1" into the draw, "0" out of it.
    pub active: String,
}

/// `POST /experts/{id}/active`: an expert out of the draw (on leave, left the field), or back.
pub async fn set_expert_active(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<ActiveForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    if !st
        .store
        .set_expert_active(id, f.active == "1", Some(user.user.id))
        .await?
    {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/experts"))
}

#[derive(Deserialize)]
pub struct ConflictForm {
    pub csrf: String,
    pub uscc: String,
    pub kind: String,
}

/// `POST /experts/{id}/conflicts`: a conflict of interest declared later (new shares, a
/// relative's firm): the expert is not drawn for that firm's declarations from now on.
pub async fn add_expert_conflict(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<ConflictForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&f.csrf)?;
    let mut page = experts_page(&st, &user).await?;
    if !page.experts.iter().any(|x| x.id == id) {
        return Err(AppError::NotFound);
    }
    let code = zjtx_core::ids::Uscc::parse(f.uscc.trim()).map(|u| u.to_string());
    let (Ok(code), Some(kind)) = (code, conflict_kind(f.kind.trim())) else {
        page.error = Some((
            i18n::f(
                "「{}」不是有效的统一社会信用代码（18 位）",
                &[&f.uscc.trim()],
            ),
            "conflict",
        ));
        return Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response());
    };
    st.store
        .add_expert_conflict(id, &code, kind, Some(user.user.id))
        .await?;
    Ok(Redirect::to("/experts").into_response())
}

#[derive(Deserialize)]
pub struct DrawForm {
    pub csrf: String,
}

/// Commits a fresh random seed for a batch's next draw round, unless one is committed: only its
/// SHA-256 is published until the draw reveals it, so nobody (the bureau included) can try seeds.
pub(super) async fn commit_next_seed(
    store: &zjtx_store::Store,
    batch: i64,
    actor: Option<i64>,
) -> Result<(), AppError> {
    let seed = auth::random_token()?;
    store
        .commit_seed(batch, &seed, &zjtx_core::draw::commitment(&seed), actor)
        .await?;
    Ok(())
}

/// Opens a batch: stores it and commits the seed of its first draw round.
pub async fn open_batch(
    store: &zjtx_store::Store,
    b: &NewBatch,
    actor: Option<i64>,
) -> Result<i64, AppError> {
    let id = store.create_batch(b, actor).await?;
    commit_next_seed(store, id, actor).await?;
    Ok(id)
}

/// Draws experts for every declaration the districts recommended, from a seed the bureau
/// publishes (say, a lottery result announced beforehand), and records inputs and result.
pub async fn draw(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<DrawForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let b = batch_or_404(&st, id).await?;
    // The seed was committed before (when the batch opened, or at the last round): the draw
    // reveals it. A batch from before commitments gets one now, and draws after it.
    let Some((seed, _)) = st.store.next_seed(id).await? else {
        commit_next_seed(&st.store, id, Some(user.user.id)).await?;
        return Err(conflict(i18n::t(
            "已公布本轮随机种子的承诺值（SHA-256），请再次点击抽取",
        )));
    };
    let seed = seed.as_str();
    // Each round draws for the recommended declarations that have no experts yet.
    let mut cases: Vec<zjtx_core::draw::Case> = Vec::new();
    for d in st
        .store
        .declarations(id, &[Status::Recommended], None)
        .await?
    {
        if st.store.experts_of(d.id).await?.is_empty() {
            cases.push(zjtx_core::draw::Case {
                id: d.id,
                uscc: d.uscc,
                field: d.ecosystem,
            });
        }
    }
    if cases.is_empty() {
        return Err(conflict(i18n::t("没有待专家评审的申报")));
    }
    let experts: Vec<zjtx_core::draw::Expert> = st
        .store
        .experts()
        .await?
        .into_iter()
        .filter(|x| x.active)
        .map(|x| zjtx_core::draw::Expert {
            id: x.id,
            fields: x.fields.split(',').map(str::to_owned).collect(),
            conflicts: x.conflicts.into_iter().map(|(u, _)| u).collect(),
        })
        .collect();
    let k = usize::try_from(b.experts_per).unwrap_or(3);
    // Published without the firms' codes or the experts' ties: the same draw.
    let (cases, experts) = zjtx_core::draw::pseudonymise(&cases, &experts);
    let result = zjtx_core::draw::draw(seed, &cases, &experts, k);
    let inputs = draw_inputs_json(&cases, &experts);
    let result_json = serde_json::to_string(
        &result
            .iter()
            .map(|a| serde_json::json!({ "declaration": a.case, "experts": a.experts, "short": a.short, "by_field": a.by_field }))
            .collect::<Vec<_>>(),
    )
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let pairs: Vec<(i64, i64)> = result
        .iter()
        .flat_map(|a| a.experts.iter().map(move |e| (a.case, *e)))
        .collect();
    let next = auth::random_token()?;
    st.store
        .record_draw(
            id,
            seed,
            b.experts_per,
            &inputs,
            &result_json,
            &pairs,
            (&next, &zjtx_core::draw::commitment(&next)),
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to(&format!("/draws/{id}")))
}

pub(super) fn draw_inputs_json(
    cases: &[zjtx_core::draw::Case],
    experts: &[zjtx_core::draw::Expert],
) -> String {
    serde_json::json!({
        "declarations": cases.iter().map(|c| serde_json::json!({ "id": c.id, "uscc": c.uscc, "field": c.field })).collect::<Vec<_>>(),
        "experts": experts.iter().map(|e| serde_json::json!({ "id": e.id, "fields": e.fields, "conflicts": e.conflicts })).collect::<Vec<_>>(),
    })
    .to_string()
}

/// Reads a published draw's inputs back.
pub fn parse_draw_inputs(
    inputs: &str,
) -> Option<(Vec<zjtx_core::draw::Case>, Vec<zjtx_core::draw::Expert>)> {
    let v: serde_json::Value = serde_json::from_str(inputs).ok()?;
    let strings = |x: &serde_json::Value| -> Vec<String> {
        x.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let cases = v["declarations"]
        .as_array()?
        .iter()
        .map(|c| {
            Some(zjtx_core::draw::Case {
                id: c["id"].as_i64()?,
                uscc: c["uscc"].as_str()?.to_owned(),
                field: c["field"].as_str().map(str::to_owned),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let experts = v["experts"]
        .as_array()?
        .iter()
        .map(|e| {
            Some(zjtx_core::draw::Expert {
                id: e["id"].as_i64()?,
                fields: strings(&e["fields"]),
                conflicts: strings(&e["conflicts"]),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some((cases, experts))
}

pub struct DrawLine {
    pub declaration: i64,
    pub experts: Vec<(i64, String)>,
    pub short: bool,
}

/// One round of a draw, recomputed from its published record.
pub struct DrawRound {
    pub round: i64,
    pub seed: String,
    pub k: i64,
    pub lines: Vec<DrawLine>,
    pub reproduced: bool,
    pub inputs: String,
    /// The commitment published before the draw, and when; `None` for a draw from before
    /// commitments.
    pub commitment: Option<(String, String)>,
    /// Whether the revealed seed's SHA-256 is the commitment.
    pub committed: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "draw.html")]
pub struct DrawPage {
    pub tr: Tr,
    pub b: Batch,
    pub rounds: Vec<DrawRound>,
    /// The next round's commitment, published and not yet revealed.
    pub next: Option<(i64, String, String)>,
}

pub(super) fn day_of(at: i64) -> String {
    crate::common::local_time(at, "%Y-%m-%d %H:%M")
}

/// Recomputes a round from its seed and inputs and compares it with the stored result.
pub(super) fn recompute(
    dr: &zjtx_store::DrawRow,
    commits: &[zjtx_store::SeedCommit],
) -> Result<DrawRound, AppError> {
    let (cases, experts) = parse_draw_inputs(&dr.inputs)
        .ok_or_else(|| AppError::Internal("draw inputs unreadable".into()))?;
    // Draws recorded before inputs were published pseudonymously are shown so too.
    let (cases, experts) = zjtx_core::draw::pseudonymise(&cases, &experts);
    let commitment = commits
        .iter()
        .find(|c| c.round == dr.round && c.committed_at <= dr.drawn_at);
    let again = zjtx_core::draw::draw(
        &dr.seed,
        &cases,
        &experts,
        usize::try_from(dr.k).unwrap_or(0),
    );
    let stored: serde_json::Value = serde_json::from_str(&dr.result).unwrap_or_default();
    let reproduced = stored.as_array().is_some_and(|a| {
        a.len() == again.len()
            && a.iter().zip(&again).all(|(s, x)| {
                s["declaration"].as_i64() == Some(x.case)
                    && s["experts"]
                        .as_array()
                        .map(|v| v.iter().filter_map(|e| e.as_i64()).collect::<Vec<_>>())
                        == Some(x.experts.clone())
            })
    });
    let lines = again
        .iter()
        .map(|a| DrawLine {
            declaration: a.case,
            experts: a
                .experts
                .iter()
                .map(|e| {
                    (
                        *e,
                        zjtx_core::draw::hex(&zjtx_core::draw::ticket(&dr.seed, a.case, *e)),
                    )
                })
                .collect(),
            short: a.short,
        })
        .collect();
    Ok(DrawRound {
        round: dr.round,
        seed: dr.seed.clone(),
        k: dr.k,
        lines,
        reproduced,
        inputs: draw_inputs_json(&cases, &experts),
        committed: commitment
            .is_some_and(|c| c.commitment == zjtx_core::draw::commitment(&dr.seed)),
        commitment: commitment.map(|c| (c.commitment.clone(), day_of(c.committed_at))),
    })
}

/// `GET /draws/{batch}`: the published draws of a batch, public, each round recomputed from its
/// seed on every view.
pub async fn draw_page(
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> Result<DrawPage, AppError> {
    let b = batch_or_404(&st, id).await?;
    let draws = st.store.draws_of(id).await?;
    let commits = st.store.seed_commits(id).await?;
    if draws.is_empty() && commits.is_empty() {
        return Err(AppError::NotFound);
    }
    let rounds = draws
        .iter()
        .map(|d| recompute(d, &commits))
        .collect::<Result<Vec<_>, _>>()?;
    let next = commits
        .iter()
        .find(|c| c.round == draws.len() as i64 + 1)
        .map(|c| (c.round, c.commitment.clone(), day_of(c.committed_at)));
    Ok(DrawPage {
        tr: Tr,
        b,
        rounds,
        next,
    })
}
