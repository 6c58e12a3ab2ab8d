//! The chain taxonomy the city bureau keeps: chains under the ecosystems and segments (细分赛道)
//! under the chains, added, renamed and retired (a retired chain or segment keeps its history —
//! tags and events — but takes no new ones); and the segments a firm may carry.

use crate::enterprise::ECOSYSTEMS;

/// The longest chain name, in characters.
pub const NAME_MAX: usize = 50;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotYourSeat,
    /// The name is blank, too long, or has a comma or a semicolon (which separate chains in a
    /// template cell) or a bar (which joins a chain and its segment in a form's value).
    BadName,
    UnknownEcosystem,
    /// Another chain has that name.
    Taken,
    /// No chain in force has that name.
    NoSuchChain,
    /// No segment in force of the chain has that name.
    NoSuchSegment,
    /// A firm carries a segment only of a chain it carries, and a retired one only if it had it.
    SegmentNotOpen(String, String),
}

/// A chain as the taxonomy holds it: its name and whether it is retired.
pub struct Known<'a> {
    pub name: &'a str,
    pub retired: bool,
}

fn name_ok(name: &str) -> Result<String, Refusal> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > NAME_MAX || n.contains([',', ';', '，', '；', '|']) {
        return Err(Refusal::BadName);
    }
    Ok(n.to_owned())
}

/// Adds a chain to an ecosystem; its name is new (a retired chain's name stays taken).
pub fn add(
    city: bool,
    known: &[Known<'_>],
    ecosystem: &str,
    name: &str,
) -> Result<String, Refusal> {
    if !city {
        return Err(Refusal::NotYourSeat);
    }
    if !ECOSYSTEMS.contains(&ecosystem.trim()) {
        return Err(Refusal::UnknownEcosystem);
    }
    let n = name_ok(name)?;
    if known.iter().any(|k| k.name == n) {
        return Err(Refusal::Taken);
    }
    Ok(n)
}

/// Renames a chain in force; its tags and events follow.
pub fn rename(city: bool, known: &[Known<'_>], from: &str, to: &str) -> Result<String, Refusal> {
    if !city {
        return Err(Refusal::NotYourSeat);
    }
    if !known.iter().any(|k| k.name == from.trim() && !k.retired) {
        return Err(Refusal::NoSuchChain);
    }
    let n = name_ok(to)?;
    if known.iter().any(|k| k.name == n) {
        return Err(Refusal::Taken);
    }
    Ok(n)
}

/// Retires a chain in force.
pub fn retire(city: bool, known: &[Known<'_>], name: &str) -> Result<(), Refusal> {
    if !city {
        return Err(Refusal::NotYourSeat);
    }
    if !known.iter().any(|k| k.name == name.trim() && !k.retired) {
        return Err(Refusal::NoSuchChain);
    }
    Ok(())
}

/// Adds a segment to a chain in force (`chains`); its name is new within the chain
/// (`segments`: the chain's own, retired ones included).
pub fn add_segment(
    city: bool,
    chains: &[Known<'_>],
    segments: &[Known<'_>],
    chain: &str,
    name: &str,
) -> Result<String, Refusal> {
    if !city {
        return Err(Refusal::NotYourSeat);
    }
    if !chains.iter().any(|k| k.name == chain.trim() && !k.retired) {
        return Err(Refusal::NoSuchChain);
    }
    let n = name_ok(name)?;
    if segments.iter().any(|k| k.name == n) {
        return Err(Refusal::Taken);
    }
    Ok(n)
}

/// Renames a segment in force of a chain (`segments`: the chain's own); its tags follow.
pub fn rename_segment(
    city: bool,
    segments: &[Known<'_>],
    from: &str,
    to: &str,
) -> Result<String, Refusal> {
    if !city {
        return Err(Refusal::NotYourSeat);
    }
    if !segments.iter().any(|k| k.name == from.trim() && !k.retired) {
        return Err(Refusal::NoSuchSegment);
    }
    let n = name_ok(to)?;
    if segments.iter().any(|k| k.name == n) {
        return Err(Refusal::Taken);
    }
    Ok(n)
}

/// Retires a segment in force of a chain.
pub fn retire_segment(city: bool, segments: &[Known<'_>], name: &str) -> Result<(), Refusal> {
    if !city {
        return Err(Refusal::NotYourSeat);
    }
    if !segments.iter().any(|k| k.name == name.trim() && !k.retired) {
        return Err(Refusal::NoSuchSegment);
    }
    Ok(())
}

/// A segment of a chain: (chain, segment).
pub type SegmentKey = (String, String);

/// The segments a firm will carry: each of a chain the firm carries (`chains`), and in force
/// (`open`) or one the firm already had (`held`). Sorted, without repeats.
pub fn tag_segments(
    chains: &[String],
    open: &[SegmentKey],
    held: &[SegmentKey],
    wanted: &[SegmentKey],
) -> Result<Vec<SegmentKey>, Refusal> {
    let mut out: Vec<SegmentKey> = Vec::with_capacity(wanted.len());
    for w in wanted {
        if !chains.contains(&w.0) || !(open.contains(w) || held.contains(w)) {
            return Err(Refusal::SegmentNotOpen(w.0.clone(), w.1.clone()));
        }
        out.push(w.clone());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[Known<'static>] = &[
        Known {
            name: "集成电路",
            retired: false,
        },
        Known {
            name: "造纸",
            retired: true,
        },
    ];

    #[test]
    fn the_taxonomy_steps_as_a_table() {
        assert_eq!(
            add(true, KNOWN, "智能物联", " 人工智能芯片 "),
            Ok("人工智能芯片".into())
        );
        assert_eq!(
            add(true, KNOWN, "智能物联", "集成电路"),
            Err(Refusal::Taken)
        );
        assert_eq!(
            add(true, KNOWN, "新材料", "造纸"),
            Err(Refusal::Taken),
            "a retired name stays taken"
        );
        assert_eq!(
            add(true, KNOWN, "海洋经济", "船舶"),
            Err(Refusal::UnknownEcosystem)
        );
        assert_eq!(
            add(true, KNOWN, "智能物联", "芯片,设计"),
            Err(Refusal::BadName)
        );
        assert_eq!(add(true, KNOWN, "智能物联", ""), Err(Refusal::BadName));
        assert_eq!(
            add(true, KNOWN, "智能物联", &"链".repeat(NAME_MAX + 1)),
            Err(Refusal::BadName)
        );
        assert_eq!(
            add(false, KNOWN, "智能物联", "芯片"),
            Err(Refusal::NotYourSeat)
        );
        assert_eq!(
            rename(true, KNOWN, "集成电路", "集成电路设计"),
            Ok("集成电路设计".into())
        );
        assert_eq!(
            rename(true, KNOWN, "造纸", "纸业"),
            Err(Refusal::NoSuchChain),
            "a retired chain is not renamed"
        );
        assert_eq!(rename(true, KNOWN, "集成电路", "造纸"), Err(Refusal::Taken));
        assert_eq!(
            rename(false, KNOWN, "集成电路", "x"),
            Err(Refusal::NotYourSeat)
        );
        assert_eq!(retire(true, KNOWN, "集成电路"), Ok(()));
        assert_eq!(retire(true, KNOWN, "造纸"), Err(Refusal::NoSuchChain));
        assert_eq!(retire(false, KNOWN, "集成电路"), Err(Refusal::NotYourSeat));
    }

    #[test]
    fn segments_as_a_table() {
        let segs: &[Known<'static>] = &[
            Known {
                name: "封装测试",
                retired: false,
            },
            Known {
                name: "分立器件",
                retired: true,
            },
        ];
        assert_eq!(
            add_segment(true, KNOWN, segs, "集成电路", " 芯片设计 "),
            Ok("芯片设计".into())
        );
        assert_eq!(
            add_segment(true, KNOWN, segs, "集成电路", "分立器件"),
            Err(Refusal::Taken),
            "a retired segment's name stays taken"
        );
        assert_eq!(
            add_segment(true, KNOWN, segs, "造纸", "纸浆"),
            Err(Refusal::NoSuchChain),
            "no segment under a retired chain"
        );
        assert_eq!(
            add_segment(true, KNOWN, segs, "集成电路", "a;b"),
            Err(Refusal::BadName)
        );
        assert_eq!(
            add_segment(false, KNOWN, segs, "集成电路", "芯片设计"),
            Err(Refusal::NotYourSeat)
        );
        assert_eq!(
            rename_segment(true, segs, "封装测试", "先进封装"),
            Ok("先进封装".into())
        );
        assert_eq!(
            rename_segment(true, segs, "分立器件", "功率器件"),
            Err(Refusal::NoSuchSegment)
        );
        assert_eq!(
            rename_segment(true, segs, "封装测试", "分立器件"),
            Err(Refusal::Taken)
        );
        assert_eq!(retire_segment(true, segs, "封装测试"), Ok(()));
        assert_eq!(
            retire_segment(true, segs, "分立器件"),
            Err(Refusal::NoSuchSegment)
        );
        assert_eq!(
            retire_segment(false, segs, "封装测试"),
            Err(Refusal::NotYourSeat)
        );

        let k = |c: &str, s: &str| (c.to_owned(), s.to_owned());
        let chains = vec!["集成电路".to_owned()];
        let open = vec![k("集成电路", "封装测试"), k("机器人", "减速器")];
        let held = vec![k("集成电路", "分立器件")];
        assert_eq!(
            tag_segments(
                &chains,
                &open,
                &held,
                &[
                    k("集成电路", "封装测试"),
                    k("集成电路", "分立器件"),
                    k("集成电路", "封装测试")
                ]
            ),
            Ok(vec![k("集成电路", "分立器件"), k("集成电路", "封装测试")]),
            "a retired segment it had is kept; repeats collapse"
        );
        assert_eq!(
            tag_segments(&chains, &open, &[], &[k("集成电路", "分立器件")]),
            Err(Refusal::SegmentNotOpen(
                "集成电路".into(),
                "分立器件".into()
            )),
            "no new tag of a retired segment"
        );
        assert_eq!(
            tag_segments(&chains, &open, &held, &[k("机器人", "减速器")]),
            Err(Refusal::SegmentNotOpen("机器人".into(), "减速器".into())),
            "only segments of the firm's own chains"
        );
        assert_eq!(tag_segments(&chains, &open, &held, &[]), Ok(vec![]));
    }
}
