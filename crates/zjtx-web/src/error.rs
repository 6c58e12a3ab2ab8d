//! One error type for every handler: it maps to a status code and a page, and logs server
//! failures without showing their details.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Not signed in (or the session ended): go to the login page.
    #[error("not signed in")]
    Login,
    #[error("the form has expired or did not come from this site")]
    Csrf,
    #[error("not allowed")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    /// Too many calls of a system key: retry after this many seconds.
    #[error("too many requests")]
    TooMany(u64),
    /// The request ran past the configured time limit and was stopped.
    #[error("the request took too long")]
    Timeout,
    #[error("internal error: {0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] zjtx_store::StoreError),
}

impl AppError {
    /// The status code, the same for pages and the API (a page sends the not-signed-in to the
    /// login page instead of answering 401).
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Login => StatusCode::UNAUTHORIZED,
            AppError::Csrf | AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Store(zjtx_store::StoreError::Conflict(_)) => StatusCode::CONFLICT,
            AppError::Store(zjtx_store::StoreError::Busy(_)) | AppError::Timeout => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AppError::Internal(_) | AppError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A fixed English identifier of the kind of error, for machine clients.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Login => "unauthenticated",
            AppError::Csrf => "csrf",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::BadRequest(_) => "bad_request",
            AppError::TooMany(_) => "rate_limited",
            AppError::Store(zjtx_store::StoreError::Conflict(_)) => "conflict",
            AppError::Store(zjtx_store::StoreError::Busy(_)) | AppError::Timeout => "busy",
            AppError::Internal(_) | AppError::Store(_) => "internal",
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    tr: crate::i18n::Tr,
    status: u16,
    title: &'a str,
    message: &'a str,
    /// The request's id, to quote to the administrator (`requests`).
    request_id: Option<String>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (title, message) = match &self {
            AppError::Login => return Redirect::to("/login").into_response(),
            AppError::Csrf => (
                crate::i18n::t("表单已失效"),
                crate::i18n::t("表单已过期或并非来自本站，请返回重新提交。").to_owned(),
            ),
            AppError::Forbidden => (
                crate::i18n::t("无权访问"),
                crate::i18n::t("您的账户无权访问此页面。").to_owned(),
            ),
            AppError::NotFound => (
                crate::i18n::t("未找到"),
                crate::i18n::t("页面或企业不存在，或不在您的管辖范围内。").to_owned(),
            ),
            AppError::BadRequest(m) => (crate::i18n::t("请求有误"), m.clone()),
            AppError::TooMany(_) => (
                crate::i18n::t("请求过多"),
                crate::i18n::t("调用过于频繁，请稍后再试。").to_owned(),
            ),
            AppError::Store(zjtx_store::StoreError::Conflict(m)) => {
                (crate::i18n::t("冲突"), store_refusal(m))
            }
            AppError::Store(zjtx_store::StoreError::Busy(why)) => {
                tracing::warn!(why, "an expensive query was turned away");
                let advice = if *why == crate::whole::BUSY {
                    crate::i18n::t("另一项全市统计正在计算，请稍后重试。")
                } else {
                    crate::i18n::t("搜索请求较多，请几秒后重试；可加上区县、梯度等条件缩小范围。")
                };
                (crate::i18n::t("系统繁忙"), advice.to_owned())
            }
            AppError::Timeout => (
                crate::i18n::t("处理超时"),
                crate::i18n::t("请求处理时间过长，已停止，未完成的修改不会保存。请稍后重试；如反复出现，请把下方的请求编号告知管理员。")
                    .to_owned(),
            ),
            AppError::Internal(_) | AppError::Store(_) => {
                tracing::error!(error = %self, "request failed");
                (
                    crate::i18n::t("服务器错误"),
                    crate::i18n::t("服务器处理请求时出错，已记录。请稍后再试。").to_owned(),
                )
            }
        };
        let page = ErrorPage {
            tr: crate::i18n::Tr,
            status: status.as_u16(),
            title,
            message: &message,
            request_id: crate::requests::id(),
        };
        let body = page.render().unwrap_or_else(|_| message.clone());
        if status == StatusCode::SERVICE_UNAVAILABLE {
            return (status, [(axum::http::header::RETRY_AFTER, "2")], Html(body)).into_response();
        }
        if let AppError::TooMany(secs) = self {
            return (
                status,
                [(axum::http::header::RETRY_AFTER, secs.to_string())],
                Html(body),
            )
                .into_response();
        }
        (status, Html(body)).into_response()
    }
}

/// A page's request refused by an extractor before any handler (a path segment, a query string or
/// a form that does not parse: axum answers those in English plain text): the error page in the
/// reader's language instead — a path that does not parse names nothing, so "not found"; a query
/// or form, "bad request" saying how to go on. The API has its own (`api::problems`).
pub async fn plain_rejections(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let plain = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    // What extractors answer: 400 (a path, query or form that does not parse), 413, 415, 422.
    let rejected = matches!(res.status().as_u16(), 400 | 413 | 415 | 422);
    if api || !plain || !rejected {
        return res;
    }
    let status = res.status();
    let text = axum::body::to_bytes(res.into_body(), 16 << 10)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    tracing::debug!(%status, text, "a request refused before its handler");
    let e = if text.starts_with("Invalid URL") {
        AppError::NotFound
    } else if status == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::BadRequest(crate::i18n::t("提交的内容过大，请缩小后重试。").to_owned())
    } else {
        AppError::BadRequest(
            crate::i18n::t(
                "网址或表单中的内容无法识别，请返回上一页，从页面上的链接或表单重新操作。",
            )
            .to_owned(),
        )
    };
    let mut out = e.into_response();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        *out.status_mut() = status;
    }
    out
}

/// A refusal of the store (its English words, also the API's detail) as the page's reader reads
/// it; one the table does not know keeps its words.
pub fn store_refusal(m: &str) -> String {
    match m {
        "no chain in force has that name" => crate::i18n::t("没有这个名称的现行产业链").to_owned(),
        "no declaration is approved and waiting for the notice" => {
            crate::i18n::t("没有已通过、等待公示的申报").to_owned()
        }
        "no segment in force has that name" => {
            crate::i18n::t("没有这个名称的现行细分赛道").to_owned()
        }
        "no such consent in force" => crate::i18n::t("该授权不存在或已失效").to_owned(),
        "no such enterprise" => crate::i18n::t("企业库中没有该企业").to_owned(),
        "no such event" => crate::i18n::t("该活动不存在").to_owned(),
        "no such institution account, or no such institution" => {
            crate::i18n::t("该机构或其工作人员账户不存在").to_owned()
        }
        "no such key in force" => crate::i18n::t("该密钥不存在或已吊销").to_owned(),
        "not recorded as qualified" => crate::i18n::t("尚未登记为合格").to_owned(),
        "the application has moved on" => {
            crate::i18n::t("该申请已被处理，请刷新后查看当前状态").to_owned()
        }
        "the application has moved on, or a budget no longer holds it" => {
            crate::i18n::t("该申请已被处理，或预算余额已不足").to_owned()
        }
        "the application is not in a state that allows this" => {
            crate::i18n::t("该申请当前的状态不能进行此操作").to_owned()
        }
        "the batch has no notice yet" => crate::i18n::t("该批次尚未发布公示").to_owned(),
        "the batch is already archived" => crate::i18n::t("该批次已归档").to_owned(),
        "the declaration can no longer be changed" => crate::i18n::t("该申报已不能修改").to_owned(),
        "the declaration is not on notice, or an objection is still open" => {
            crate::i18n::t("该申报不在公示中，或尚有未处理的异议").to_owned()
        }
        "the declaration is not on public notice" => {
            crate::i18n::t("该申报不在公示期内").to_owned()
        }
        "the enterprise holds no such title granted here" => {
            crate::i18n::t("该企业没有本平台认定的此项称号").to_owned()
        }
        "the enterprise holds no title to revoke" => {
            crate::i18n::t("该企业没有可撤销的称号").to_owned()
        }
        "the entry has moved on" => crate::i18n::t("该条目已被处理，请刷新后查看").to_owned(),
        "the item has moved on" => crate::i18n::t("该事项已被处理，请刷新后查看").to_owned(),
        "the milestone has moved on" => crate::i18n::t("该里程碑已被处理，请刷新后查看").to_owned(),
        "the need is no longer open" => crate::i18n::t("该融资需求已不再开放").to_owned(),
        "the objection does not exist or is resolved" => {
            crate::i18n::t("该异议不存在或已处理").to_owned()
        }
        "the objection is already resolved" => crate::i18n::t("该异议已处理").to_owned(),
        "the outcome has moved on" => crate::i18n::t("该成果记录已被处理，请刷新后查看").to_owned(),
        "the product cannot be withdrawn" => crate::i18n::t("该产品当前不能下架").to_owned(),
        "the product is not awaiting review" => crate::i18n::t("该产品不在待审核状态").to_owned(),
        "this account cannot hold keys" => crate::i18n::t("该账户不能持有接口密钥").to_owned(),
        "this expert has already scored this declaration" => {
            crate::i18n::t("您已为该申报评过分").to_owned()
        }
        "a chain of that name exists" => crate::i18n::t("已有同名产业链").to_owned(),
        "a segment of that name exists" => crate::i18n::t("已有同名细分赛道").to_owned(),
        "experts were drawn meanwhile; draw again" => {
            crate::i18n::t("其间已有专家被抽取，请重新抽取").to_owned()
        }
        "no such chain" => crate::i18n::t("该产业链不存在").to_owned(),
        "no such institution" => crate::i18n::t("该机构不存在").to_owned(),
        "the application no longer takes files" => {
            crate::i18n::t("该申请已不能上传文件").to_owned()
        }
        "the call was not opened" => crate::i18n::t("该申报通知未能发布").to_owned(),
        "the client is not in the registry" => crate::i18n::t("该服务对象不在企业库中").to_owned(),
        "the entry is not on notice" => crate::i18n::t("该条目不在公示中").to_owned(),
        "the product is not listed" => crate::i18n::t("该产品未上架").to_owned(),
        "not created" => crate::i18n::t("未能创建，请重试").to_owned(),
        "not posted" => crate::i18n::t("未能发布，请重试").to_owned(),
        "not saved" => crate::i18n::t("未能保存，请重试").to_owned(),
        "the key was not stored" => crate::i18n::t("密钥未能保存，请重试").to_owned(),
        "the profile was not written" => crate::i18n::t("资料未能保存，请重试").to_owned(),
        "the subscription was not created" => crate::i18n::t("订阅未能创建，请重试").to_owned(),
        "the account name is taken" => {
            crate::i18n::t("该账户名已被使用，请换一个账户名").to_owned()
        }
        "the backup path is not UTF-8" => crate::i18n::t("备份路径含有无法识别的字符").to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    /// Every refusal the store words (a guard of a transaction, a conflict) has its words for
    /// the page's reader: a new one without them fails here.
    #[test]
    fn every_store_refusal_is_worded_for_the_reader() {
        let mut missing = Vec::new();
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../zjtx-store/src");
        let mut dirs = vec![std::path::PathBuf::from(root)];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                    continue;
                }
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                for marker in ["Some(\"", "Conflict(\""] {
                    for part in text.split(marker).skip(1) {
                        let Some(m) = part.split('"').next() else {
                            continue;
                        };
                        // Refusals are sentences in lower case; column names and keys have no
                        // space, SQL is in capitals.
                        let sentence = m.contains(' ')
                            && m.starts_with(|c: char| c.is_ascii_lowercase())
                            && !m.contains(['{', '(', '?']);
                        if sentence && super::store_refusal(m) == m {
                            missing.push(format!("{}: {m}", p.display()));
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "{}", missing.join("\n"));
    }
}
