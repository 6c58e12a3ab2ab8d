//! The finance zone (金融专区): institutions list products (the bureau reviews them before they are
//! listed), enterprises post financing needs, see the products they are eligible for with the
//! reasons, control who sees which of their data and read who looked; institutions screen
//! consenting enterprises and move applications to credit; the bureau counts the outcomes.
//!
//! The rule that matters most: an institution reads an enterprise's data only through
//! [`disclose`], which checks the consents in force on this very request, shows each category only
//! as a consent allows (figures, or predicates and bands), and logs the access for the enterprise.

use crate::common::Fields;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::response::{Redirect, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use zjtx_core::Verdict;
use zjtx_core::finance::{self as fin, Eligibility, Facts, Match};
use zjtx_core::glossary::{self, Lang};
use zjtx_core::num::Wan;
use zjtx_core::workflow::application as app_flow;
use zjtx_core::workflow::consent;
use zjtx_store::{
    Application, Consent, EnterpriseRow, Message, NewProduct, Product, Role, StoreError,
};

use crate::AppState;
use crate::auth::{self, CurrentUser};
use crate::common::wan;
use crate::error::AppError;
use crate::i18n::{self, Tr};
use crate::nav::Nav;

mod api;
mod bureau;
mod disclosure;
mod facts;
mod hub;
mod needs;
mod products;
mod screen_cache;
mod screening;
pub mod webhooks;
pub use api::*;
pub use bureau::*;
pub use disclosure::*;
pub use facts::*;
pub use hub::*;
pub use needs::*;
pub use products::*;
pub use screen_cache::ScreenCache;
pub use screening::*;

fn lang() -> Lang {
    i18n::lang()
}

fn conflict(msg: impl Into<String>) -> AppError {
    AppError::Store(StoreError::Conflict(msg.into()))
}

fn bad(msg: String) -> AppError {
    AppError::BadRequest(msg)
}

/// An amount in 万元 typed in a form, as yuan units; `what` names the field in the message.
fn amount(v: &str, what: &str) -> Result<i64, AppError> {
    Wan::parse(v.trim())
        .map(|w| w.units())
        .map_err(|e| bad(i18n::f("{}（万元）：{}", &[&what, &e])))
}

fn int(v: &str, what: &str, lo: i64, hi: i64) -> Result<i64, AppError> {
    v.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (lo..=hi).contains(n))
        .ok_or_else(|| bad(i18n::f("{}：格式有误", &[&what])))
}

/// The values of a repeated form field (`key` names it in a message), each one of `allowed`,
/// without repeats.
fn picks(values: &[String], key: &str, allowed: &[&str]) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        if !allowed.contains(&v.as_str()) {
            return Err(bad(i18n::f("{}：格式有误", &[&key])));
        }
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    Ok(out)
}

/// The institution of a financial institution's staff account.
fn institution_of(user: &CurrentUser) -> Result<i64, AppError> {
    match (user.user.role, user.user.institution_id) {
        (Role::Institution, Some(i)) => Ok(i),
        _ => Err(AppError::Forbidden),
    }
}

fn own_uscc(user: &CurrentUser) -> Result<&str, AppError> {
    match (user.user.role, user.user.uscc.as_deref()) {
        (Role::Enterprise, Some(u)) => Ok(u),
        _ => Err(AppError::Forbidden),
    }
}

pub fn kind_label(k: &str) -> &'static str {
    match k {
        "loan" => i18n::t("贷款"),
        "guarantee" => i18n::t("担保"),
        "insurance" => i18n::t("保险"),
        "ip_pledge" => i18n::t("知识产权质押"),
        "investment_loan" => i18n::t("投贷联动"),
        "equity_debt" => i18n::t("股债联动"),
        "bank" => i18n::t("银行"),
        "insurer" => i18n::t("保险机构"),
        "fund" => i18n::t("投资基金"),
        "credit" => i18n::t("信用"),
        "pledge" => i18n::t("抵质押"),
        "profile" => i18n::t("基本信息"),
        "financials" => i18n::t("财务数据"),
        "ip" => i18n::t("知识产权"),
        "titles" => i18n::t("称号"),
        "evaluations" => i18n::t("梯度评价"),
        "grooming" => i18n::t("培育"),
        "shareholding" => i18n::t("股改"),
        "tutoring" => i18n::t("辅导"),
        "filing" => i18n::t("申报"),
        "board" => i18n::t("挂牌"),
        "ipo" => i18n::t("上市"),
        "applied" => i18n::t("已申请"),
        "accepted" => i18n::t("已受理"),
        "granted" => i18n::t("已授信"),
        "disbursed" => i18n::t("已放款"),
        "declined" => i18n::t("已拒绝"),
        "submitted" => i18n::t("待审核"),
        "listed" => i18n::t("已上架"),
        "rejected" => i18n::t("未通过"),
        "withdrawn" => i18n::t("已下架"),
        "open" => i18n::t("对接中"),
        "met" => i18n::t("已满足"),
        "tier" => i18n::t("梯度"),
        "size" => i18n::t("规模"),
        "revenue" => i18n::t("营业收入"),
        "district" => i18n::t("区县"),
        "ecosystem" => i18n::t("产业生态圈"),
        "amount" => i18n::t("金额"),
        "term" => i18n::t("期限"),
        "collateral" => i18n::t("担保方式"),
        _ => i18n::t("其他"),
    }
}

fn labels(csv: &str) -> String {
    csv.split(',')
        .filter(|s| !s.is_empty())
        .map(kind_label)
        .collect::<Vec<_>>()
        .join("、")
}
