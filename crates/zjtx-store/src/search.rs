//! The index behind Chinese search (issue 15): every enterprise's name and main products cut into
//! grams kept in `enterprise_grams (gram, uscc)`, written by the import in its own transaction.
//!
//! Text is read as runs of letters and digits (a CJK character is a letter; ASCII is lowercased;
//! anything else separates runs); a name's legal form at its end (有限公司, 有限责任公司) is not
//! indexed — every name has it. A run gives each pair of neighbours (a bigram), a run of one
//! character that character; a name also gives a marker of its first pair, so that names starting
//! with a query are found without reading the others. A query's grams are the same cut of its own
//! runs: a run of two characters is found exactly by its pair; a longer run by all its pairs,
//! confirmed by a substring match on the candidates. A query of single characters only has no
//! pair to look up: it is a substring scan in code order, bounded as every search is (a page stops
//! as soon as it is full; a rare character reads further).
//!
//! Each row is ~27 bytes; characters on their own are not indexed, which keeps the index at about a
//! dozen rows per enterprise (a 100,000-row import writes ~1.2 million) — see PERFORMANCE.md.
//!
//! Grams are integers: a pair `first << 21 | second` (a character's code point is 21 bits); a
//! lone character its code point; a name's with `NAME` (1 << 43) set; a marker `1 << 42 | pair`.

/// The bit of a name-start marker.
const MARKER: i64 = 1 << 42;
/// The bit of a name's grams (a product's have none): the two are read apart, so that names rank
/// before products without reading every firm.
pub const NAME: i64 = 1 << 43;

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

/// The legal forms a name ends with, not indexed (longest first).
const LEGAL_FORMS: &[&str] = &["有限责任公司", "有限公司"];

/// A name without its legal form (unless that is all it is).
fn without_legal_form(name: &str) -> &str {
    let t = name.trim();
    LEGAL_FORMS
        .iter()
        .find_map(|f| t.strip_suffix(f).filter(|r| !r.trim().is_empty()))
        .unwrap_or(t)
}

/// A run's grams: its pairs, or its only character.
fn cut(run: &[char], out: &mut Vec<i64>) {
    match run {
        [] => {}
        [a] => out.push(uni(*a)),
        _ => out.extend(run.windows(2).map(|w| pair(w[0], w[1]))),
    }
}

/// The grams an enterprise is found by: of its name (with the marker of its start) and of its
/// main products, each once, sorted.
pub fn grams(name: &str, products: Option<&str>) -> Vec<i64> {
    let mut out = Vec::new();
    let name_runs = runs(without_legal_form(name));
    if let Some(h) = name_runs
        .first()
        .filter(|r| r.len() >= 2)
        .and_then(|r| head(r))
    {
        out.push(MARKER | h);
    }
    let mut named = Vec::new();
    for run in &name_runs {
        cut(run, &mut named);
    }
    out.extend(named.into_iter().map(|g| NAME | g));
    for run in &runs(products.unwrap_or_default()) {
        cut(run, &mut out);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// What a query asks of the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// Pairs every match holds (the first drives the search); empty when the query is single
    /// characters only.
    pub grams: Vec<i64>,
    /// Runs of one character or more than two: confirmed as substrings of the name or of the
    /// products (lowercased) — a character has no gram of its own when it stands in a longer run,
    /// and a long run's pairs may be found apart.
    pub confirm: Vec<String>,
    /// The first run, lowercased, as the name's possible start or content (for the ranking).
    pub first: String,
    /// The marker of a name starting with the first run, when it has two characters or more.
    pub marker: Option<i64>,
}

/// The index's reading of a query; `None` when it has no letter or digit.
pub fn query(q: &str) -> Option<Query> {
    let rs = runs(without_legal_form(q));
    let first: String = rs.first()?.iter().collect();
    let mut grams = Vec::new();
    let mut confirm = Vec::new();
    for run in &rs {
        if run.len() >= 2 {
            grams.extend(run.windows(2).map(|w| pair(w[0], w[1])));
        }
        if run.len() != 2 {
            confirm.push(run.iter().collect());
        }
    }
    grams.sort_unstable();
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
    fn an_enterprise_is_found_by_each_pair_once() {
        let g = grams("西湖光电", Some("光电传感器；西湖"));
        let want = |s: &str| {
            let c: Vec<char> = s.chars().collect();
            match c.as_slice() {
                [a] => uni(*a),
                [a, b] => pair(*a, *b),
                _ => panic!("{s}"),
            }
        };
        // The name's pairs apart from the products'.
        for s in ["西湖", "湖光", "光电"] {
            assert!(g.contains(&(NAME | want(s))), "{s}");
        }
        for s in ["光电", "电传", "传感", "感器", "西湖"] {
            assert!(g.contains(&want(s)), "{s}");
        }
        assert!(!g.contains(&want("湖光")) && !g.contains(&(NAME | want("传感"))));
        // Not across a separator, not across the name and the products; no lone character of a
        // longer run.
        for s in ["器西", "电光", "西", "光"] {
            assert!(
                !g.contains(&want(s)) && !g.contains(&(NAME | want(s))),
                "{s}"
            );
        }
        // The legal form is not indexed (unless it is the whole name); a lone character is.
        let h = grams("卓智光电有限公司", Some("泵；阀"));
        assert!(!h.contains(&(NAME | want("公司"))) && !h.contains(&(NAME | want("有限"))));
        assert!(h.contains(&want("泵")) && h.contains(&want("阀")));
        assert!(grams("有限公司", None).contains(&(NAME | want("公司"))));
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
        assert_eq!(
            (q.grams, q.marker, q.confirm),
            (vec![], None, vec!["光".to_owned()])
        );
        // Two runs: both must match; the pair looked up, the character confirmed.
        let q = query("光 AB").unwrap_or_else(|| panic!("a query"));
        assert_eq!(
            (q.grams, q.confirm),
            (vec![pair('a', 'b')], vec!["光".to_owned()])
        );
        assert_eq!(q.first, "光");
        // The legal form of a query is dropped as it is from names.
        assert_eq!(query("卓智光电有限公司"), query("卓智光电"));
        assert!(query("%%_ ").is_none());
        assert_eq!(like_escape("50%_a\\"), "50\\%\\_a\\\\");
    }
}
