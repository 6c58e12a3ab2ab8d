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
                (crate::i18n::t("冲突"), m.clone())
            }
            AppError::Store(zjtx_store::StoreError::Busy(why)) => {
                tracing::warn!(why, "an expensive query was turned away");
                (
                    crate::i18n::t("系统繁忙"),
                    crate::i18n::t("搜索请求较多，请几秒后重试；可加上区县、梯度等条件缩小范围。")
                        .to_owned(),
                )
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
