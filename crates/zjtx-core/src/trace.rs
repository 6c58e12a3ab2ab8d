//! What an evaluation says: verdicts, rule ids, and the trace that explains each decision.
//! One trace type feeds the command line, the JSON output and (later) the web pages.

use std::fmt;

use serde::Serialize;

use crate::num::{Can, Dec4};

pub use crate::gap::{Gap, GapKind, Note};

/// `Verdict::and` by (self, other), in declaration order (Pass, Fail, Review): any Fail fails,
/// two Passes pass, anything else is Review. (`and`, `or` and `of` are read from tables: they run
/// some hundred times a firm, and a table has no branch to mispredict.)
const AND: [[Verdict; 3]; 3] = {
    use Verdict::{Fail as F, Pass as P, Review as R};
    [[P, F, R], [F, F, F], [R, F, R]]
};
/// `Verdict::or` likewise: any Pass passes, two Fails fail, anything else is Review.
const OR: [[Verdict; 3]; 3] = {
    use Verdict::{Fail as F, Pass as P, Review as R};
    [[P, P, P], [P, F, R], [P, R, R]]
};

/// A three-valued verdict (`tiers.md` §0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    Review,
}

impl Verdict {
    /// What a condition's possible outcomes over the blanks make of it.
    pub fn of(c: Can) -> Verdict {
        // By (can hold, can fail): neither or only fail → Fail, only hold → Pass, both → Review.
        const OF: [Verdict; 4] = [Verdict::Fail, Verdict::Fail, Verdict::Pass, Verdict::Review];
        OF[usize::from(c.hold) * 2 + usize::from(c.fail)]
    }
    pub fn and(self, o: Verdict) -> Verdict {
        AND[self as usize][o as usize]
    }
    pub fn or(self, o: Verdict) -> Verdict {
        OR[self as usize][o as usize]
    }
    pub const fn key(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Review => "review",
        }
    }
    /// The verdict a stored key names.
    pub fn from_key(k: &str) -> Option<Verdict> {
        [Verdict::Pass, Verdict::Fail, Verdict::Review]
            .into_iter()
            .find(|v| v.key() == k)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Size class under the 2011 table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Size {
    Large,
    Medium,
    Small,
    Micro,
    Unknown,
}

impl Size {
    pub const fn key(self) -> &'static str {
        match self {
            Size::Large => "large",
            Size::Medium => "medium",
            Size::Small => "small",
            Size::Micro => "micro",
            Size::Unknown => "unknown",
        }
    }
    /// The size class a stored key names.
    pub fn from_key(k: &str) -> Option<Size> {
        [
            Size::Large,
            Size::Medium,
            Size::Small,
            Size::Micro,
            Size::Unknown,
        ]
        .into_iter()
        .find(|s| s.key() == k)
    }
}

/// A rung of the ladder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Innovative,
    TechSme,
    Srdi,
    Giant,
}

impl Tier {
    pub const fn key(self) -> &'static str {
        match self {
            Tier::Innovative => "innovative",
            Tier::TechSme => "tech_sme",
            Tier::Srdi => "srdi",
            Tier::Giant => "giant",
        }
    }
}

/// The highest rung that passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TopTier {
    Giant,
    Srdi,
    Innovative,
    TechSme,
    None,
}

impl TopTier {
    pub const fn key(self) -> &'static str {
        match self {
            TopTier::Giant => "giant",
            TopTier::Srdi => "srdi",
            TopTier::Innovative => "innovative",
            TopTier::TechSme => "tech_sme",
            TopTier::None => "none",
        }
    }
    /// The top tier a stored key names.
    pub fn from_key(k: &str) -> Option<TopTier> {
        [
            TopTier::Giant,
            TopTier::Srdi,
            TopTier::Innovative,
            TopTier::TechSme,
            TopTier::None,
        ]
        .into_iter()
        .find(|t| t.key() == k)
    }
}

macro_rules! rule_ids {
    ($($var:ident = $s:literal),* $(,)?) => {
        /// Every rule id of `tiers.md`, declared in ascending order of its text so that a set of ids
        /// iterates sorted.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum RuleId { $($var),* }
        impl RuleId {
            pub const ALL: &'static [RuleId] = &[$(RuleId::$var),*];
            /// Each id's text, in the order of `ALL`.
            pub const NAMES: &'static [&'static str] = &[$($s),*];
            pub const fn as_str(self) -> &'static str { match self { $(RuleId::$var => $s),* } }
        }
    };
}

rule_ids! {
    Cx1 = "CX-1", Cx2 = "CX-2", Cx3 = "CX-3", Cx4 = "CX-4", Cx5 = "CX-5", Cx6 = "CX-6",
    CxD1 = "CX-D1", CxD2 = "CX-D2", CxD3 = "CX-D3", CxD4 = "CX-D4", CxScore = "CX-SCORE",
    GList = "G-LIST", GProd = "G-PROD", GSme = "G-SME", G22Inc = "G22-INC", G26Inc = "G26-INC",
    Kj1 = "KJ-1", Kj2 = "KJ-2", Kj2R = "KJ-2R", Kj3 = "KJ-3",
    KjD1 = "KJ-D1", KjD2 = "KJ-D2", KjD3 = "KJ-D3", KjD4 = "KJ-D4", KjScore = "KJ-SCORE",
    SizeClass = "SIZE",
    Xj22_1a = "XJ22-1a", Xj22_1b = "XJ22-1b", Xj22_1c = "XJ22-1c",
    Xj22_2a = "XJ22-2a", Xj22_2b = "XJ22-2b", Xj22_2c = "XJ22-2c",
    Xj22_3a = "XJ22-3a", Xj22_3b = "XJ22-3b",
    Xj22_4 = "XJ22-4", Xj22_4D1 = "XJ22-4D1", Xj22_4D2 = "XJ22-4D2",
    Xj22_4G1 = "XJ22-4G1", Xj22_4G2 = "XJ22-4G2", Xj22_4G3 = "XJ22-4G3",
    Xj22_5 = "XJ22-5", Xj22_6 = "XJ22-6", Xj22P = "XJ22-P",
    Xj26_1a = "XJ26-1a", Xj26_1b = "XJ26-1b",
    Xj26_2a = "XJ26-2a", Xj26_2b = "XJ26-2b", Xj26_2c = "XJ26-2c", Xj26_2d = "XJ26-2d",
    Xj26_3a = "XJ26-3a", Xj26_3b = "XJ26-3b", Xj26_3c = "XJ26-3c",
    Xj26_4 = "XJ26-4", Xj26_5 = "XJ26-5", Xj26_6 = "XJ26-6", Xj26_7 = "XJ26-7",
    Zx22_1 = "ZX22-1", Zx22_2a = "ZX22-2a", Zx22_2b = "ZX22-2b", Zx22_3 = "ZX22-3", Zx22_4 = "ZX22-4",
    Zx22D1 = "ZX22-D1", Zx22D2 = "ZX22-D2", Zx22D3 = "ZX22-D3", Zx22D4 = "ZX22-D4", Zx22P = "ZX22-P",
    Zx22S1 = "ZX22-S1", Zx22S10 = "ZX22-S10", Zx22S11 = "ZX22-S11", Zx22S12 = "ZX22-S12", Zx22S13 = "ZX22-S13",
    Zx22S2 = "ZX22-S2", Zx22S3 = "ZX22-S3", Zx22S4 = "ZX22-S4", Zx22S5 = "ZX22-S5", Zx22S6 = "ZX22-S6",
    Zx22S7 = "ZX22-S7", Zx22S8 = "ZX22-S8", Zx22S9 = "ZX22-S9", Zx22Score = "ZX22-SCORE",
    Zx26_1a = "ZX26-1a", Zx26_1b = "ZX26-1b", Zx26_2a = "ZX26-2a", Zx26_2b = "ZX26-2b", Zx26_2c = "ZX26-2c",
    Zx26_3a = "ZX26-3a", Zx26_3b = "ZX26-3b", Zx26_4 = "ZX26-4", Zx26_5 = "ZX26-5", Zx26_6 = "ZX26-6",
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A set of rule ids without allocation; iterates in ascending order of the ids' text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IdSet(u128);

impl IdSet {
    pub fn insert(&mut self, id: RuleId) {
        self.0 |= 1u128 << (id as u8);
    }
    pub fn contains(self, id: RuleId) -> bool {
        self.0 & (1u128 << (id as u8)) != 0
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The set as bits: bit `i` for the id `RuleId::ALL[i]`.
    pub fn bits(self) -> u128 {
        self.0
    }
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }
    /// The ids in ascending order of their text (bit order is declaration order, which is sorted).
    pub fn iter(self) -> impl Iterator<Item = RuleId> {
        let mut bits = self.0;
        std::iter::from_fn(move || {
            if bits == 0 {
                return None;
            }
            let i = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            RuleId::ALL.get(i).copied()
        })
    }
    /// The ids joined by `;`, as the output contract writes them.
    pub fn joined(self) -> String {
        let mut s = String::new();
        for id in self.iter() {
            if !s.is_empty() {
                s.push(';');
            }
            s.push_str(id.as_str());
        }
        s
    }
}

impl Serialize for IdSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// An input a rule read, as the template writes it (`None` where blank).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InputValue {
    pub key: &'static str,
    pub value: Option<String>,
}

/// One rule's part in an evaluation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceEntry {
    pub id: RuleId,
    pub tier: Option<Tier>,
    pub clause: String,
    pub inputs: Vec<InputValue>,
    /// The threshold or bands, as written in the rule file.
    pub threshold: String,
    /// For a condition: its verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// For a scored indicator: the lowest points possible given the known inputs…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<Dec4>,
    /// …the highest, which differs only where an input is blank…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points_max: Option<Dec4>,
    /// …and the indicator's full marks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_of: Option<Dec4>,
    /// The computed value the rule looked at (a ratio, a growth rate, years), for reading.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Remarks such as "denominator is 0" or which option of an indicator was used.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gap: Option<Gap>,
}

impl TraceEntry {
    /// The inputs that were blank.
    pub fn blanks(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.inputs
            .iter()
            .filter(|i| i.value.is_none())
            .map(|i| i.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_declared_in_the_order_of_their_text() {
        let names: Vec<&str> = RuleId::ALL.iter().map(|r| r.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        assert!(RuleId::ALL.len() <= 128, "IdSet holds at most 128 ids");
    }

    #[test]
    fn three_valued_logic_follows_kleene() {
        use Verdict::*;
        assert_eq!(Pass.and(Review), Review);
        assert_eq!(Fail.and(Review), Fail);
        assert_eq!(Pass.or(Review), Pass);
        assert_eq!(Fail.or(Review), Review);
        assert_eq!(Fail.or(Fail), Fail);
    }

    #[test]
    fn every_pair_of_verdicts_combines_as_kleenes_tables_say() {
        use Verdict::*;
        // (a, b, a and b, a or b), every pair.
        let table = [
            (Pass, Pass, Pass, Pass),
            (Pass, Review, Review, Pass),
            (Pass, Fail, Fail, Pass),
            (Review, Pass, Review, Pass),
            (Review, Review, Review, Review),
            (Review, Fail, Fail, Review),
            (Fail, Pass, Fail, Pass),
            (Fail, Review, Fail, Review),
            (Fail, Fail, Fail, Fail),
        ];
        for (a, b, and, or) in table {
            assert_eq!(a.and(b), and, "{a:?} and {b:?}");
            assert_eq!(a.or(b), or, "{a:?} or {b:?}");
        }
        // (can hold, can fail) → verdict.
        for (hold, fail, v) in [
            (true, false, Pass),
            (true, true, Review),
            (false, true, Fail),
            (false, false, Fail),
        ] {
            assert_eq!(
                Verdict::of(Can { hold, fail }),
                v,
                "hold {hold}, fail {fail}"
            );
        }
    }
}
