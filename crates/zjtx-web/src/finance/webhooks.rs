//! Webhooks for institutions' systems (issue 17): a bank subscribes an address of its own to
//! events of its own — a new need one of its listed products matches, a step of an application
//! to it, a consent to it granted or revoked — and each is POSTed there as JSON, signed with the
//! subscription's secret (`ZJTX-Signature: t=<unix seconds>,v1=<hex HMAC-SHA-256 of "<t>.<body>">`),
//! retried with backoff until answered 2xx, every attempt in the delivery log on its page.
//!
//! A need is announced only to an institution the firm's consents let see it matched, judged as
//! the institution's own list of needs is (`routed_needs`), and the read is logged for the firm
//! under the account that subscribed.

use axum::response::IntoResponse;
use hmac::Mac;

use super::*;

/// The events there are.
pub const EVENTS: &[&str] = &[
    "need.matched",
    "application.step",
    "consent.granted",
    "consent.revoked",
];

/// An event's name in the reader's language.
fn event_label(key: &str) -> &'static str {
    match key {
        "need.matched" => i18n::t("新的匹配融资需求"),
        "application.step" => i18n::t("融资申请进展"),
        "consent.granted" => i18n::t("企业授权"),
        "consent.revoked" => i18n::t("企业撤销授权"),
        _ => "",
    }
}
/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i64 = 8;
/// The first retry's wait; each next one doubles it.
const FIRST_RETRY_SECS: i64 = 30;
/// How long a worker holds a delivery it is sending.
const LEASE_SECS: i64 = 60;

/// The signature header's value for `body` sent at `t`.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// When the attempt after `attempts` failed ones is made; `None`: give up.
pub fn retry_after(attempts: i64, now: i64) -> Option<i64> {
    (attempts < MAX_ATTEMPTS).then(|| now + FIRST_RETRY_SECS * (1 << (attempts - 1).clamp(0, 16)))
}

/// Queues an event for the institution's subscriptions to it.
pub async fn emit(st: &AppState, inst: i64, event: &str, data: Value) -> Result<(), AppError> {
    let payload = json!({ "event": event, "at": zjtx_store::now(), "data": data }).to_string();
    st.store.enqueue_event(inst, event, &payload).await?;
    Ok(())
}

/// A new need: to each subscribed institution whose listed products match it on what the firm's
/// consents show that institution.
pub async fn need_posted(st: &AppState, need_id: i64, uscc: &str) -> Result<(), AppError> {
    let subscribers = st.store.subscribers("need.matched").await?;
    if subscribers.is_empty() {
        return Ok(());
    }
    let Some(n) = st
        .store
        .needs(Some(uscc))
        .await?
        .into_iter()
        .find(|n| n.id == need_id)
    else {
        return Ok(());
    };
    for (inst, reader) in subscribers {
        let listed = st.store.products(Some("listed"), Some(inst)).await?;
        if listed.is_empty() {
            continue;
        }
        let set = zjtx_store::SubjectSet {
            open_needs: true,
            only: Some(uscc),
            ..Default::default()
        };
        let seen =
            consented_many(st, reader, inst, set, "webhook:need.matched", LogAs::Each).await?;
        let Some((_, c)) = seen.first() else {
            continue;
        };
        if need_matched(&listed, c, &n) {
            emit(
                st,
                inst,
                "need.matched",
                json!({
                    "need_id": n.id, "uscc": n.uscc, "name": n.name,
                    "amount_yuan": n.amount, "term_months": n.term_months,
                    "purpose": n.purpose, "collateral": n.collateral,
                }),
            )
            .await?;
        }
    }
    Ok(())
}

/// Sends what is due at `now`; returns how many were delivered.
pub async fn deliver_due(
    st: &AppState,
    http: &reqwest::Client,
    now: i64,
) -> Result<usize, AppError> {
    let mut delivered = 0;
    for d in st.store.claim_deliveries(now, 20, LEASE_SECS).await? {
        let body = d.delivery.payload.clone();
        let sent = http
            .post(&d.url)
            .header("content-type", "application/json")
            .header("zjtx-event", &d.delivery.event)
            .header("zjtx-delivery", d.delivery.id.to_string())
            .header("zjtx-signature", signature(&d.secret, now, &body))
            .body(body)
            .send()
            .await;
        let attempts = d.delivery.attempts + 1;
        let (status, error, ok) = match sent {
            Ok(r) => {
                let s = r.status();
                (
                    Some(i64::from(s.as_u16())),
                    (!s.is_success()).then(|| s.to_string()),
                    s.is_success(),
                )
            }
            Err(e) => (None, Some(e.to_string()), false),
        };
        let retry = if ok { None } else { retry_after(attempts, now) };
        st.store
            .record_attempt(d.delivery.id, status, error.as_deref(), ok, retry)
            .await?;
        delivered += usize::from(ok);
    }
    Ok(delivered)
}

/// Every two seconds, on every instance (a delivery is claimed by one).
pub fn spawn_worker(st: AppState) {
    let Ok(http) = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    else {
        tracing::error!("webhooks: no HTTP client; deliveries wait");
        return;
    };
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
        loop {
            tick.tick().await;
            if let Err(e) = deliver_due(&st, &http, zjtx_store::now()).await {
                tracing::warn!(error = %e, "webhooks: delivering failed; next time");
            }
        }
    });
}

#[derive(Template, WebTemplate)]
#[template(path = "webhooks.html")]
pub struct WebhooksPage {
    pub tr: Tr,
    pub nav: Nav,
    pub hooks: Vec<(zjtx_store::Webhook, Vec<&'static str>)>,
    pub deliveries: Vec<zjtx_store::Delivery>,
    pub events: Vec<(&'static str, &'static str)>,
    /// Just created: the subscription's secret, shown this once.
    pub created: Option<String>,
    pub error: Option<String>,
    pub url: String,
}

impl WebhooksPage {
    pub fn time(&self, at: &i64) -> String {
        crate::common::local_time(*at, "%Y-%m-%d %H:%M:%S")
    }
}

async fn page(
    st: &AppState,
    user: &CurrentUser,
    created: Option<String>,
    error: Option<String>,
    url: String,
) -> Result<WebhooksPage, AppError> {
    let inst = institution_of(user)?;
    let hooks = st
        .store
        .webhooks(inst)
        .await?
        .into_iter()
        .map(|h| {
            let labels = EVENTS
                .iter()
                .filter(|k| h.events.split(',').any(|e| e == **k))
                .map(|k| event_label(k))
                .collect();
            (h, labels)
        })
        .collect();
    Ok(WebhooksPage {
        tr: Tr,
        nav: Nav::of(user),
        hooks,
        deliveries: st.store.deliveries(inst, 50).await?,
        events: EVENTS.iter().map(|k| (*k, event_label(k))).collect(),
        created,
        error,
        url,
    })
}

/// `GET /finance/webhooks`.
pub async fn webhooks_page(
    State(st): State<AppState>,
    user: CurrentUser,
) -> Result<WebhooksPage, AppError> {
    page(&st, &user, None, None, String::new()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WebhookForm {
    pub csrf: String,
    pub url: String,
    pub events: Vec<String>,
}

/// Where deliveries may go: https; http on the loopback address only where the configuration
/// allows it (a test) — otherwise an institution could make the platform post to services on its
/// own machine.
fn valid_url(u: &str, allow_local: bool) -> bool {
    let plain_local = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|p| u.starts_with(p));
    (u.starts_with("https://") || (allow_local && plain_local))
        && u.len() <= 500
        && !u.chars().any(char::is_whitespace)
}

/// `POST /finance/webhooks`: a subscription; its secret shown once.
pub async fn create_webhook(
    State(st): State<AppState>,
    user: CurrentUser,
    Fields(f): Fields<WebhookForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&f.csrf)?;
    let inst = institution_of(&user)?;
    let url = f.url.trim().to_owned();
    let events: Vec<&str> = EVENTS
        .iter()
        .copied()
        .filter(|k| f.events.iter().any(|e| e == k))
        .collect();
    let error = if !valid_url(&url, st.webhooks_allow_local) {
        Some(i18n::t("接收地址须以 https:// 开头"))
    } else if events.is_empty() || events.len() != f.events.len() {
        Some(i18n::t("请选择至少一种事件"))
    } else {
        None
    };
    if let Some(e) = error {
        let mut res = page(&st, &user, None, Some(e.to_owned()), url)
            .await?
            .into_response();
        *res.status_mut() = axum::http::StatusCode::BAD_REQUEST;
        return Ok(res);
    }
    let secret = format!("whsec_{}", auth::random_token()?);
    st.store
        .create_webhook(inst, &url, &secret, &events.join(","), user.user.id)
        .await?;
    Ok(page(&st, &user, Some(secret), None, String::new())
        .await?
        .into_response())
}

/// `POST /finance/webhooks/{id}/remove`.
pub async fn remove_webhook(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<crate::common::CsrfOnly>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let inst = institution_of(&user)?;
    if !st.store.remove_webhook(inst, id, user.user.id).await? {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/finance/webhooks"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_and_backoff() {
        // HMAC-SHA-256 of "1.{}" with the key "key", computed independently (Python's hmac).
        assert_eq!(
            signature("key", 1, "{}"),
            "t=1,v1=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224"
        );
        assert_eq!(retry_after(1, 1000), Some(1030));
        assert_eq!(retry_after(2, 1000), Some(1060));
        assert_eq!(retry_after(7, 1000), Some(1000 + 30 * 64));
        assert_eq!(retry_after(MAX_ATTEMPTS, 1000), None);
    }
}
