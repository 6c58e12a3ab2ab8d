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

/// An event's body: its name, when it happened, what it concerns.
fn payload(event: &str, at: i64, data: Value) -> String {
    json!({ "event": event, "at": at, "data": data }).to_string()
}

/// What an outbox event becomes: deliveries `(institution, event, payload)` for the
/// subscriptions of each institution to tell, and in-app messages `(institution, text, link)` for
/// each of those institutions' staff (whether or not it subscribed), worded in both languages. A
/// step wrote the event in its own transaction; this reads the records it names as they are now.
#[derive(Default)]
pub struct Expansion {
    pub deliveries: Vec<(i64, String, String)>,
    pub notices: Vec<(i64, i18n::Said, String)>,
}

pub async fn events_of(st: &AppState, ev: &zjtx_store::OutboxEvent) -> Result<Expansion, AppError> {
    let at = ev.created_at;
    let one = |inst: i64, event: &str, data: Value, text: i18n::Said, link: String| Expansion {
        deliveries: vec![(inst, event.to_owned(), payload(event, at, data))],
        notices: vec![(inst, text, link)],
    };
    let firm = |uscc: String| async move {
        Ok::<_, AppError>(
            st.store
                .enterprise(&uscc)
                .await?
                .map_or_else(|| uscc.clone(), |e| e.name),
        )
    };
    Ok(match ev.event.as_str() {
        "need.posted" => need_posted(st, ev.ref_id, at).await?,
        "consent.granted" => match st.store.consent(ev.ref_id).await? {
            // A grant shows in the bank's screening; its staff are not told of each one.
            Some(c) => Expansion {
                notices: Vec::new(),
                ..one(
                    c.institution_id,
                    "consent.granted",
                    json!({ "consent_id": c.id, "uscc": c.uscc,
                            "categories": c.categories.split(',').filter(|x| !x.is_empty()).collect::<Vec<_>>(),
                            "predicates_only": c.predicates_only,
                            "valid_from": c.valid_from, "valid_until": c.valid_until }),
                    i18n::Said::default(),
                    String::new(),
                )
            },
            None => Expansion::default(),
        },
        "consent.revoked" => match st.store.consent(ev.ref_id).await? {
            Some(c) => one(
                c.institution_id,
                "consent.revoked",
                json!({ "consent_id": c.id, "uscc": c.uscc }),
                {
                    let name = firm(c.uscc.clone()).await?;
                    i18n::both(|| {
                        i18n::f(
                            "{} 撤回了对贵机构的数据授权，此后不再可见其授权数据",
                            &[&name],
                        )
                    })
                },
                "/finance/screen".to_owned(),
            ),
            None => Expansion::default(),
        },
        "application.step" => match st.store.application(ev.ref_id).await? {
            Some(a) => {
                let (from, to) = match ev.detail.split_once('>') {
                    Some((f, t)) => (Some(f.to_owned()), t.to_owned()),
                    None => (None, ev.detail.clone()),
                };
                let (amount, on) = match to.as_str() {
                    "applied" => (Some(a.amount), None),
                    "granted" => (a.granted_amount, a.granted_on.clone()),
                    "disbursed" => (None, a.disbursed_on.clone()),
                    _ => (None, None),
                };
                let mut out = one(
                    a.institution_id,
                    "application.step",
                    json!({ "application_id": a.id, "product": a.product, "uscc": a.uscc,
                            "from": from, "to": to, "amount_yuan": amount, "on": on,
                            "need_id": a.need_id }),
                    i18n::both(|| {
                        i18n::f(
                            "{} 申请贵机构产品“{}”，金额 {} 万元",
                            &[&a.name, &a.product, &wan(Some(a.amount))],
                        )
                    }),
                    "/finance#applications".to_owned(),
                );
                // The institution moved it itself: its staff need no message of their own step.
                if to != "applied" {
                    out.notices.clear();
                }
                out
            }
            None => Expansion::default(),
        },
        other => {
            tracing::warn!(event = other, "webhooks: an outbox event of no known kind");
            Expansion::default()
        }
    })
}

/// A new need: to each institution whose listed products match it on what the firm's consents
/// show that institution (as its own list of needs is judged): a delivery to its subscriptions,
/// a message to its staff. The read is logged under the account that subscribed, or else its
/// first staff account.
async fn need_posted(st: &AppState, need_id: i64, at: i64) -> Result<Expansion, AppError> {
    let mut out = Expansion::default();
    let Some(n) = st
        .store
        .needs(None)
        .await?
        .into_iter()
        .find(|n| n.id == need_id)
    else {
        return Ok(out);
    };
    let subscribers: std::collections::BTreeMap<i64, i64> = st
        .store
        .subscribers("need.matched")
        .await?
        .into_iter()
        .collect();
    let mut listed: std::collections::BTreeMap<i64, Vec<Product>> = Default::default();
    for p in st.store.products(Some("listed"), None).await? {
        listed.entry(p.institution_id).or_default().push(p);
    }
    for (inst, products) in listed {
        let subscribed = subscribers.get(&inst).copied();
        let reader = match subscribed {
            Some(r) => r,
            None => match st.store.institution_staff(inst).await?.first() {
                Some(r) => *r,
                None => continue,
            },
        };
        let set = zjtx_store::SubjectSet {
            open_needs: true,
            only: Some(&n.uscc),
            ..Default::default()
        };
        let route = if subscribed.is_some() {
            "webhook:need.matched"
        } else {
            "message:need.matched"
        };
        let seen = consented_many(st, reader, inst, set, route, LogAs::Each).await?;
        let Some((_, c)) = seen.first() else {
            continue;
        };
        if !need_matched(&products, c, &n) {
            continue;
        }
        if subscribed.is_some() {
            let data = json!({
                "need_id": n.id, "uscc": n.uscc, "name": n.name,
                "amount_yuan": n.amount, "term_months": n.term_months,
                "purpose": n.purpose, "collateral": n.collateral,
            });
            out.deliveries.push((
                inst,
                "need.matched".to_owned(),
                payload("need.matched", at, data),
            ));
        }
        out.notices.push((
            inst,
            i18n::both(|| {
                i18n::f(
                    "新的融资需求与贵机构产品匹配：{}，{} 万元，{} 个月",
                    &[&n.name, &wan(Some(n.amount)), &n.term_months.to_string()],
                )
            }),
            "/finance#needs".to_owned(),
        ));
    }
    Ok(out)
}

/// Turns the outbox's events into deliveries and messages (each event once, whichever instance
/// takes it); returns how many events were turned.
pub async fn expand_outbox(st: &AppState) -> Result<usize, AppError> {
    let mut n = 0;
    for ev in st.store.outbox_pending(50).await? {
        let x = events_of(st, &ev).await?;
        let mut staff: std::collections::BTreeMap<i64, Vec<i64>> = Default::default();
        for (inst, ..) in &x.notices {
            if !staff.contains_key(inst) {
                staff.insert(*inst, st.store.institution_staff(*inst).await?);
            }
        }
        let msgs: Vec<Message> = x
            .notices
            .iter()
            .flat_map(|(inst, text, link)| {
                staff
                    .get(inst)
                    .into_iter()
                    .flatten()
                    .map(|u| text.to(*u, link))
            })
            .collect();
        let taken = st.store.expand_outbox(ev.id, &x.deliveries, &msgs).await?;
        if taken {
            crate::mail::deliver(st, &msgs);
        }
        n += usize::from(taken);
    }
    Ok(n)
}

/// Whether an address is on the public internet: not the machine itself, a private, shared
/// (carrier-grade), link-local, documentation, benchmarking, multicast or reserved network — where
/// a delivery must not go, lest an institution make the platform call services behind its
/// firewall.
pub fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v) => {
            let [a, b, ..] = v.octets();
            !(v.is_loopback()
                || v.is_private()
                || v.is_link_local()
                || v.is_unspecified()
                || v.is_broadcast()
                || v.is_documentation()
                || v.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v) => {
            if let Some(v4) = v.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v.segments()[0];
            !(v.is_loopback()
                || v.is_unspecified()
                || v.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first == 0x2001 && v.segments()[1] == 0x0db8))
        }
    }
}

/// Where a delivery goes: the host resolved once, every address it names public, and the client
/// held to that address (so a second lookup cannot turn it to a private one). `None` with the
/// shared client where the configuration allows local addresses (tests).
async fn pinned(url: &str, allow_local: bool) -> Result<Option<reqwest::Client>, String> {
    if allow_local {
        return Ok(None);
    }
    let u = reqwest::Url::parse(url).map_err(|e| e.to_string())?;
    let host = u.host_str().ok_or("no host")?.to_owned();
    let port = u.port_or_known_default().unwrap_or(443);
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<std::net::SocketAddr> = match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => vec![std::net::SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((bare, port))
            .await
            .map_err(|e| format!("{host}: {e}"))?
            .collect(),
    };
    let first = *addrs.first().ok_or_else(|| format!("{host}: no address"))?;
    if let Some(a) = addrs.iter().find(|a| !is_public(a.ip())) {
        return Err(format!(
            "refused: {host} resolves to {} (not a public address)",
            a.ip()
        ));
    }
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .resolve(bare, first)
        .build()
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Sends what is due at `now`; returns how many were delivered.
pub async fn deliver_due(
    st: &AppState,
    http: &reqwest::Client,
    now: i64,
) -> Result<usize, AppError> {
    expand_outbox(st).await?;
    let mut delivered = 0;
    for d in st.store.claim_deliveries(now, 20, LEASE_SECS).await? {
        let body = d.delivery.payload.clone();
        let client = match pinned(&d.url, st.webhooks_allow_local).await {
            Ok(c) => c,
            Err(why) => {
                let attempts = d.delivery.attempts + 1;
                st.store
                    .record_attempt(
                        d.delivery.id,
                        None,
                        Some(&why),
                        false,
                        retry_after(attempts, now),
                    )
                    .await?;
                continue;
            }
        };
        let sent = client
            .as_ref()
            .unwrap_or(http)
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
    let private = valid_url(&url, st.webhooks_allow_local)
        && pinned(&url, st.webhooks_allow_local)
            .await
            .is_err_and(|e| e.starts_with("refused"));
    let error = if !valid_url(&url, st.webhooks_allow_local) {
        Some(i18n::t("接收地址须以 https:// 开头"))
    } else if private {
        Some(i18n::t("接收地址指向内部网络，不能接收推送"))
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
    fn only_public_addresses_receive_deliveries() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "198.18.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
            "224.0.0.1",
        ] {
            let ip: std::net::IpAddr = private.parse().unwrap_or_else(|e| panic!("{e}"));
            assert!(!is_public(ip), "{private}");
        }
        for public in [
            "8.8.8.8",
            "120.55.1.1",
            "100.128.0.1",
            "2400:3200::1",
            "::ffff:8.8.4.4",
        ] {
            let ip: std::net::IpAddr = public.parse().unwrap_or_else(|e| panic!("{e}"));
            assert!(is_public(ip), "{public}");
        }
    }

    #[tokio::test]
    async fn a_host_naming_a_private_address_is_refused() {
        for url in [
            "https://127.0.0.1/hook",
            "https://[::1]:8443/hook",
            "https://localhost/hook",
            "https://10.0.0.5/x",
        ] {
            let r = pinned(url, false).await;
            assert!(
                r.as_ref().is_err_and(|e| e.starts_with("refused")),
                "{url}: {:?}",
                r.map(|c| c.is_some())
            );
        }
        assert!(matches!(
            pinned("https://127.0.0.1/x", true).await,
            Ok(None)
        ));
    }

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
