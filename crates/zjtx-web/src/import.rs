//! Import and export in the browser: upload the template, see every error located by row and
//! column (or a preview of what will change), then commit all rows or none; export any filtered
//! list with its evaluations to Excel.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use zjtx_core::Enterprise;
use zjtx_store::Role;

use crate::AppState;
use crate::auth::{self, CurrentUser};
use crate::error::AppError;
use crate::nav::Nav;
use crate::pages::ListQuery;

/// The largest upload accepted (a 100,000-row template is about 32 MB of CSV).
pub const MAX_UPLOAD: usize = 64 << 20;
/// Errors shown on the page; all are counted.
const SHOWN_ERRORS: usize = 1000;

/// A user who may import (city and district accounts). As an extractor it runs before the request
/// body is read, so that other roles are refused before anything of their upload is parsed.
pub struct Importer(pub CurrentUser);

impl axum::extract::FromRequestParts<AppState> for Importer {
    type Rejection = AppError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, AppError> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        match user.user.role {
            Role::City | Role::District => Ok(Importer(user)),
            _ => Err(AppError::Forbidden),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "import.html")]
pub struct ImportPage {
    pub tr: crate::i18n::Tr,
    pub nav: Nav,
    pub filename: String,
    pub errors: Vec<String>,
    pub error_count: usize,
    pub unknown_columns: Vec<String>,
    pub rows: usize,
    pub by_tier: Vec<(&'static str, usize)>,
    pub sample: Vec<(String, String, String, String)>,
    pub pending: Option<String>,
    pub done: Option<String>,
}

impl ImportPage {
    fn empty(user: &CurrentUser) -> ImportPage {
        ImportPage {
            tr: crate::i18n::Tr,
            nav: Nav::of(user),
            filename: String::new(),
            errors: Vec::new(),
            error_count: 0,
            unknown_columns: Vec::new(),
            rows: 0,
            by_tier: Vec::new(),
            sample: Vec::new(),
            pending: None,
            done: None,
        }
    }
}

pub async fn form(Importer(user): Importer) -> Result<ImportPage, AppError> {
    Ok(ImportPage::empty(&user))
}

/// Reads and checks a file for this user: every error of the file, plus rows outside the user's
/// districts. Returns the valid rows when there is no error.
async fn check(
    st: &AppState,
    user: &CurrentUser,
    filename: &str,
    bytes: Vec<u8>,
) -> Result<(zjtx_sheet::read::WholeFile, Vec<String>), AppError> {
    let name = filename.to_owned();
    let mut whole = tokio::task::spawn_blocking(move || zjtx_sheet::read::read_whole(&name, bytes))
        .await
        .map_err(|e| AppError::Internal(format!("reading the upload failed: {e}")))?
        .or_else(|e| match e {
            zjtx_sheet::SheetError::Refused { errors } => Ok(zjtx_sheet::read::WholeFile {
                errors,
                ..Default::default()
            }),
            other => Err(unreadable(other)),
        })?;
    let scope = user.scope(&st.store).await?;
    let name_of = |code: Option<&str>| {
        code.and_then(|c| {
            zjtx_core::enterprise::DISTRICTS
                .iter()
                .find(|(k, _)| *k == c)
        })
        .map(|(_, n)| *n)
        .unwrap_or("")
    };
    let code_of = |name: Option<&str>| {
        name.and_then(|n| {
            zjtx_core::enterprise::DISTRICTS
                .iter()
                .find(|(_, d)| *d == n)
        })
        .map(|(c, _)| *c)
    };
    let allowed = |code: Option<&str>| match &scope.regions {
        None => true,
        Some(a) => code.is_some_and(|c| a.iter().any(|x| x == c)),
    };
    let yours = || match &scope.regions {
        None => String::new(),
        Some(a) => a
            .iter()
            .map(|c| name_of(Some(c)))
            .filter(|n| !n.is_empty())
            .collect::<Vec<_>>()
            .join("、"),
    };
    // Judged on the register as stored, not on what the file claims.
    let usccs: Vec<String> = whole.rows.iter().map(|(_, e)| e.uscc.to_string()).collect();
    let stored = st.store.stored_regions(&usccs).await?;
    for (row, e) in &whole.rows {
        let to = code_of(e.district.as_deref());
        let message = match stored.get(e.uscc.as_str()) {
            Some(from) if !allowed(from.as_deref()) => Some(crate::i18n::f(
                "该企业登记在{}，不在您的管辖范围（{}），不能由您导入",
                &[&name_of(from.as_deref()), &yours()],
            )),
            Some(from) if from.as_deref() != to => Some(crate::i18n::f(
                "该企业登记在{}，导入不能改变所属区县；如需迁移，请市级用户在企业页面办理",
                &[&name_of(from.as_deref())],
            )),
            Some(_) => None,
            None if !allowed(to) => Some(crate::i18n::f(
                "“{}”不在您的管辖范围（{}）",
                &[&e.district.clone().unwrap_or_default(), &yours()],
            )),
            None => None,
        };
        if let Some(message) = message {
            // Worded already in the reader's language.
            whole.errors.push(zjtx_core::enterprise::CellError::new(
                *row,
                Some("district".into()),
                message.clone(),
                message,
            ));
        }
    }
    whole.errors.sort_by_key(|e| e.row);
    let lang = crate::i18n::lang();
    let errors = whole.errors.iter().map(|e| e.text(lang)).collect();
    Ok((whole, errors))
}

/// A file that could not be read at all (not a workbook, a broken one, bytes cut off, beyond its
/// bounds), said to the reader in their language with what to do; the parser's detail is added
/// in English mode and logged. (Errors of cells are `Refused`, each located.)
pub(crate) fn unreadable(e: zjtx_sheet::SheetError) -> AppError {
    use zjtx_sheet::SheetError;
    match e {
        SheetError::TooLarge(x) => AppError::BadRequest(too_large(&x)),
        SheetError::Refused { errors } => AppError::BadRequest(
            errors
                .iter()
                .take(20)
                .map(|e| e.text(crate::i18n::lang()))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        SheetError::Format(m) | SheetError::Io(m) => {
            tracing::info!(detail = %m, "an upload could not be read");
            let what = crate::i18n::t(
                "文件无法读取：请上传用 Excel 保存的 .xlsx 文件，或 UTF-8 / GBK 编码的 .csv 文件。",
            );
            AppError::BadRequest(match crate::i18n::lang() {
                zjtx_core::glossary::Lang::Zh => what.to_owned(),
                zjtx_core::glossary::Lang::En => format!("{what} ({m})"),
            })
        }
    }
}

/// What a workbook beyond its bounds is told, with the bound.
fn too_large(x: &zjtx_sheet::guard::Exceeded) -> String {
    use zjtx_sheet::guard::Exceeded;
    match x {
        Exceeded::Unpacked(n) => crate::i18n::f(
            "工作簿解压后超过 {} MB，未读取。请删除多余的工作表或分成几个文件导入。",
            &[&(n >> 20)],
        ),
        Exceeded::Parts(n) => crate::i18n::f("工作簿包含超过 {} 个部件，未读取。", &[n]),
        Exceeded::Rows(n) => crate::i18n::f(
            "工作表在第 {} 行之后仍有内容，超过单次导入的上限，未读取。请分成几个文件导入。",
            &[n],
        ),
        Exceeded::Cols(n) => crate::i18n::f(
            "工作表在第 {} 列之后仍有内容，模板没有这么多列，未读取。",
            &[n],
        ),
        Exceeded::Cells(n) => crate::i18n::f("工作表填写的单元格超过 {} 个，未读取。", &[n]),
        Exceeded::Strings(n) => crate::i18n::f(
            "工作簿的共享字符串声明了 {} 项，超出其实际内容，文件可能已损坏，未读取。",
            &[n],
        ),
    }
}

fn evaluate_all(
    st: &AppState,
    rows: Vec<Enterprise>,
) -> Result<Vec<(Enterprise, zjtx_core::Summary)>, AppError> {
    let as_of = st.today();
    let rs = zjtx_core::rule_set_for(&st.rules, as_of)
        .ok_or_else(|| AppError::Internal(format!("no rule set applies on {as_of}")))?;
    Ok(rows
        .into_iter()
        .map(|e| {
            let s = zjtx_core::evaluate(&e, rs, as_of);
            (e, s)
        })
        .collect())
}

/// `POST /import`: the upload; answers with the errors, or a preview and a confirmation form.
pub async fn upload(
    State(st): State<AppState>,
    Importer(user): Importer,
    mut form: Multipart,
) -> Result<ImportPage, AppError> {
    let (mut csrf, mut file) = (None, None);
    while let Some(field) = form.next_field().await.map_err(|_| {
        AppError::BadRequest(crate::i18n::f(
            "上传的文件不完整或超过 {} MB 的上限。",
            &[&(st.limits.import >> 20)],
        ))
    })? {
        match field.name() {
            Some("csrf") => {
                csrf = Some(
                    field
                        .text()
                        .await
                        .map_err(|_| AppError::BadRequest(crate::i18n::t("请求有误").into()))?,
                )
            }
            Some("file") => {
                let name = field.file_name().unwrap_or("upload.csv").to_owned();
                let bytes = field.bytes().await.map_err(|_| {
                    AppError::BadRequest(crate::i18n::f(
                        "上传的文件不完整或超过 {} MB 的上限。",
                        &[&(st.limits.import >> 20)],
                    ))
                })?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    user.check_csrf(csrf.as_deref().unwrap_or(""))?;
    let (filename, bytes) = file.filter(|(_, b)| !b.is_empty()).ok_or_else(|| {
        AppError::BadRequest(crate::i18n::t("请选择要导入的文件（CSV 或 XLSX）").into())
    })?;
    let (whole, errors) = check(&st, &user, &filename, bytes.clone()).await?;
    let mut page = ImportPage::empty(&user);
    page.filename = filename.clone();
    page.unknown_columns = whole.unknown_columns.clone();
    page.error_count = errors.len();
    page.errors = errors.into_iter().take(SHOWN_ERRORS).collect();
    page.rows = whole.rows.len();
    st.store
        .audit(
            Some(user.user.id),
            "import_upload",
            None,
            &format!(
                "{filename}: {} rows, {} errors",
                whole.rows.len(),
                page.error_count
            ),
        )
        .await?;
    if page.error_count > 0 {
        return Ok(page);
    }
    let evaluated = evaluate_all(&st, whole.rows.into_iter().map(|(_, e)| e).collect())?;
    let mut counts = [0usize; 5];
    for (_, s) in &evaluated {
        counts[s.top_tier as usize] += 1;
    }
    page.by_tier = ["giant", "srdi", "innovative", "tech_sme", "none"]
        .iter()
        .zip(counts)
        .map(|(k, n)| (zjtx_core::glossary::tier_short(k, crate::i18n::lang()), n))
        .collect();
    page.sample = evaluated
        .iter()
        .take(20)
        .map(|(e, s)| {
            (
                e.uscc.to_string(),
                e.name.clone(),
                e.district.clone().unwrap_or_default(),
                zjtx_core::glossary::top_tier(s.top_tier, crate::i18n::lang()).to_owned(),
            )
        })
        .collect();
    let id = auth::random_token()?;
    st.store
        .put_pending_import(&id, user.user.id, &filename, &bytes)
        .await?;
    page.pending = Some(id);
    Ok(page)
}

#[derive(Deserialize)]
pub struct CommitForm {
    pub csrf: String,
}

/// `POST /import/{id}/commit`: stores every row of a checked upload in one transaction.
pub async fn commit(
    State(st): State<AppState>,
    Importer(user): Importer,
    Path(id): Path<String>,
    Form(f): Form<CommitForm>,
) -> Result<ImportPage, AppError> {
    user.check_csrf(&f.csrf)?;
    let (filename, bytes) = st
        .store
        .pending_import(&id, user.user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Checked again: the rules of scope or the file could have changed since the preview.
    let (whole, errors) = check(&st, &user, &filename, bytes).await?;
    if !errors.is_empty() {
        let mut page = ImportPage::empty(&user);
        page.filename = filename;
        page.error_count = errors.len();
        page.errors = errors.into_iter().take(SHOWN_ERRORS).collect();
        return Ok(page);
    }
    let evaluated = evaluate_all(&st, whole.rows.into_iter().map(|(_, e)| e).collect())?;
    let scope = user.scope(&st.store).await?;
    let guard = zjtx_store::ImportGuard {
        regions: scope.regions.clone(),
        moves: false,
    };
    let summary = st
        .store
        .import_as(&evaluated, Some(user.user.id), st.today(), &guard)
        .await?;
    if evaluated.len() >= 1000 {
        // Fresh planner statistics, after the commit and off the request.
        let store = st.store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.refresh_statistics().await {
                tracing::warn!(error = %e, "refreshing statistics after an import failed");
            }
        });
    }
    st.store.delete_pending_import(&id).await?;
    let mut page = ImportPage::empty(&user);
    page.filename = filename;
    page.done = Some(crate::i18n::f(
        "已导入 {} 家企业的数据（{} 条年度数据）。",
        &[&summary.enterprises, &summary.years],
    ));
    Ok(page)
}

/// `GET /enterprises/export.xlsx`: every enterprise of a filtered list, with its evaluation.
pub async fn export(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let scope = user.scope(&st.store).await?;
    // Every page of the list, from the start.
    let mut f = ListQuery {
        after: None,
        before: None,
        ..q
    }
    .filter(200, &st)?;
    let mut rows = Vec::new();
    loop {
        let page = st.store.list(&f, &scope).await?;
        rows.extend(page.items);
        match page.next {
            Some(n) if rows.len() < zjtx_sheet::write::XLSX_MAX_ROWS => f.after = Some(n),
            _ => break,
        }
    }
    auth::audit_list(
        &st,
        &user,
        "export",
        "enterprises.xlsx",
        rows.iter().map(|e| e.uscc.as_str()),
    )
    .await?;
    let headers = [
        crate::i18n::t("统一社会信用代码"),
        crate::i18n::t("企业名称"),
        crate::i18n::t("所属区县"),
        crate::i18n::t("国民经济行业代码"),
        crate::i18n::t("产业生态圈"),
        crate::i18n::t("数据年度"),
        crate::i18n::t("营业收入（万元）"),
        crate::i18n::t("从业人员数"),
        crate::i18n::t("企业规模"),
        zjtx_core::glossary::tier_short("innovative", crate::i18n::lang()),
        zjtx_core::glossary::tier_short("tech_sme", crate::i18n::lang()),
        zjtx_core::glossary::tier_short("srdi", crate::i18n::lang()),
        zjtx_core::glossary::tier_short("giant", crate::i18n::lang()),
        crate::i18n::t("最高梯度"),
        crate::i18n::t("规则"),
    ];
    // Codes as the reader's words (the task below runs outside the request's language scope).
    let lang = crate::i18n::lang();
    let (r2022, r2026) = (crate::i18n::t("2022 年标准"), crate::i18n::t("2026 年标准"));
    let rules_name = move |key: &str| match key {
        "miit-2022" => r2022.to_owned(),
        "miit-2026" => r2026.to_owned(),
        other => other.to_owned(),
    };
    let body = tokio::task::spawn_blocking(move || {
        zjtx_sheet::write::table_xlsx(
            crate::i18n::t("企业名单"),
            &headers,
            rows.into_iter().map(move |e| {
                use zjtx_core::glossary;
                use zjtx_sheet::write::Cell;
                let t = |s: &str| Cell::Text(s.to_owned());
                vec![
                    Cell::Text(e.uscc),
                    Cell::Text(e.name),
                    Cell::Text(e.region_name.unwrap_or_default()),
                    Cell::Text(e.industry_code),
                    t(e.ecosystem
                        .as_deref()
                        .map(|x| glossary::ecosystem(x, lang))
                        .unwrap_or_default()),
                    Cell::Int(e.latest_year),
                    Cell::Amount(crate::common::wan(e.revenue)),
                    e.employees.map_or(Cell::Text(String::new()), Cell::Int),
                    t(glossary::size(e.size, lang)),
                    t(glossary::verdict(e.innovative, lang)),
                    t(glossary::verdict(e.tech_sme, lang)),
                    t(glossary::verdict(e.srdi, lang)),
                    t(glossary::verdict(e.giant, lang)),
                    t(glossary::top_tier(e.top_tier, lang)),
                    t(&rules_name(&e.rules)),
                ]
            }),
        )
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::common::xlsx_download("enterprises.xlsx", body))
}

/// `GET /import/template.xlsx`: the empty template to fill in (Chinese headers, validation, a
/// sheet explaining each column) — the same file as `zjtx template`.
pub async fn template() -> Result<Response, AppError> {
    let body = tokio::task::spawn_blocking(zjtx_sheet::write::template_bytes)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::common::xlsx_download("zjtx-template.xlsx", body))
}
