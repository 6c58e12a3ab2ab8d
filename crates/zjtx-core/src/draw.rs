//! The random draw of experts for declarations (双随机): reproducible by anyone from the published
//! seed, with no random-number generator whose algorithm could change between versions.
//!
//! For each declaration, every expert who may review it gets a ticket,
//! `SHA-256("{seed}:{declaration id}:{expert id}")` (UTF-8, ids in decimal); the `k` experts with
//! the smallest tickets (compared as bytes, ties by id) review it. An expert may review a
//! declaration unless they have a conflict of interest with its enterprise (employment,
//! shareholding, relation). Where at least `k` unconflicted experts work in the declaration's
//! field, the draw is among them; otherwise among all unconflicted experts. So the result
//! depends only on the seed, the declarations, the pool and its conflicts, all of which are
//! published with it: `printf '%s' 'SEED:12:7' | sha256sum` recomputes one ticket.

use sha2::{Digest, Sha256};

/// An expert of the pool as the draw sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expert {
    pub id: i64,
    /// The fields they review (ecosystems, or any other label declarations carry).
    pub fields: Vec<String>,
    /// USCCs of enterprises they are conflicted with.
    pub conflicts: Vec<String>,
}

/// A declaration as the draw sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    pub id: i64,
    pub uscc: String,
    pub field: Option<String>,
}

/// The experts drawn for one declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    pub case: i64,
    /// In draw order (smallest ticket first).
    pub experts: Vec<i64>,
    /// Whether the pool had fewer than `k` unconflicted experts for it.
    pub short: bool,
    /// Whether the draw was restricted to experts of the declaration's field.
    pub by_field: bool,
}

/// The ticket of an expert for a declaration.
pub fn ticket(seed: &str, case: i64, expert: i64) -> [u8; 32] {
    Sha256::digest(format!("{seed}:{case}:{expert}").as_bytes()).into()
}

/// Hex of a ticket, as the published record shows it.
pub fn hex(t: &[u8; 32]) -> String {
    t.iter().map(|b| format!("{b:02x}")).collect()
}

/// Draws `k` experts for each case, in the order the cases are given.
pub fn draw(seed: &str, cases: &[Case], experts: &[Expert], k: usize) -> Vec<Assignment> {
    cases
        .iter()
        .map(|c| {
            let free: Vec<&Expert> = experts
                .iter()
                .filter(|e| !e.conflicts.contains(&c.uscc))
                .collect();
            let in_field: Vec<&Expert> = match &c.field {
                Some(f) => free
                    .iter()
                    .copied()
                    .filter(|e| e.fields.iter().any(|x| x == f))
                    .collect(),
                None => Vec::new(),
            };
            let by_field = in_field.len() >= k;
            let pool = if by_field { in_field } else { free };
            let mut ranked: Vec<([u8; 32], i64)> = pool
                .iter()
                .map(|e| (ticket(seed, c.id, e.id), e.id))
                .collect();
            ranked.sort_unstable();
            Assignment {
                case: c.id,
                short: ranked.len() < k,
                experts: ranked.into_iter().take(k).map(|(_, id)| id).collect(),
                by_field,
            }
        })
        .collect()
}

/// The published commitment to a seed: the hex SHA-256 of its text. Published before the draw,
/// it fixes the seed without revealing it; anyone checks the revealed seed against it.
pub fn commitment(seed: &str) -> String {
    hex(&Sha256::digest(seed.as_bytes()).into())
}

/// The draw's inputs with nothing that names a firm or a person's ties: each declaration's code
/// becomes `D{id}` and an expert's conflicts become the declarations of this round they are
/// excluded from. A firm declares once per batch, so the draw on these inputs is the same draw.
pub fn pseudonymise(cases: &[Case], experts: &[Expert]) -> (Vec<Case>, Vec<Expert>) {
    let label = |c: &Case| format!("D{}", c.id);
    let cases_out = cases
        .iter()
        .map(|c| Case {
            id: c.id,
            uscc: label(c),
            field: c.field.clone(),
        })
        .collect();
    let experts_out = experts
        .iter()
        .map(|e| Expert {
            id: e.id,
            fields: e.fields.clone(),
            conflicts: cases
                .iter()
                .filter(|c| e.conflicts.contains(&c.uscc))
                .map(label)
                .collect(),
        })
        .collect();
    (cases_out, experts_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(n: i64) -> Vec<Expert> {
        (1..=n)
            .map(|id| Expert {
                id,
                fields: vec![
                    if id % 2 == 0 {
                        "高端装备"
                    } else {
                        "生物医药"
                    }
                    .to_owned(),
                ],
                conflicts: Vec::new(),
            })
            .collect()
    }

    fn cases() -> Vec<Case> {
        (10..20)
            .map(|id| Case {
                id,
                uscc: format!("U{id}"),
                field: Some("高端装备".into()),
            })
            .collect()
    }

    #[test]
    fn a_ticket_is_the_sha256_of_the_published_text() {
        // The SHA-256 of the empty string is well known; of "abc" too (FIPS 180-2, B.1).
        assert_eq!(
            hex(&Sha256::digest(b"abc").into()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let t = ticket("2026-seed", 12, 7);
        assert_eq!(t, <[u8; 32]>::from(Sha256::digest(b"2026-seed:12:7")));
    }

    #[test]
    fn the_same_seed_gives_the_same_draw_and_another_seed_another() {
        let a = draw("seed-a", &cases(), &pool(20), 3);
        assert_eq!(a, draw("seed-a", &cases(), &pool(20), 3));
        assert_ne!(a, draw("seed-b", &cases(), &pool(20), 3));
        for x in &a {
            assert_eq!(x.experts.len(), 3);
            assert!(x.by_field && !x.short);
            // Field experts (even ids) only, all different.
            assert!(x.experts.iter().all(|e| e % 2 == 0), "{x:?}");
            let mut d = x.experts.clone();
            d.dedup();
            assert_eq!(d.len(), 3);
        }
    }

    #[test]
    fn conflicted_experts_are_never_drawn() {
        let mut experts = pool(8);
        // Experts 2 and 4 are conflicted with U10 (say, employed there, or shareholders).
        experts[1].conflicts.push("U10".into());
        experts[3].conflicts.push("U10".into());
        for seed in ["s1", "s2", "s3", "s4", "s5"] {
            let a = draw(seed, &cases(), &experts, 3);
            let u10 = &a[0];
            assert!(!u10.experts.contains(&2) && !u10.experts.contains(&4));
            // Only experts 6 and 8 remain in the field: the draw widens to the whole pool.
            assert!(!u10.by_field && u10.experts.len() == 3, "{u10:?}");
        }
    }

    #[test]
    fn a_pool_too_small_is_reported_short() {
        let a = draw("s", &cases()[..1], &pool(2), 3);
        assert_eq!(a[0].experts.len(), 2);
        assert!(a[0].short);
    }

    #[test]
    fn the_pseudonymous_inputs_give_the_same_draw_and_name_no_firm() {
        let mut experts = pool(8);
        experts[1].conflicts = vec!["U10".into(), "U99".into()];
        experts[3].conflicts.push("U12".into());
        let (c, e) = pseudonymise(&cases(), &experts);
        for seed in ["s1", "s2", "s3"] {
            assert_eq!(draw(seed, &cases(), &experts, 3), draw(seed, &c, &e, 3));
        }
        assert!(c.iter().all(|c| c.uscc == format!("D{}", c.id)));
        // A conflict outside the round is not published at all.
        assert_eq!(e[1].conflicts, ["D10"]);
        assert_eq!(e[3].conflicts, ["D12"]);
    }

    #[test]
    fn a_commitment_is_the_sha256_of_the_seed() {
        assert_eq!(
            commitment("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn the_order_of_the_pool_does_not_matter() {
        let mut reversed = pool(20);
        reversed.reverse();
        assert_eq!(
            draw("x", &cases(), &pool(20), 3),
            draw("x", &cases(), &reversed, 3)
        );
    }
}
