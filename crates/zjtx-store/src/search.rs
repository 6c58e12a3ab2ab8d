//! The index behind Chinese search (issue 15): every enterprise's name and main products cut into
//! grams kept in `enterprise_grams (gram, uscc)`, written by the import in its own transaction.
//!
//! Text is read as runs of letters and digits (a CJK character is a letter; ASCII is lowercased;
//! anything else separates runs). A run gives each of its characters (a unigram) and each pair of
//! neighbours (a bigram); a name also gives a marker of its first pair (or its only character),
//! so that names starting with a query are found without reading the others. A query's grams are
//! the same cut of its own runs: a run of one or two characters is found exactly by its gram; a
//! longer run by all its pairs, confirmed by a substring match on the candidates.
//!
//! Grams are integers: a character's code point (21 bits); a pair `first << 21 | second`; a marker
//! `1 << 42 | pair-or-character`.

/// The bit of a name-start marker.
const MARKER: i64 = 1 << 42;

fn norm(c: char) -> char {
    c.to_ascii_lowercase()
}

/// The runs of a text, normalised.
pub fn runs(text: &str) -> Vec<Vec<char>> {
    let mut out = Vec::new();
    let mut run = Vec::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            run.push(norm(c));
        } else if !run.is_empty() {
            out.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

fn uni(c: char) -> i64 {
    i64::from(u32::from(c))
}

fn pair(a: char, b: char) -> i64 {
    (uni(a) << 21) | uni(b)
}

fn head(run: &[char]) -> Option<i64> {
    match run {
        [] => None,
        [a] => Some(uni(*a)),
        [a, b, ..] => Some(pair(*a, *b)),
    }
}

/// The grams an enterprise is found by: of its name (with the marker of its start) and of its
/// main products, each once, sorted.
pub fn grams(name: &str, products: Option<&str>) -> Vec<i64> {
    let mut out = Vec::new();
    let name_runs = runs(name);
    if let Some(h) = name_runs.first().and_then(|r| head(r)) {
        out.push(MARKER | h);
    }
    for run in name_runs
        .iter()
        .chain(runs(products.unwrap_or_default()).iter())
    {
        out.extend(run.iter().map(|c| uni(*c)));
        out.extend(run.windows(2).map(|w| pair(w[0], w[1])));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// What a query asks of the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// Grams every match holds (the first drives the search: the rarest kind, a pair, first).
    pub grams: Vec<i64>,
    /// Runs longer than two characters: confirmed as substrings of the name or of the products
    /// (lowercased), since their pairs may be found apart.
    pub confirm: Vec<String>,
    /// The first run, lowercased, as the name's possible start or content (for the ranking).
    pub first: String,
    /// The marker of a name starting with the first run, when it has two characters or more.
    pub marker: Option<i64>,
}

/// The index's reading of a query; `None` when it has no letter or digit.
pub fn query(q: &str) -> Option<Query> {
    let rs = runs(q);
    let first: String = rs.first()?.iter().collect();
    let mut grams = Vec::new();
    let mut confirm = Vec::new();
    for run in &rs {
        if run.len() == 1 {
            grams.push(uni(run[0]));
        } else {
            grams.extend(run.windows(2).map(|w| pair(w[0], w[1])));
        }
        if run.len() > 2 {
            confirm.push(run.iter().collect());
        }
    }
    // Pairs are rarer than characters: one of them drives.
    grams.sort_by_key(|g| (*g < (1 << 21), *g));
    grams.dedup();
    let marker = rs
        .first()
        .filter(|r| r.len() >= 2)
        .and_then(|r| head(r))
        .map(|h| MARKER | h);
    Some(Query {
        grams,
        confirm,
        first,
        marker,
    })
}

/// Escapes `%`, `_` and the escape character for a `LIKE … ESCAPE '\'` pattern.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_split_on_anything_but_letters_and_digits() {
        let r: Vec<String> = runs("杭州（西湖）Opto-电子 3D")
            .into_iter()
            .map(|r| r.into_iter().collect())
            .collect();
        assert_eq!(r, ["杭州", "西湖", "opto", "电子", "3d"]);
    }

    #[test]
    fn an_enterprise_is_found_by_each_character_and_pair_once() {
        let g = grams("西湖光电", Some("光电传感器；西湖"));
        let want = |s: &str| {
            let c: Vec<char> = s.chars().collect();
            match c.as_slice() {
                [a] => uni(*a),
                [a, b] => pair(*a, *b),
                _ => panic!("{s}"),
            }
        };
        for s in [
            "西", "湖", "光", "电", "传", "感", "器", "西湖", "湖光", "光电", "电传", "传感",
            "感器",
        ] {
            assert!(g.contains(&want(s)), "{s}");
        }
        // Not across a separator, not across the name and the products.
        for s in ["器西", "电光"] {
            assert!(!g.contains(&want(s)), "{s}");
        }
        assert!(g.contains(&(MARKER | want("西湖"))));
        assert!(!g.contains(&(MARKER | want("光电"))));
        let mut sorted = g.clone();
        sorted.dedup();
        assert_eq!(sorted.len(), g.len(), "each once");
    }

    #[test]
    fn queries_as_the_index_reads_them() {
        let q = query("西湖").unwrap_or_else(|| panic!("a query"));
        assert_eq!(q.grams, vec![pair('西', '湖')]);
        assert!(q.confirm.is_empty());
        assert_eq!(q.marker, Some(MARKER | pair('西', '湖')));
        let q = query("伺服电机").unwrap_or_else(|| panic!("a query"));
        assert_eq!(q.grams.len(), 3);
        assert_eq!(q.confirm, ["伺服电机"]);
        let q = query("光").unwrap_or_else(|| panic!("a query"));
        assert_eq!((q.grams, q.marker), (vec![uni('光')], None));
        // Two runs: both must match; a character and a pair — the pair drives.
        let q = query("光 AB").unwrap_or_else(|| panic!("a query"));
        assert_eq!(q.grams, vec![pair('a', 'b'), uni('光')]);
        assert_eq!(q.first, "光");
        assert!(query("%%_ ").is_none());
        assert_eq!(like_escape("50%_a\\"), "50\\%\\_a\\\\");
    }
}
