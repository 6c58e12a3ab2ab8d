//! The chain taxonomy the city bureau keeps: chains under the ecosystems, added, renamed and
//! retired (a retired chain keeps its history — tags and events — but takes no new ones).

use crate::enterprise::ECOSYSTEMS;

/// The longest chain name, in characters.
pub const NAME_MAX: usize = 50;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotYourSeat,
    /// The name is blank, too long, or has a comma or a semicolon (which separate chains in a
    /// template cell).
    BadName,
    UnknownEcosystem,
    /// Another chain has that name.
    Taken,
    /// No chain in force has that name.
    NoSuchChain,
}

/// A chain as the taxonomy holds it: its name and whether it is retired.
pub struct Known<'a> {
    pub name: &'a str,
    pub retired: bool,
}

fn name_ok(name: &str) -> Result<String, Refusal> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > NAME_MAX || n.contains([',', ';', '，', '；']) {
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
}
