//! ZJTX core: the domain types of the platform and the tier evaluation engine.
//!
//! It parses (USCC, industry code, money, template rows), evaluates an enterprise against the national
//! tier criteria of a dated rule set, and explains every decision in a trace. It must never do I/O,
//! spawn tasks or know about HTTP, SQL or files: rule files reach it as text through a `RuleSource`,
//! rows as cells of text.
#![forbid(unsafe_code)]

pub mod draw;
pub mod engine;
pub mod enterprise;
pub mod finance;
pub mod gap;
pub mod glossary;
pub mod ids;
pub mod monitor;
pub mod num;
pub mod programme;
pub mod rules;
pub mod synth;
pub mod trace;
pub mod workflow;

pub use engine::{Evaluation, Route, Summary, evaluate, explain, rule_set_for};
pub use enterprise::Enterprise;
pub use rules::{RuleSet, RuleSource};
pub use trace::{Size, Tier, TopTier, Verdict};
