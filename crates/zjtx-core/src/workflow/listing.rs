//! The listing-reserve pipeline: the bureau (or a district office for its own firms) records the
//! stage a firm has reached on its way to a listing. A firm may move on by several stages at once
//! (a stage can be passed quickly); a step back happens (a filing withdrawn, tutoring paused) and
//! must say why; recording the stage it already has changes nothing (a double submit).

/// A stage of the pipeline, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// 培育: in the reserve, being groomed.
    Grooming,
    /// 股改: joint-stock reform.
    Shareholding,
    /// 辅导: tutoring by a sponsor.
    Tutoring,
    /// 申报: the filing accepted by an exchange.
    Filing,
    /// 过会: passed the listing committee.
    Board,
    /// 上市: listed.
    Ipo,
}

impl Stage {
    pub const ALL: &'static [Stage] = &[
        Stage::Grooming,
        Stage::Shareholding,
        Stage::Tutoring,
        Stage::Filing,
        Stage::Board,
        Stage::Ipo,
    ];
    /// The key the store keeps.
    pub fn key(self) -> &'static str {
        match self {
            Stage::Grooming => "grooming",
            Stage::Shareholding => "shareholding",
            Stage::Tutoring => "tutoring",
            Stage::Filing => "filing",
            Stage::Board => "board",
            Stage::Ipo => "ipo",
        }
    }
    pub fn from_key(k: &str) -> Option<Stage> {
        Stage::ALL.iter().copied().find(|s| s.key() == k)
    }
}

/// The longest note on a step, in characters.
pub const NOTE_MAX: usize = 500;

/// What recording a stage does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    /// Into the pipeline, or on by one or more stages.
    Forward,
    /// Back to an earlier stage (with its reason).
    Back,
    /// The stage it already has: nothing to record.
    Same,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A step back needs a note saying why.
    BackWithoutReason,
    /// The note is longer than [`NOTE_MAX`].
    NoteTooLong,
}

/// Records `next` for a firm at `current` (`None`: not in the pipeline yet).
pub fn step(current: Option<Stage>, next: Stage, note: &str) -> Result<Move, Refusal> {
    let note = note.trim();
    if note.chars().count() > NOTE_MAX {
        return Err(Refusal::NoteTooLong);
    }
    match current {
        Some(c) if c == next => Ok(Move::Same),
        Some(c) if next < c && note.is_empty() => Err(Refusal::BackWithoutReason),
        Some(c) if next < c => Ok(Move::Back),
        _ => Ok(Move::Forward),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Stage::*;

    #[test]
    fn stages_read_back_from_their_keys_in_order() {
        for (i, s) in Stage::ALL.iter().enumerate() {
            assert_eq!(Stage::from_key(s.key()), Some(*s));
            assert!(Stage::ALL[..i].iter().all(|p| p < s));
        }
        assert_eq!(Stage::from_key("listed"), None);
    }

    #[test]
    fn steps_as_a_table() {
        let long = "因".repeat(NOTE_MAX + 1);
        let exact = "因".repeat(NOTE_MAX);
        type Case<'a> = (
            &'a str,
            Option<Stage>,
            Stage,
            &'a str,
            Result<Move, Refusal>,
        );
        let cases: &[Case] = &[
            (
                "entering the pipeline",
                None,
                Grooming,
                "",
                Ok(Move::Forward),
            ),
            (
                "entering at a later stage",
                None,
                Filing,
                "",
                Ok(Move::Forward),
            ),
            (
                "one stage on",
                Some(Grooming),
                Shareholding,
                "",
                Ok(Move::Forward),
            ),
            (
                "several stages on",
                Some(Shareholding),
                Board,
                "",
                Ok(Move::Forward),
            ),
            (
                "the same stage again",
                Some(Tutoring),
                Tutoring,
                "",
                Ok(Move::Same),
            ),
            (
                "back without a reason",
                Some(Filing),
                Tutoring,
                "  ",
                Err(Refusal::BackWithoutReason),
            ),
            (
                "back with a reason",
                Some(Filing),
                Tutoring,
                "撤回申报",
                Ok(Move::Back),
            ),
            ("back from listed", Some(Ipo), Board, "退市", Ok(Move::Back)),
            (
                "a note of the longest length",
                Some(Grooming),
                Ipo,
                &exact,
                Ok(Move::Forward),
            ),
            (
                "a note too long",
                Some(Grooming),
                Ipo,
                &long,
                Err(Refusal::NoteTooLong),
            ),
        ];
        for (name, cur, next, note, want) in cases {
            assert_eq!(step(*cur, *next, note), *want, "{name}");
        }
    }
}
