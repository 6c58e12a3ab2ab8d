//! Declaration, review and recognition of titles: batches, an enterprise's declaration with its
//! live self-assessment and evidence, district and city review, the expert draw and scores, the
//! public notice with objections, recognition with its decision record and certificate, and what
//! follows (yearly update, major changes, re-review, revocation). Every step checks the role, the
//! scope and the state; the store makes each step one transaction with its audit record.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Multipart, Path, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use zjtx_core::glossary::{self, Lang};
use zjtx_core::workflow::declaration::{self as flow, Decision, Refusal, Status};
use zjtx_core::workflow::title::{self as title_flow, Event};
use zjtx_core::{Tier, Verdict};
use zjtx_store::{
    Batch, Declaration, Message, NewBatch, NewDecision, NewReview, ReviewDecision, ReviewLevel,
    Role, StoreError,
};

use crate::AppState;
use crate::auth::{self, CurrentUser};
use crate::common::{CsrfOnly, Fields, date};
use crate::error::AppError;
use crate::i18n::{self, Tr};
use crate::nav::Nav;
use crate::pages::{self, RuleRow, WhatIfField};

mod api;
mod batches;
mod declaration;
mod draw;
pub(crate) mod evidence;
mod messages;
mod notice;
mod recognition;
mod review;
mod titles;
pub use api::*;
pub use batches::*;
pub use declaration::*;
pub use draw::*;
pub use evidence::*;
pub use messages::*;
pub use notice::*;
pub use recognition::*;
pub use review::*;
pub use titles::*;

/// The largest evidence file accepted, in bytes, under `rules` (`[declaration]`).
pub fn max_evidence(rules: &[zjtx_core::RuleSet]) -> usize {
    rules
        .first()
        .map_or(0, |r| (r.common.declaration.evidence_max_mb as usize) << 20)
}

fn lang() -> Lang {
    i18n::lang()
}

fn tier_of(key: &str) -> Option<Tier> {
    match key {
        "innovative" => Some(Tier::Innovative),
        "srdi" => Some(Tier::Srdi),
        "giant" => Some(Tier::Giant),
        _ => None,
    }
}

/// The same message to each of some users.
fn tell<'a>(
    users: impl IntoIterator<Item = i64>,
    text: i18n::Said,
    link: &'a str,
) -> Vec<Message<'a>> {
    users.into_iter().map(|u| text.to(u, link)).collect()
}

/// The verdict of one tier in a summary.
fn tier_verdict(s: &zjtx_core::Summary, tier: &str) -> Verdict {
    match tier {
        "innovative" => s.innovative,
        "tech_sme" => s.tech_sme,
        "srdi" => s.srdi,
        "giant" => s.giant,
        _ => Verdict::Review,
    }
}

fn conflict(msg: impl Into<String>) -> AppError {
    AppError::Store(StoreError::Conflict(msg.into()))
}

/// A state's name for readers.
pub fn status_label(s: Status) -> &'static str {
    match s {
        Status::Draft => i18n::t("草稿"),
        Status::Submitted => i18n::t("待区县审核"),
        Status::Returned => i18n::t("退回修改"),
        Status::Withdrawn => i18n::t("已撤回"),
        Status::Recommended => i18n::t("区县已推荐"),
        Status::Rejected => i18n::t("未通过"),
        Status::Approved => i18n::t("市级已通过"),
        Status::Notice => i18n::t("公示中"),
        Status::Recognised => i18n::t("已认定"),
        Status::Refused => i18n::t("公示异议成立"),
    }
}

/// A refusal of the declaration workflow as the user reads it. Refusals that need more than the
/// core knows (a ban's end and reason, the evaluation's verdict) are worded by their handler.
fn refused(r: Refusal) -> AppError {
    match r {
        Refusal::NotYourSeat => AppError::Forbidden,
        Refusal::WrongState(s) => conflict(i18n::f(
            "申报当前状态为“{}”，不能进行此操作",
            &[&status_label(s)],
        )),
        Refusal::Closed(until) => conflict(i18n::f("已过截止日期 {}", &[&until])),
        Refusal::ReviewClosed(until) => conflict(i18n::f("已过审核截止日期 {}", &[&until])),
        Refusal::NoPledge => AppError::BadRequest(i18n::t("请先签署真实性承诺").into()),
        Refusal::Barred => conflict(i18n::t("该企业处于禁止申报期内")),
        Refusal::NoDecision => AppError::BadRequest(i18n::t("请选择审核结论").into()),
        Refusal::ReasonRequired => AppError::BadRequest(i18n::t("退回或不予推荐须写明理由").into()),
        Refusal::QuotaFull(q) => conflict(i18n::f("本批次名额 {} 已满", &[&q])),
        Refusal::ScoresMissing(None) => AppError::BadRequest(
            i18n::t("尚未抽取专家：通过须填写“专家评分未齐时通过的理由”").into(),
        ),
        Refusal::ScoresMissing(Some(n)) => AppError::BadRequest(i18n::f(
            "还有 {} 位抽取的专家未评分：通过须填写“专家评分未齐时通过的理由”",
            &[&n],
        )),
        Refusal::EvaluationFails => AppError::BadRequest(
            i18n::t("评价未通过：通过须填写“评价未通过时仍予通过的理由”").into(),
        ),
        Refusal::NotOnNotice => conflict(i18n::t("不在公示期内")),
        Refusal::NoticeRunning => conflict(i18n::t("公示期尚未结束")),
        Refusal::ObjectionOpen => conflict(i18n::t("尚有未处理的异议")),
    }
}

/// The batch's dates as the workflow reads them.
fn batch_dates(b: &Batch) -> Result<flow::Batch, AppError> {
    let day =
        |s: &str| date(s).ok_or_else(|| AppError::Internal(format!("batch {} date {s:?}", b.id)));
    Ok(flow::Batch {
        declare_until: day(&b.declare_until)?,
        district_until: day(&b.district_until)?,
        city_until: day(&b.city_until)?,
        archived: b.archived,
        quota: b.quota,
    })
}

/// A declaration's notice window, once it went on notice.
fn notice_window(d: &Declaration) -> Option<(NaiveDate, NaiveDate)> {
    Some((
        date(d.notice_from.as_deref()?)?,
        date(d.notice_until.as_deref()?)?,
    ))
}
