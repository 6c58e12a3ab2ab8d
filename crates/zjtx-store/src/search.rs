//! Chinese search (issue 15): an index of every enterprise's name and main products that each
//! instance keeps in memory, kept current from the store (`Store::search_index`).
//!
//! Text is read as runs of letters and digits (a CJK character is a letter; ASCII is lowercased;
//! anything else separates runs); a name's legal form at its end (有限公司, 有限责任公司) is not
//! searched — every name has it. The index holds, per pair of neighbouring characters of a run (a
//! bigram), the enterprises whose name holds it, those whose products hold it, and those whose
//! name's first run starts with it. A query is cut the same way: every run of the query must be
//! found in the name or in the products (whole: a run is confirmed on the text, so a long run's
//! pairs found apart do not match); a run of two characters is its pair exactly. A query of single
//! characters only has no pair: it reads every enterprise's text.
//!
//! Ranked: names starting with the query's first run (rank 0), then names holding every run
//! (rank 1), then the others (rank 2, found by their products); within a rank in code order.
//! Counts are exact.
//!
//! An enterprise's entry is replaced whole when it changes (the old one marked dead, its postings
//! dropped when the index is compacted); postings are in entry order, which only grows, so that
//! adding appends.

use std::collections::{BinaryHeap, HashMap};

/// The bit of a name-start marker.
const MARKER: i64 = 1 << 42;
/// The bit of a name's pairs (a product's have none).
const NAME: i64 = 1 << 43;

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

/// The legal forms a name ends with, not searched (longest first).
const LEGAL_FORMS: &[&str] = &["有限责任公司", "有限公司"];

/// A name without its legal form (unless that is all it is).
fn without_legal_form(name: &str) -> &str {
    let t = name.trim();
    LEGAL_FORMS
        .iter()
        .find_map(|f| t.strip_suffix(f).filter(|r| !r.trim().is_empty()))
        .unwrap_or(t)
}

/// A text as searched: its runs, separated by a space (so that no run is found across two).
fn searched(runs: &[Vec<char>]) -> String {
    let mut out = String::new();
    for (i, r) in runs.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.extend(r.iter());
    }
    out
}

/// The keys an enterprise is found by: its name's pairs, the marker of its name's first pair and
/// its products' pairs, each once, sorted.
fn keys(name: &[Vec<char>], products: &[Vec<char>]) -> Vec<i64> {
    let mut out = Vec::new();
    if let Some([a, b, ..]) = name.first().map(Vec::as_slice) {
        out.push(MARKER | pair(*a, *b));
    }
    for r in name {
        out.extend(r.windows(2).map(|w| NAME | pair(w[0], w[1])));
    }
    for r in products {
        out.extend(r.windows(2).map(|w| pair(w[0], w[1])));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// What a query asks of the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// Every run, lowercased: each must be found in the name or in the products.
    pub runs: Vec<String>,
    /// The pairs of the runs of two characters or more (sorted, each once); empty when the query
    /// is single characters only.
    pub pairs: Vec<i64>,
}

impl Query {
    fn first(&self) -> &str {
        self.runs.first().map(String::as_str).unwrap_or_default()
    }
}

/// The index's reading of a query; `None` when it has no letter or digit.
pub fn query(q: &str) -> Option<Query> {
    let rs = runs(without_legal_form(q));
    rs.first()?;
    let mut pairs: Vec<i64> = rs
        .iter()
        .flat_map(|r| r.windows(2).map(|w| pair(w[0], w[1])))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    Some(Query {
        runs: rs.iter().map(|r| r.iter().collect()).collect(),
        pairs,
    })
}

/// What the index keeps of an enterprise (besides `Index::meta`).
struct Doc {
    code: [u8; 18],
    /// The searched name and products: ranges of `Index::text`.
    name: (u32, u32),
    products: (u32, u32),
}

/// A position in a search's order as integers (a rank, then the code's bytes in order), so that
/// comparing two is a few instructions.
type Ord3 = (u8, u128, u16);

fn ord(rank: u8, code: &[u8; 18]) -> Ord3 {
    let mut hi = [0u8; 16];
    hi.copy_from_slice(&code[..16]);
    (
        rank,
        u128::from_be_bytes(hi),
        u16::from_be_bytes([code[16], code[17]]),
    )
}

fn unord(o: Ord3) -> Key {
    let mut code = [0u8; 18];
    code[..16].copy_from_slice(&o.1.to_be_bytes());
    code[16..].copy_from_slice(&o.2.to_be_bytes());
    Key {
        rank: o.0,
        code: String::from_utf8_lossy(&code).into_owned(),
    }
}

/// A key read as integers; a code that is not 18 bytes orders as its first 18 (padded).
fn ord_of(k: &Key) -> Ord3 {
    let mut code = [0u8; 18];
    for (c, b) in code.iter_mut().zip(k.code.bytes()) {
        *c = b;
    }
    ord(k.rank, &code)
}

/// `Index::meta` of an entry: alive (bit 63) and the value of each of `ATTRS` (12 bits each).
const ALIVE: u64 = 1 << 63;

fn attr(meta: u64, i: usize) -> usize {
    ((meta >> (12 * i)) & 0xfff) as usize
}

/// An enterprise as the index reads it from the store.
pub struct Entry<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub products: Option<&'a str>,
    /// The district, tier, size and ecosystem (`ATTRS`): what a search can be narrowed by here.
    pub attrs: [Option<&'a str>; 4],
}

/// The columns of the register an entry keeps (`Entry::attrs`, `Within::attrs`).
pub const ATTRS: [&str; 4] = ["region_code", "top_tier", "size", "ecosystem"];

/// A position in a search's order: a rank, then a code.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub rank: u8,
    pub code: String,
}

impl Key {
    /// The cursor of a page link (`rank:code`).
    pub fn cursor(&self) -> String {
        format!("{}:{}", self.rank, self.code)
    }

    /// A cursor read back; `None` when it is not one.
    pub fn parse(s: &str) -> Option<Key> {
        let (r, c) = s.split_once(':')?;
        Some(Key {
            rank: r.parse().ok()?,
            code: c.to_owned(),
        })
    }
}

/// Where a search looks: for each of `ATTRS` the values allowed (`None`: any; a district
/// search and a scope both narrow the districts), and one enterprise (`None`: any).
#[derive(Clone, Debug, Default)]
pub struct Within {
    pub attrs: [Option<Vec<String>>; 4],
    pub code: Option<String>,
}

/// Which part of a search's order is wanted.
#[derive(Clone, Debug)]
pub enum Want {
    /// The first `n` keys after the cursor (from the start without one).
    After(Option<Key>, usize),
    /// The last `n` keys before the cursor.
    Before(Key, usize),
    /// Every key after the cursor, in order (for a search combined with filters the database
    /// decides).
    AllAfter(Option<Key>),
}

/// A search's answer: how many enterprises match (exactly) and the keys wanted, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Found {
    pub total: usize,
    pub keys: Vec<Key>,
}

/// The index (see the module's documentation).
#[derive(Default)]
pub struct Index {
    docs: Vec<Doc>,
    /// Per entry, what a search filters by, packed (`ALIVE`, `attr`): read for every candidate,
    /// so kept apart from the rest, eight bytes each.
    meta: Vec<u64>,
    text: String,
    by_code: HashMap<[u8; 18], u32>,
    postings: HashMap<i64, Vec<u32>>,
    /// The values of each of `ATTRS` met so far (a value's index is its position + 1).
    values: [Vec<String>; 4],
    dead: usize,
}

fn code_bytes(code: &str) -> Option<[u8; 18]> {
    code.as_bytes().try_into().ok()
}

impl Index {
    /// How many enterprises it holds.
    pub fn len(&self) -> usize {
        self.docs.len() - self.dead
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds an enterprise, or replaces what it held of one already there.
    pub fn upsert(&mut self, e: &Entry<'_>) {
        let name = runs(without_legal_form(e.name));
        let products = runs(e.products.unwrap_or_default());
        self.put(e.code, e.attrs, &name, &products);
    }

    /// `upsert` of an enterprise's runs.
    fn put(
        &mut self,
        code: &str,
        attrs: [Option<&str>; 4],
        name: &[Vec<char>],
        products: &[Vec<char>],
    ) {
        let Some(code) = code_bytes(code) else {
            return;
        };
        if let Some(old) = self.by_code.get(&code).copied()
            && let Some(m) = self.meta.get_mut(old as usize)
            && *m & ALIVE != 0
        {
            *m &= !ALIVE;
            self.dead += 1;
        }
        let mut meta = ALIVE;
        for (i, v) in attrs.iter().enumerate() {
            let Some(v) = v.filter(|v| !v.is_empty()) else {
                continue;
            };
            let values = &mut self.values[i];
            let k = match values.iter().position(|x| x == v) {
                Some(k) => k + 1,
                None => {
                    values.push(v.to_owned());
                    values.len()
                }
            };
            meta |= (k.min(0xfff) as u64) << (12 * i);
        }
        let id = u32::try_from(self.docs.len()).unwrap_or(u32::MAX);
        let mut text = |s: String| {
            let from = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
            self.text.push_str(&s);
            (from, u32::try_from(self.text.len()).unwrap_or(u32::MAX))
        };
        let (n, p) = (text(searched(name)), text(searched(products)));
        self.docs.push(Doc {
            code,
            name: n,
            products: p,
        });
        self.meta.push(meta);
        self.by_code.insert(code, id);
        for k in keys(name, products) {
            self.postings.entry(k).or_default().push(id);
        }
        if self.dead > 1000 && self.dead * 2 > self.docs.len() {
            self.compact();
        }
    }

    /// Rebuilds the index from its live entries, dropping the dead.
    fn compact(&mut self) {
        let old = std::mem::take(self);
        let split = |t: &str| -> Vec<Vec<char>> {
            t.split(' ')
                .filter(|r| !r.is_empty())
                .map(|r| r.chars().collect())
                .collect()
        };
        for (d, m) in old
            .docs
            .iter()
            .zip(&old.meta)
            .filter(|(_, m)| **m & ALIVE != 0)
        {
            let mut attrs = [None; 4];
            for (i, a) in attrs.iter_mut().enumerate() {
                let k = attr(*m, i);
                *a = (k > 0).then(|| old.values[i][k - 1].as_str());
            }
            let code = std::str::from_utf8(&d.code).unwrap_or_default();
            // The texts are kept as searched: their runs are read back as they were written.
            let name = split(old.name_of(d));
            let products = split(old.products_of(d));
            self.put(code, attrs, &name, &products);
        }
    }

    fn name_of(&self, d: &Doc) -> &str {
        &self.text[d.name.0 as usize..d.name.1 as usize]
    }

    fn products_of(&self, d: &Doc) -> &str {
        &self.text[d.products.0 as usize..d.products.1 as usize]
    }

    fn posting(&self, k: i64) -> &[u32] {
        self.postings.get(&k).map(Vec::as_slice).unwrap_or_default()
    }

    /// The rank of an entry for a query, when it matches (see the module's documentation).
    fn rank(&self, d: &Doc, q: &Compiled) -> Option<u8> {
        let name = self.name_of(d).as_bytes();
        let products = self.products_of(d).as_bytes();
        let mut in_name = true;
        for f in &q.runs {
            if f.find(name).is_some() {
                continue;
            }
            f.find(products)?;
            in_name = false;
        }
        Some(if name.starts_with(q.first) {
            0
        } else if in_name {
            1
        } else {
            2
        })
    }

    /// About how many entries a search of `q` reads: the lists of its rarest pair, or every
    /// entry for a query of single characters.
    pub fn cost(&self, q: &Query) -> usize {
        q.pairs
            .iter()
            .map(|g| self.posting(NAME | g).len() + self.posting(*g).len())
            .min()
            .unwrap_or(self.docs.len())
    }

    /// Searches (see the module's documentation).
    pub fn search(&self, q: &Query, within: &Within, want: &Want) -> Found {
        // For each attribute narrowed, which of its values are allowed (by index).
        let allowed: Vec<(usize, Vec<bool>)> = within
            .attrs
            .iter()
            .enumerate()
            .filter_map(|(i, vs)| {
                let vs = vs.as_ref()?;
                let mask = std::iter::once(false)
                    .chain(self.values[i].iter().map(|v| vs.contains(v)))
                    .collect();
                Some((i, mask))
            })
            .collect();
        let only = within.code.as_deref().and_then(code_bytes);
        let ok = |id: u32| {
            let m = self.meta[id as usize];
            m & ALIVE != 0
                && allowed
                    .iter()
                    .all(|(i, mask)| mask.get(attr(m, *i)).copied().unwrap_or(false))
                && only.is_none_or(|c| c == self.docs[id as usize].code)
        };
        let q = &Compiled::of(q);
        let mut pick = Picker::new(want);
        let mut total = 0;
        let mut each = |id: u32, rank: u8, pick: &mut Picker| {
            total += 1;
            pick.offer(rank, || &self.docs[id as usize].code);
        };
        match q.pairs {
            // Single characters only: every entry's text.
            [] => {
                for (id, d) in self.docs.iter().enumerate() {
                    let id = id as u32;
                    if ok(id)
                        && let Some(rank) = self.rank(d, q)
                    {
                        each(id, rank, &mut pick);
                    }
                }
            }
            // One run of two characters (most queries): the pair's lists say everything — its
            // name-start markers rank 0, its names rank 1, its products the rest.
            [g] if q.one_pair => {
                let marker = self.posting(MARKER | g);
                let (mut m, mut n, mut p) = (0, 0, 0);
                let names = self.posting(NAME | g);
                let products = self.posting(*g);
                while n < names.len() || p < products.len() {
                    let next_n = names.get(n).copied().unwrap_or(u32::MAX);
                    let next_p = products.get(p).copied().unwrap_or(u32::MAX);
                    let id = next_n.min(next_p);
                    let in_name = next_n == id;
                    n += usize::from(in_name);
                    p += usize::from(next_p == id);
                    while marker.get(m).is_some_and(|x| *x < id) {
                        m += 1;
                    }
                    if !ok(id) {
                        continue;
                    }
                    let rank = if marker.get(m) == Some(&id) {
                        0
                    } else if in_name {
                        1
                    } else {
                        2
                    };
                    each(id, rank, &mut pick);
                }
            }
            // Otherwise the entries holding the rarest pair, each confirmed on its text.
            pairs => {
                let size = |g: &i64| self.posting(NAME | g).len() + self.posting(*g).len();
                let g = pairs.iter().min_by_key(|g| size(g)).copied().unwrap_or(0);
                let (names, products) = (self.posting(NAME | g), self.posting(g));
                let (mut n, mut p) = (0, 0);
                while n < names.len() || p < products.len() {
                    let next_n = names.get(n).copied().unwrap_or(u32::MAX);
                    let next_p = products.get(p).copied().unwrap_or(u32::MAX);
                    let id = next_n.min(next_p);
                    n += usize::from(next_n == id);
                    p += usize::from(next_p == id);
                    if ok(id)
                        && let Some(rank) = self.rank(&self.docs[id as usize], q)
                    {
                        each(id, rank, &mut pick);
                    }
                }
            }
        }
        Found {
            total,
            keys: pick.finish(),
        }
    }
}

/// A query ready to confirm texts with: a searcher for each run (SIMD substring search).
struct Compiled<'q> {
    runs: Vec<memchr::memmem::Finder<'q>>,
    /// The first run's bytes (a name starting with it ranks first).
    first: &'q [u8],
    /// The query's pairs.
    pairs: &'q [i64],
    /// The query is one run of two characters: its pair alone decides.
    one_pair: bool,
}

impl<'q> Compiled<'q> {
    fn of(q: &'q Query) -> Compiled<'q> {
        Compiled {
            runs: q
                .runs
                .iter()
                .map(|r| memchr::memmem::Finder::new(r.as_bytes()))
                .collect(),
            first: q.first().as_bytes(),
            pairs: &q.pairs,
            one_pair: q.runs.len() == 1 && q.runs[0].chars().count() == 2,
        }
    }
}

/// Keeps the keys a search wants while it reads its matches (in no particular order).
struct Picker {
    want: Want,
    /// The `n` least keys after the cursor (a max-heap: the greatest is dropped), or the `n`
    /// greatest before it (a min-heap, reversed), or every key after it.
    heap: BinaryHeap<Ord3>,
    low: BinaryHeap<std::cmp::Reverse<Ord3>>,
    all: Vec<Ord3>,
    at: Option<Ord3>,
    /// While the heap is full, the rank of its worst key: a match of a worse rank is turned
    /// away without reading its code.
    worst: Option<u8>,
}

impl Picker {
    fn new(want: &Want) -> Picker {
        let at = match want {
            Want::After(k, _) | Want::AllAfter(k) => k.as_ref().map(ord_of),
            Want::Before(k, _) => Some(ord_of(k)),
        };
        Picker {
            want: want.clone(),
            heap: BinaryHeap::new(),
            low: BinaryHeap::new(),
            all: Vec::new(),
            at,
            worst: None,
        }
    }

    fn offer<'c>(&mut self, rank: u8, code: impl FnOnce() -> &'c [u8; 18]) {
        match self.want {
            Want::After(_, n) => {
                if self.worst.is_some_and(|w| rank > w) || self.at.is_some_and(|a| rank < a.0) {
                    return;
                }
                let k = ord(rank, code());
                if self.at.is_some_and(|a| k <= a) {
                    return;
                }
                if self.heap.len() < n {
                    self.heap.push(k);
                } else if self.heap.peek().is_some_and(|top| k < *top) {
                    self.heap.pop();
                    self.heap.push(k);
                }
                if self.heap.len() == n {
                    self.worst = self.heap.peek().map(|t| t.0);
                }
            }
            Want::Before(_, n) => {
                if self.at.is_some_and(|a| rank > a.0) {
                    return;
                }
                let k = ord(rank, code());
                if self.at.is_none_or(|a| k >= a) {
                    return;
                }
                if self.low.len() < n {
                    self.low.push(std::cmp::Reverse(k));
                } else if self
                    .low
                    .peek()
                    .is_some_and(|std::cmp::Reverse(top)| k > *top)
                {
                    self.low.pop();
                    self.low.push(std::cmp::Reverse(k));
                }
            }
            Want::AllAfter(_) => {
                let k = ord(rank, code());
                if self.at.is_none_or(|a| k > a) {
                    self.all.push(k);
                }
            }
        }
    }

    fn finish(self) -> Vec<Key> {
        let mut keys: Vec<Ord3> = match self.want {
            Want::After(..) => self.heap.into_vec(),
            Want::Before(..) => self.low.into_iter().map(|r| r.0).collect(),
            Want::AllAfter(_) => self.all,
        };
        keys.sort_unstable();
        keys.into_iter().map(unord).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(i: usize) -> String {
        format!("91330106MA{i:08}")
    }

    fn index(firms: &[(&str, &str, &str)]) -> Index {
        let mut ix = Index::default();
        for (i, (name, products, region)) in firms.iter().enumerate() {
            ix.upsert(&Entry {
                code: &code(i),
                name,
                products: Some(products),
                attrs: [
                    Some(region),
                    Some("none"),
                    Some(if i % 2 == 0 { "small" } else { "micro" }),
                    None,
                ],
            });
        }
        ix
    }

    fn found(ix: &Index, q: &str, within: &Within) -> Vec<(u8, String)> {
        let Some(q) = query(q) else {
            return Vec::new();
        };
        let f = ix.search(&q, within, &Want::AllAfter(None));
        assert_eq!(f.total, f.keys.len());
        f.keys.into_iter().map(|k| (k.rank, k.code)).collect()
    }

    #[test]
    fn runs_split_on_anything_but_letters_and_digits() {
        let r: Vec<String> = runs("杭州（西湖）Opto-电子 3D")
            .into_iter()
            .map(|r| r.into_iter().collect())
            .collect();
        assert_eq!(r, ["杭州", "西湖", "opto", "电子", "3d"]);
    }

    #[test]
    fn queries_as_the_index_reads_them() {
        let q = query("西湖").unwrap_or_else(|| panic!("a query"));
        assert_eq!(
            (q.runs.clone(), q.pairs.clone()),
            (vec!["西湖".to_owned()], vec![pair('西', '湖')])
        );
        assert_eq!(query("伺服电机").map(|q| q.pairs.len()), Some(3));
        assert_eq!(query("光").map(|q| q.pairs.len()), Some(0));
        let q = query("光 AB").unwrap_or_else(|| panic!("a query"));
        assert_eq!(
            (q.runs, q.pairs),
            (vec!["光".to_owned(), "ab".to_owned()], vec![pair('a', 'b')])
        );
        // The legal form of a query is dropped as it is from names.
        assert_eq!(query("卓智光电有限公司"), query("卓智光电"));
        assert!(query("%%_ ").is_none());
    }

    /// Every kind of query against a brute-force reading of the same firms: the same firms, the
    /// same ranks, in (rank, code) order.
    #[test]
    fn the_index_finds_what_reading_every_text_finds() {
        let firms = [
            ("光电仪器有限公司", "通用零件", "330106"),
            ("杭州光电有限公司", "伺服电机", "330105"),
            ("西湖光电研究院", "光电传感器", "330106"),
            ("富阳精密机械厂", "光电传感器；西湖牌减速器", "330183"),
            ("卓智伺服电机有限公司", "泵；阀", "330106"),
            ("（杭州）电子科技有限公司", "AB-12 控制器", "330105"),
            ("有限公司", "", "330106"),
            ("光电", "光电", "330110"),
        ];
        let ix = index(&firms);
        let brute = |q: &str, regions: Option<&[&str]>, size: Option<&str>| -> Vec<(u8, String)> {
            let Some(q) = query(q) else { return Vec::new() };
            let mut out: Vec<(u8, String)> = Vec::new();
            for (i, (name, products, region)) in firms.iter().enumerate() {
                if regions.is_some_and(|rs| !rs.contains(region))
                    || size.is_some_and(|z| z != if i % 2 == 0 { "small" } else { "micro" })
                {
                    continue;
                }
                let n = searched(&runs(without_legal_form(name)));
                let p = searched(&runs(products));
                if !q
                    .runs
                    .iter()
                    .all(|r| n.contains(r.as_str()) || p.contains(r.as_str()))
                {
                    continue;
                }
                let rank = if n.starts_with(q.first()) {
                    0
                } else if q.runs.iter().all(|r| n.contains(r.as_str())) {
                    1
                } else {
                    2
                };
                out.push((rank, code(i)));
            }
            out.sort();
            out
        };
        for q in [
            "光电",
            "光电传感器",
            "电传感光",
            "伺服电机",
            "伺服",
            "西湖",
            "富阳 光电",
            "研",
            "光",
            "ab",
            "AB 12",
            "12",
            "杭州",
            "有限",
            "有限公司",
            "电子",
            "鲸鱼",
            "（）",
        ] {
            for regions in [None, Some(&["330106"][..]), Some(&["330105", "330110"][..])] {
                for size in [None, Some("small")] {
                    let within = Within {
                        attrs: [
                            regions.map(|rs| rs.iter().map(|r| (*r).to_owned()).collect()),
                            None,
                            size.map(|z| vec![z.to_owned()]),
                            None,
                        ],
                        code: None,
                    };
                    assert_eq!(
                        found(&ix, q, &within),
                        brute(q, regions, size),
                        "{q} {regions:?} {size:?}"
                    );
                }
            }
        }
        // Spot checks of the ranking the brute force also encodes.
        let all = Within::default();
        assert_eq!(
            found(&ix, "光电", &all),
            vec![
                (0, code(0)),
                (0, code(7)),
                (1, code(1)),
                (1, code(2)),
                (2, code(3))
            ]
        );
        assert!(found(&ix, "电传感光", &all).is_empty());
        // The legal form is not searched; a name that is only a legal form is.
        assert_eq!(found(&ix, "有限", &all), vec![(0, code(6))]);
        // One firm only.
        let one = Within {
            code: Some(code(2)),
            ..Within::default()
        };
        assert_eq!(found(&ix, "光电", &one), vec![(1, code(2))]);
    }

    /// Pages after and before a cursor walk the order without losing or repeating a firm.
    #[test]
    fn pages_walk_the_order_both_ways() {
        let names: Vec<String> = (0..40)
            .map(|i| match i % 3 {
                0 => format!("光电{i}号"),
                1 => format!("杭州光电{i}号"),
                _ => format!("杭州{i}号"),
            })
            .collect();
        let firms: Vec<(&str, &str, &str)> = names
            .iter()
            .map(|n| (n.as_str(), "光电模块", "330106"))
            .collect();
        let ix = index(&firms);
        let q = query("光电").unwrap_or_else(|| panic!("a query"));
        let all = ix.search(&q, &Within::default(), &Want::AllAfter(None));
        assert_eq!(all.total, 40);
        let mut walked: Vec<Key> = Vec::new();
        let mut at = None;
        loop {
            let page = ix.search(&q, &Within::default(), &Want::After(at.clone(), 7));
            assert_eq!(page.total, 40);
            if page.keys.is_empty() {
                break;
            }
            at = page.keys.last().cloned();
            walked.extend(page.keys);
        }
        assert_eq!(walked, all.keys);
        let mut back: Vec<Key> = Vec::new();
        let mut at = all.keys.last().cloned().unwrap_or_else(|| panic!("keys"));
        back.push(at.clone());
        loop {
            let page = ix.search(&q, &Within::default(), &Want::Before(at.clone(), 7));
            let Some(first) = page.keys.first().cloned() else {
                break;
            };
            back.splice(0..0, page.keys);
            at = first;
        }
        assert_eq!(back, all.keys);
    }

    /// A changed entry is found by its new text only; a moved one in its new district; many
    /// changes compact the index without changing what it finds.
    #[test]
    fn changes_replace_entries() {
        let mut ix = index(&[
            ("量子陀螺仪厂", "陀螺仪", "330106"),
            ("杭州西湖茶业", "龙井", "330106"),
        ]);
        let all = Within::default();
        assert_eq!(found(&ix, "陀螺仪", &all).len(), 1);
        ix.upsert(&Entry {
            code: &code(0),
            name: "光纤传感厂",
            products: Some("光纤陀螺"),
            attrs: [Some("330105"), None, None, None],
        });
        assert!(found(&ix, "陀螺仪", &all).is_empty());
        assert_eq!(found(&ix, "光纤陀螺", &all), vec![(2, code(0))]);
        let xihu = Within {
            attrs: [Some(vec!["330106".into()]), None, None, None],
            code: None,
        };
        assert!(found(&ix, "光纤", &xihu).is_empty());
        for round in 0..3000 {
            ix.upsert(&Entry {
                code: &code(1),
                name: &format!("杭州西湖茶业{round}"),
                products: Some("龙井"),
                attrs: [Some("330106"), None, None, None],
            });
        }
        assert!(ix.docs.len() < 3000, "compacted: {}", ix.docs.len());
        assert_eq!(ix.meta.len(), ix.docs.len());
        assert_eq!(ix.len(), 2);
        assert_eq!(found(&ix, "西湖", &all), vec![(1, code(1))]);
        assert_eq!(found(&ix, "光纤陀螺", &all), vec![(2, code(0))]);
    }
}
