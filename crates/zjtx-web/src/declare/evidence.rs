//! Figures and evidence.

use super::*;

/// The figures an enterprise declares: template keys (those of the what-if) with their values.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FiguresForm {
    pub csrf: String,
    #[serde(flatten)]
    pub figures: HashMap<String, String>,
}

/// The enterprise changes its declared figures (the same fields as the what-if).
pub async fn save_figures(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Fields(FiguresForm {
        csrf,
        figures: form,
    }): Fields<FiguresForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&csrf)?;
    let d = declaration_or_404(&st, id).await?;
    if seat(&st, &user, &d).await? != Seat::Owner {
        return Err(AppError::Forbidden);
    }
    let e = parse_cells(&d.cells)?;
    let changed =
        pages::what_if(&e, &form).map_err(|errs| AppError::BadRequest(errs.join("；")))?;
    st.store
        .save_declaration(id, &zjtx_store::cells_of(&changed), Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!("/declarations/{id}")).into_response())
}

/// What a file's first bytes say it is, if it is a PDF, PNG or JPEG, and whole.
pub fn sniff(bytes: &[u8]) -> Result<&'static str, &'static str> {
    if bytes.starts_with(b"%PDF-") {
        // A PDF ends with %%EOF (allowing trailing whitespace).
        let tail = &bytes[bytes.len().saturating_sub(1024)..];
        if tail.windows(5).any(|w| w == b"%%EOF") {
            return Ok("application/pdf");
        }
        return Err(i18n::t("PDF 文件不完整（缺少 %%EOF）"));
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        if bytes.len() > 16 && &bytes[12..16] == b"IHDR" && bytes.ends_with(b"IEND\xaeB`\x82") {
            return Ok("image/png");
        }
        return Err(i18n::t("PNG 文件不完整"));
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        if bytes.ends_with(&[0xFF, 0xD9]) {
            return Ok("image/jpeg");
        }
        return Err(i18n::t("JPEG 文件不完整"));
    }
    Err(i18n::t("只接受 PDF、PNG 或 JPEG 文件"))
}

/// Evidence for one rule: type-checked by content, size-checked, hashed, stored by its hash.
pub async fn upload_evidence(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let too_large = i18n::f("文件超过 {} MB", &[&(st.max_evidence >> 20)]);
    let (fields, file) = crate::common::read_upload(mp, &too_large).await?;
    let (csrf, rule) = (fields.get("csrf").cloned(), fields.get("rule").cloned());
    user.check_csrf(csrf.as_deref().unwrap_or(""))?;
    let d = declaration_or_404(&st, id).await?;
    if seat(&st, &user, &d).await? != Seat::Owner {
        return Err(AppError::Forbidden);
    }
    // Nothing is written for a declaration that can no longer take evidence.
    if !d.status.editable() {
        return Err(conflict(i18n::t("该申报已提交，不能再修改")));
    }
    let rule = rule.unwrap_or_default();
    if !zjtx_core::trace::RuleId::ALL
        .iter()
        .any(|r| r.as_str() == rule.trim())
    {
        return Err(AppError::BadRequest(
            i18n::t("请选择证明材料对应的规则").into(),
        ));
    }
    let (name, bytes) = file
        .filter(|(_, b)| !b.is_empty())
        .ok_or_else(|| AppError::BadRequest(i18n::t("请选择要上传的文件").into()))?;
    if bytes.len() > st.max_evidence {
        return Err(AppError::BadRequest(i18n::f(
            "文件超过 {} MB",
            &[&(st.max_evidence >> 20)],
        )));
    }
    let (kind, hash, fresh) = keep_file(&st, &bytes).await?;
    let name = file_name(&name);
    let added = st
        .store
        .add_evidence(
            id,
            rule.trim(),
            &name,
            kind,
            bytes.len() as i64,
            &hash,
            Some(user.user.id),
        )
        .await;
    if let Err(e) = added {
        // A refused record leaves no file behind (unless another record holds the same bytes).
        drop_unused(&st, &hash, fresh).await?;
        return Err(e.into());
    }
    Ok(Redirect::to(&format!("/declarations/{id}#evidence")).into_response())
}

use sha2::Digest;

/// A file name as shown: no control characters or path separators, at most 200 characters.
pub(crate) fn file_name(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\'))
        .take(200)
        .collect()
}

/// Keeps an uploaded file — a whole PDF, PNG or JPEG — in the evidence directory by its
/// SHA-256 (the same bytes twice are one file): its content type, hash, and whether it is new.
pub(crate) async fn keep_file(
    st: &AppState,
    bytes: &[u8],
) -> Result<(&'static str, String, bool), AppError> {
    let kind = sniff(bytes).map_err(|m| AppError::BadRequest(m.into()))?;
    let hash = hex::encode(sha2::Sha256::digest(bytes));
    let path = st.evidence_dir.join(&hash);
    let fresh = tokio::fs::metadata(&path).await.is_err();
    if fresh {
        tokio::fs::create_dir_all(&st.evidence_dir)
            .await
            .map_err(|e| AppError::Internal(format!("evidence directory: {e}")))?;
        let tmp = st.evidence_dir.join(format!("{hash}.part"));
        tokio::fs::write(&tmp, bytes)
            .await
            .map_err(|e| AppError::Internal(format!("writing evidence: {e}")))?;
        tokio::fs::rename(&tmp, &path)
            .await
            .map_err(|e| AppError::Internal(format!("writing evidence: {e}")))?;
    }
    Ok((kind, hash, fresh))
}

/// After a refused record: removes a file just written, unless a record holds the same bytes.
pub(crate) async fn drop_unused(st: &AppState, hash: &str, fresh: bool) -> Result<(), AppError> {
    if fresh && !st.store.stored_file_in_use(hash).await? {
        let _ = tokio::fs::remove_file(st.evidence_dir.join(hash)).await;
    }
    Ok(())
}

/// An evidence file, to whoever may see its declaration.
pub async fn evidence_file(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let x = st.store.evidence(id).await?.ok_or(AppError::NotFound)?;
    let d = declaration_or_404(&st, x.declaration_id).await?;
    seat(&st, &user, &d).await?;
    let bytes = tokio::fs::read(st.evidence_dir.join(&x.sha256))
        .await
        .map_err(|e| AppError::Internal(format!("evidence {id}: {e}")))?;
    st.store
        .audit(
            Some(user.user.id),
            "read",
            Some(&format!("declaration:{}", d.id)),
            &format!("evidence {id}"),
        )
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, x.content_type),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"evidence-{id}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
