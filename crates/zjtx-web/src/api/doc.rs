//! The OpenAPI document, made from the code: every API route is registered here together with its
//! handler's `#[utoipa::path]` (utoipa-axum's `routes!`), so a route cannot be served without its
//! documentation, and every body is a type deriving its schema (`types`). What the code cannot
//! say by itself is added from the one place that knows it: who may call each operation, from
//! the access table (`access::TABLE`: public operations need no token), and the error answers
//! every operation can give.

use std::sync::LazyLock;

use axum::Json;
use serde_json::{Value, json};
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::access::{self, Who};

/// An enterprise's unified social credit code in the path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UsccPath {
    /// The unified social credit code (18 characters).
    #[param(pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$")]
    pub uscc: String,
}

/// A record's number in the path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    pub id: i64,
}

/// RFC 9457 problem details, served as `application/problem+json`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:zjtx:problem:{code}`.
    pub r#type: String,
    pub title: String,
    pub status: u16,
    /// What went wrong, in words.
    pub detail: String,
    /// The kind: unauthenticated, csrf, forbidden, not_found, method_not_allowed, bad_request,
    /// too_large, unsupported_media_type, rate_limited, conflict, busy, internal.
    pub code: String,
    /// The detail again (for clients written before).
    pub error: String,
}

/// Every route of the API with its documentation: the router serves exactly what the document
/// lists.
pub fn router() -> (axum::Router<AppState>, OpenApi) {
    OpenApiRouter::new()
        .routes(routes!(super::token))
        .routes(routes!(super::enterprises))
        .routes(routes!(super::enterprise))
        .routes(routes!(super::evaluation))
        .routes(routes!(super::finance_enterprise))
        .routes(routes!(super::chains))
        .routes(routes!(super::chain_events))
        .routes(routes!(super::chain_summary))
        .routes(routes!(super::catalogue))
        .routes(routes!(openapi))
        .routes(routes!(crate::exchange::enterprises))
        .routes(routes!(crate::exchange::titles))
        .routes(routes!(crate::exchange::title_changes))
        .routes(routes!(crate::finance::api_products))
        .routes(routes!(
            crate::finance::api_needs,
            crate::finance::api_post_need
        ))
        .routes(routes!(crate::finance::api_respond))
        .routes(routes!(crate::finance::api_screen))
        .routes(routes!(crate::finance::api_stats))
        .routes(routes!(crate::finance::api_applications))
        .routes(routes!(crate::finance::api_step))
        .routes(routes!(
            crate::finance::api_consents,
            crate::finance::api_grant
        ))
        .routes(routes!(crate::finance::api_revoke))
        .routes(routes!(crate::monitoring::bulletin::api))
        .routes(routes!(crate::monitoring::bulletin::list_api))
        .routes(routes!(crate::monitoring::api_clearings))
        .routes(routes!(crate::funds::api_programmes))
        .routes(routes!(crate::funds::api_awards))
        .routes(routes!(crate::challenges::api_list))
        .routes(routes!(crate::declare::api_batches))
        .routes(routes!(crate::declare::api_batch_declarations))
        .routes(routes!(crate::declare::api_declaration))
        .routes(routes!(crate::declare::api_submit))
        .routes(routes!(crate::declare::api_review))
        .routes(routes!(crate::declare::api_withdraw))
        .routes(routes!(crate::declare::api_score))
        .routes(routes!(crate::declare::api_notices))
        .routes(routes!(crate::declare::api_titles))
        .split_for_parts()
}

/// The document, made once.
static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
    let (_, api) = router();
    let mut doc = serde_json::to_value(api).unwrap_or_else(|_| json!({}));
    complete(&mut doc);
    doc
});

/// `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of this API.
#[utoipa::path(get, path = "/api/v1/openapi.json", summary = "This document",
    responses((status = 200, description = "OpenAPI 3.1", body = Object)))]
pub async fn openapi() -> Json<Value> {
    Json(document())
}

/// The OpenAPI 3.1 document of this API.
pub fn document() -> Value {
    DOCUMENT.clone()
}

const INTRO: &str = "The enterprise registry, tier evaluations, finance zone, chains, programmes and monitoring of the ZJTX 专精特新 platform. Every call but the public ones needs `Authorization: Bearer TOKEN`: a session token from /auth/token, or a system key (`zjtx_…`) created at /account/keys, which reaches /api/ only, is read-only unless given the write scope, is held to a rate (429 with Retry-After), and is audited under its own name. What a caller sees follows its role and scope (each operation says whose it is). Errors are RFC 9457 problem details with a stable `type` per kind.";

/// What the handlers' annotations do not say: the title and security scheme, who may call each
/// operation (the access table: public ones need no token), and the error answers every
/// operation can give — 400 where it takes parameters or a body, 401, 403 and 429 where it
/// needs a token or key, 503 where it searches.
fn complete(doc: &mut Value) {
    doc["openapi"] = json!("3.1.0");
    doc["info"] = json!({ "title": "ZJTX API", "version": "1", "description": INTRO });
    doc["security"] = json!([{ "bearer": [] }]);
    doc["components"]["securitySchemes"] =
        json!({ "bearer": { "type": "http", "scheme": "bearer" } });
    let err = json!({ "description": "a problem", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } });
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, ops) in paths.iter_mut() {
        let Some(ops) = ops.as_object_mut() else {
            continue;
        };
        for (method, op) in ops.iter_mut() {
            let line = access::TABLE
                .iter()
                .find(|a| a.path == path && a.method.eq_ignore_ascii_case(method));
            // An operation's id from its method and path (handlers' names repeat across modules).
            let id: String = format!("{method}_{}", path.trim_start_matches("/api/v1/"))
                .chars()
                .filter(|c| !matches!(c, '{' | '}'))
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            op["operationId"] = json!(id);
            let public = matches!(line.map(|a| a.who), Some(Who::Public));
            if public {
                op["security"] = json!([]);
            }
            if let Some(a) = line {
                let who = match a.who {
                    Who::Public => "anyone".to_owned(),
                    Who::Roles(roles) => {
                        roles.iter().map(|r| r.key()).collect::<Vec<_>>().join(", ")
                    }
                    Who::Operator => "operators".to_owned(),
                };
                let scope = if a.scope == "—" {
                    String::new()
                } else {
                    format!("; scope: {}", a.scope)
                };
                op["x-who"] = json!(format!("{who}{scope}"));
            }
            let takes_input = op["parameters"].as_array().is_some_and(|p| !p.is_empty())
                || op.get("requestBody").is_some();
            let Some(responses) = op["responses"].as_object_mut() else {
                continue;
            };
            // The answers a handler names itself keep their wording; their body is a problem.
            for (code, r) in responses.iter_mut() {
                if !code.starts_with('2') {
                    r["content"] = err["content"].clone();
                }
            }
            let mut add = |code: &str| {
                responses.entry(code).or_insert_with(|| err.clone());
            };
            if takes_input {
                add("400");
            }
            if !public {
                for code in ["401", "403", "429"] {
                    add(code);
                }
            }
            if path == "/api/v1/enterprises" {
                add("503");
            }
        }
    }
}

/// A field of a body or schema: name, type, description.
pub type DocField = (String, String, String);

/// One operation of the document, as the browsable page shows it.
pub struct DocOp {
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    /// name, where, required, type.
    pub params: Vec<(String, String, bool, String)>,
    /// The request body's fields.
    pub body: Vec<DocField>,
    /// code, description.
    pub responses: Vec<(String, String)>,
    pub public: bool,
}

#[derive(askama::Template, askama_web::WebTemplate)]
#[template(path = "api_docs.html")]
pub struct DocsPage {
    pub tr: crate::i18n::Tr,
    pub intro: String,
    pub ops: Vec<DocOp>,
    /// Schema name, its fields (name, type, description).
    pub schemas: Vec<(String, Vec<DocField>)>,
}

fn type_of(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    match schema.get("type") {
        Some(Value::String(t)) if t == "array" => {
            format!(
                "array of {}",
                type_of(schema.get("items").unwrap_or(&Value::Null))
            )
        }
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "object".into(),
    }
}

fn fields_of(schema: &Value) -> Vec<DocField> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .map(|(k, v)| {
                    let d = v
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    (k.clone(), type_of(v), d.to_owned())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A schema with its `$ref` followed into the document's components.
fn resolved<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => doc
            .pointer(r.trim_start_matches('#'))
            .unwrap_or(&Value::Null),
        None => schema,
    }
}

/// `GET /api-docs`: the OpenAPI document as a page — every operation with its parameters, body
/// and answers, and the schemas — served by the platform itself (no script, nothing from a CDN),
/// so it reads the same on a network without the internet.
pub async fn docs_page() -> DocsPage {
    let doc = document();
    let str_of = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let mut ops = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, op) in item {
                let params = op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .map(|ps| {
                        ps.iter()
                            .map(|p| {
                                (
                                    str_of(p, "name"),
                                    str_of(p, "in"),
                                    p.get("required").and_then(Value::as_bool).unwrap_or(false),
                                    type_of(p.get("schema").unwrap_or(&Value::Null)),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let body = op
                    .pointer("/requestBody/content/application~1json/schema")
                    .map(|s| fields_of(resolved(&doc, s)))
                    .unwrap_or_default();
                let mut responses: Vec<(String, String)> = op
                    .get("responses")
                    .and_then(Value::as_object)
                    .map(|rs| {
                        rs.iter()
                            .map(|(c, r)| {
                                let body = r
                                    .pointer("/content")
                                    .and_then(Value::as_object)
                                    .and_then(|c| c.values().next())
                                    .and_then(|m| m.get("schema"))
                                    .map(type_of)
                                    .unwrap_or_default();
                                let d = str_of(r, "description");
                                (
                                    c.clone(),
                                    if body.is_empty() {
                                        d
                                    } else {
                                        format!("{d} — {body}")
                                    },
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                responses.sort();
                ops.push(DocOp {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: str_of(op, "summary"),
                    description: [str_of(op, "description"), str_of(op, "x-who")]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" — "),
                    params,
                    body,
                    responses,
                    public: op
                        .get("security")
                        .and_then(Value::as_array)
                        .is_some_and(Vec::is_empty),
                });
            }
        }
    }
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|s| s.iter().map(|(k, v)| (k.clone(), fields_of(v))).collect())
        .unwrap_or_default();
    DocsPage {
        tr: crate::i18n::Tr,
        intro: str_of(doc.get("info").unwrap_or(&Value::Null), "description"),
        ops,
        schemas,
    }
}
