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
//! Counts are exact, except a page's count of a query of several pairs, whose every match is a
//! text to read: that one stops past the lists' cap (`Found::capped`), as a list's count does.
//!
//! An enterprise's entry is replaced whole when it changes (the old one marked dead, its postings
//! dropped when the index is compacted); postings are in entry order, which only grows, so that
//! adding appends. Entries made from the store in code order (the first build, a compaction) are
//! in code order too: a page of a common pair reads its lists only as far as the page needs
//! (`Index::one_pair_everywhere`), and its total is what the lists count alive. A query of more
//! pairs reads the entries holding its rarest pair that also hold every other one, and confirms
//! each on its text.
//!
//! Each answer is kept until the index next changes (`Index::recalled`).

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

/// The runs of a text kept as searched (`searched`), read back as they were written.
fn split_runs(t: &str) -> Vec<Vec<char>> {
    t.split(' ')
        .filter(|r| !r.is_empty())
        .map(|r| r.chars().collect())
        .collect()
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
/// those of its products' pairs that its name does not hold (so that a pair's name list and
/// product list never share an enterprise), each once, sorted.
fn keys(name: &[Vec<char>], products: &[Vec<char>]) -> Vec<i64> {
    let mut out = Vec::new();
    if let Some([a, b, ..]) = name.first().map(Vec::as_slice) {
        out.push(MARKER | pair(*a, *b));
    }
    for r in name {
        out.extend(r.windows(2).map(|w| NAME | pair(w[0], w[1])));
    }
    out.sort_unstable();
    out.dedup();
    let in_name = out.len();
    for r in products {
        for w in r.windows(2) {
            let g = pair(w[0], w[1]);
            if out[..in_name].binary_search(&(NAME | g)).is_err() {
                out.push(g);
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// What a query asks of the index.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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

/// A code as 18 bytes: its first 18, padded with zeros.
fn padded(code: &str) -> [u8; 18] {
    let mut out = [0u8; 18];
    for (c, b) in out.iter_mut().zip(code.bytes()) {
        *c = b;
    }
    out
}

/// A key read as integers; a code that is not 18 bytes orders as its first 18 (padded).
fn ord_of(k: &Key) -> Ord3 {
    ord(k.rank, &padded(&k.code))
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
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Within {
    pub attrs: [Option<Vec<String>>; 4],
    pub code: Option<String>,
}

/// Which part of a search's order is wanted.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Want {
    /// The first `n` keys after the cursor (from the start without one).
    After(Option<Key>, usize),
    /// The last `n` keys before the cursor.
    Before(Key, usize),
    /// Every key after the cursor, in order (for a search combined with filters the database
    /// decides).
    AllAfter(Option<Key>),
}

/// A search's answer: how many enterprises match and the keys wanted, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Found {
    /// Exact, unless `capped`.
    pub total: usize,
    pub keys: Vec<Key>,
    /// The count stopped once past the cap (`Index::cap`; a page of a query of several pairs).
    pub capped: bool,
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
    postings: HashMap<i64, Posting>,
    /// How many entries from the first are in increasing code order (all of them once built
    /// from the store in code order, or compacted; an entry replaced later is appended).
    ordered: usize,
    /// The values of each of `ATTRS` met so far (a value's index is its position + 1).
    values: [Vec<String>; 4],
    dead: usize,
    /// Searches answered since the index last changed (`Index::recalled`).
    memo: std::sync::Mutex<Memo>,
    /// How far a page's count goes where counting costs a text read per match (`None`: the
    /// lists' cap, `COUNT_CAP`).
    cap: Option<usize>,
}

/// The entries holding a key, in entry order, and how many of them are alive.
#[derive(Default)]
struct Posting {
    ids: Vec<u32>,
    alive: usize,
}

/// What was found for a search (its query, where it looked, what part was wanted), as the index
/// stood when it was answered. Emptied by any change of the index; at most `MEMO_ENTRIES`
/// answers of at most `MEMO_KEYS` keys each (emptied whole when full).
type Memo = HashMap<(Query, Within, Want), Found>;
const MEMO_ENTRIES: usize = 512;
const MEMO_KEYS: usize = 1_000;

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
        self.memo
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
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
            // Its keys no longer count it (read back from its texts, kept as searched).
            let d = &self.docs[old as usize];
            let gone = keys(
                &split_runs(self.name_of(d)),
                &split_runs(self.products_of(d)),
            );
            for k in gone {
                if let Some(p) = self.postings.get_mut(&k) {
                    p.alive = p.alive.saturating_sub(1);
                }
            }
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
        if self.ordered == self.docs.len() && self.docs.last().is_none_or(|d| d.code < code) {
            self.ordered += 1;
        }
        self.docs.push(Doc {
            code,
            name: n,
            products: p,
        });
        self.meta.push(meta);
        self.by_code.insert(code, id);
        for k in keys(name, products) {
            let p = self.postings.entry(k).or_default();
            p.ids.push(id);
            p.alive += 1;
        }
        if self.dead > 1000 && self.dead * 2 > self.docs.len() {
            self.compact();
        }
    }

    /// How far a page's count goes where counting reads texts (`Found::capped`).
    fn cap(&self) -> usize {
        self.cap
            .unwrap_or_else(|| usize::try_from(crate::COUNT_CAP).unwrap_or(2_000))
    }

    /// Rebuilds the index from its live entries in code order, dropping the dead.
    fn compact(&mut self) {
        let old = std::mem::take(self);
        self.cap = old.cap;
        let mut live: Vec<(&Doc, &u64)> = old
            .docs
            .iter()
            .zip(&old.meta)
            .filter(|(_, m)| **m & ALIVE != 0)
            .collect();
        live.sort_unstable_by_key(|(d, _)| d.code);
        for (d, m) in live {
            let mut attrs = [None; 4];
            for (i, a) in attrs.iter_mut().enumerate() {
                let k = attr(*m, i);
                *a = (k > 0).then(|| old.values[i][k - 1].as_str());
            }
            let code = std::str::from_utf8(&d.code).unwrap_or_default();
            let name = split_runs(old.name_of(d));
            let products = split_runs(old.products_of(d));
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
        self.postings
            .get(&k)
            .map(|p| p.ids.as_slice())
            .unwrap_or_default()
    }

    fn alive(&self, k: i64) -> usize {
        self.postings.get(&k).map_or(0, |p| p.alive)
    }

    /// The rank of an entry for a query, when it matches (see the module's documentation).
    /// `in_names` has bit j set when the name may hold the query's pair j (its name list holds
    /// the entry, or it was not asked): a run with a pair the name does not hold is looked for
    /// in the products alone.
    fn rank(&self, d: &Doc, q: &Compiled, in_names: u64) -> Option<u8> {
        let name = self.name_of(d).as_bytes();
        let products = self.products_of(d).as_bytes();
        let mut in_name = true;
        for (f, pairs) in q.runs.iter().zip(&q.run_pairs) {
            if pairs & !in_names == 0 && f.find(name).is_some() {
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

    /// About how many entries a search reads: for a page of one pair not narrowed, the page and
    /// what of the pair's lists lies beyond the entries in code order (`one_pair_everywhere`);
    /// otherwise the lists of the query's rarest pair, or every entry for a query of single
    /// characters.
    pub fn cost(&self, q: &Query, within: &Within, want: &Want) -> usize {
        if let Some(g) = one_pair_everywhere(q, within, want) {
            let ordered = u32::try_from(self.ordered).unwrap_or(u32::MAX);
            let beyond = |k: i64| {
                let l = self.posting(k);
                l.len() - l.partition_point(|id| *id < ordered)
            };
            let page = match want {
                Want::After(_, n) | Want::Before(_, n) => *n,
                Want::AllAfter(_) => 0,
            };
            return 3 * page + beyond(MARKER | g) + beyond(NAME | g) + beyond(g);
        }
        q.pairs
            .iter()
            .map(|g| self.posting(NAME | g).len() + self.posting(*g).len())
            .min()
            .unwrap_or(self.docs.len())
    }

    /// The answer of a search asked before and not changed since (`search` would find it again),
    /// or `None`.
    pub fn recalled(&self, q: &Query, within: &Within, want: &Want) -> Option<Found> {
        // The key is built only when something is kept (cloning the query costs more than
        // looking into an empty map).
        let memo = self
            .memo
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if memo.is_empty() {
            return None;
        }
        memo.get(&(q.clone(), within.clone(), want.clone()))
            .cloned()
    }

    /// Searches (see the module's documentation). The answer is kept until the index changes
    /// (`recalled`): a city searches the same words again and again, and each page of a search
    /// is asked for with the same query.
    pub fn search(&self, q: &Query, within: &Within, want: &Want) -> Found {
        if let Some(f) = self.recalled(q, within, want) {
            return f;
        }
        let found = self.find(q, within, want);
        if found.keys.len() <= MEMO_KEYS {
            let mut memo = self
                .memo
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if memo.len() >= MEMO_ENTRIES {
                memo.clear();
            }
            memo.insert((q.clone(), within.clone(), want.clone()), found.clone());
        }
        found
    }

    /// `search` without the memo: reads the postings.
    fn find(&self, q: &Query, within: &Within, want: &Want) -> Found {
        match one_pair_everywhere(q, within, want) {
            Some(g) => self.one_pair_everywhere(q, g, want),
            None => self.scan(q, within, want),
        }
    }

    /// A search of one pair, not narrowed, for one page: the total is what the pair's lists
    /// count alive (its name and product lists share no entry), and the page is read from the
    /// ranks' lists in turn — its name-start markers (rank 0), its other names (rank 1), its
    /// products (rank 2) — each only as far as the page needs where the list is in code order
    /// (`ordered`), and whole beyond. A common pair's first page thus reads a few dozen
    /// entries instead of every one that holds it.
    fn one_pair_everywhere(&self, q: &Query, g: i64, want: &Want) -> Found {
        let (marker, names, products) = (
            self.posting(MARKER | g),
            self.posting(NAME | g),
            self.posting(g),
        );
        let total = self.alive(NAME | g) + self.alive(g);
        // Each rank's list, and the entries of the list that belong to a better rank.
        let ranks: [(u8, &[u32], &[u32]); 3] =
            [(0, marker, &[]), (1, names, marker), (2, products, &[])];
        let ordered = u32::try_from(self.ordered).unwrap_or(u32::MAX);
        let code = |id: u32| &self.docs[id as usize].code;
        let keep = |id: u32, better: &[u32]| {
            self.meta[id as usize] & ALIVE != 0 && better.binary_search(&id).is_err()
        };
        let (n, ranks) = match want {
            Want::After(_, n) => (*n, ranks.to_vec()),
            Want::Before(_, n) => (*n, ranks.into_iter().rev().collect()),
            Want::AllAfter(_) => return self.scan(q, &Within::default(), want),
        };
        let mut pick = Picker::new(want);
        // After a cursor the ranks from its own upwards, before it from its own downwards, until
        // the page is full.
        for (rank, list, better) in ranks {
            let beyond = match want {
                Want::After(Some(at), _) => at.rank > rank,
                Want::Before(at, _) => rank > at.rank,
                _ => false,
            };
            if beyond {
                continue;
            }
            if pick.full() {
                break;
            }
            // The part in code order is read from the cursor's place (in its own rank) towards
            // the page, only until `n` entries are kept; the rest whole.
            let (head, tail) = list.split_at(list.partition_point(|id| *id < ordered));
            let head: Box<dyn Iterator<Item = &u32>> = match want {
                Want::After(Some(at), _) if at.rank == rank => {
                    let c = padded(&at.code);
                    Box::new(head[head.partition_point(|id| *code(*id) <= c)..].iter())
                }
                Want::Before(at, _) if at.rank == rank => {
                    let c = padded(&at.code);
                    Box::new(
                        head[..head.partition_point(|id| *code(*id) < c)]
                            .iter()
                            .rev(),
                    )
                }
                Want::Before(..) => Box::new(head.iter().rev()),
                _ => Box::new(head.iter()),
            };
            for &id in head.filter(|id| keep(**id, better)).take(n) {
                pick.offer(rank, || code(id));
            }
            for &id in tail.iter().filter(|id| keep(**id, better)) {
                pick.offer(rank, || code(id));
            }
        }
        Found {
            total,
            keys: pick.finish(),
            capped: false,
        }
    }

    /// `find` reading every entry that holds the query's rarest pair (or every entry).
    fn scan(&self, q: &Query, within: &Within, want: &Want) -> Found {
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
        let total = std::cell::Cell::new(0usize);
        // Whether the count stopped at the cap (`Found::capped`).
        let mut stopped = false;
        let each = |id: u32, rank: u8, pick: &mut Picker| {
            total.set(total.get() + 1);
            pick.offer(rank, || &self.docs[id as usize].code);
        };
        match q.pairs {
            // Single characters only: every entry's text.
            [] => {
                for (id, d) in self.docs.iter().enumerate() {
                    let id = id as u32;
                    if ok(id)
                        && let Some(rank) = self.rank(d, q, u64::MAX)
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
            // Otherwise the entries holding the rarest pair and every other pair of the query
            // (in their names or their products), each confirmed on its text — for a page,
            // counted only up to the cap (`Index::cap`): first the entries whose names hold
            // the first run's pairs and that hold every other pair somewhere (those that may
            // rank 0 or 1, read whole: names rarely hold a long query), then the others in code
            // order, only until the page is full and the count past the cap. A page of a long
            // query that matches tens of thousands of products thus confirms a few thousand
            // texts, not every one.
            pairs => {
                let size = |g: &i64| self.posting(NAME | g).len() + self.posting(*g).len();
                let g = pairs.iter().min_by_key(|g| size(g)).copied().unwrap_or(0);
                // Each pair's bit in the query's pairs.
                let bit = |h: &i64| {
                    pairs
                        .iter()
                        .position(|x| x == h)
                        .filter(|j| *j < 64)
                        .map_or(0, |j| 1u64 << j)
                };
                // A name ranks 0 or 1 only if it holds the first run, so only if its list of
                // names holds every pair of that run: those entries are read first, whole. (A
                // first run of one character has no pair: then every match is read, as for
                // every key.)
                let first: Vec<i64> = pairs
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| {
                        *j < 64 && q.run_pairs.first().is_some_and(|b| b >> j & 1 == 1)
                    })
                    .map(|(_, g)| *g)
                    .collect();
                let capped = !matches!(want, Want::AllAfter(_)) && !first.is_empty();
                // The entries ranked 0 or 1, in entry order (counted and offered here, passed
                // over below).
                let mut named: Vec<u32> = Vec::new();
                if capped {
                    let gn = first
                        .iter()
                        .min_by_key(|g| self.posting(NAME | **g).len())
                        .copied()
                        .unwrap_or(0);
                    // The first run's other pairs in the name; every other pair anywhere.
                    let mut others: Vec<Holders> = pairs
                        .iter()
                        .filter(|h| **h != gn)
                        .map(|h| {
                            let names = self.posting(NAME | h);
                            if first.contains(h) {
                                Holders::new(names, &[])
                            } else {
                                Holders::new(names, self.posting(*h))
                            }
                        })
                        .collect();
                    for &id in self.posting(NAME | gn) {
                        // (Every run looked for in the name: `rank`'s bits only spare looking
                        // where a pair is known to be missing.)
                        if others.iter_mut().all(|h| h.hold(id).is_some())
                            && ok(id)
                            && let Some(rank) = self.rank(&self.docs[id as usize], q, u64::MAX)
                            && rank < 2
                        {
                            named.push(id);
                            each(id, rank, &mut pick);
                        }
                    }
                }
                // Enough read: the page is whole and the count past the cap. Only where the
                // entries are in code order, and never for every key.
                let cap = self.cap();
                let enough = |pick: &Picker, id: u32| {
                    capped
                        && total.get() > cap
                        && match want {
                            Want::After(..) => pick.full(),
                            // Every key of rank 2 from here on sorts after the cursor.
                            Want::Before(at, _) => {
                                at.rank < 2 || self.docs[id as usize].code >= padded(&at.code)
                            }
                            Want::AllAfter(_) => false,
                        }
                };
                let (names, products) = (self.posting(NAME | g), self.posting(g));
                let mut others: Vec<(u64, Holders)> = pairs
                    .iter()
                    .filter(|h| **h != g)
                    .map(|h| {
                        (
                            bit(h),
                            Holders::new(self.posting(NAME | h), self.posting(*h)),
                        )
                    })
                    .collect();
                // Candidates are confirmed a batch at a time: each one's entry and text lie
                // anywhere in memory, so they are first all asked for (loads that do not wait
                // for each other), then read.
                const BATCH: usize = 32;
                // Each candidate with the query's pairs its name holds (`rank`).
                let mut batch: Vec<(u32, u64)> = Vec::with_capacity(BATCH);
                let confirm = |batch: &mut Vec<(u32, u64)>, pick: &mut Picker| {
                    let mut touched = 0u64;
                    for &(id, _) in batch.iter() {
                        touched ^=
                            self.meta[id as usize] ^ u64::from(self.docs[id as usize].name.0);
                    }
                    let bytes = self.text.as_bytes();
                    for &(id, _) in batch.iter() {
                        let d = &self.docs[id as usize];
                        for at in [d.name.0, d.products.0] {
                            touched ^= u64::from(bytes.get(at as usize).copied().unwrap_or(0));
                        }
                    }
                    std::hint::black_box(touched);
                    for (id, in_names) in batch.drain(..) {
                        if ok(id)
                            && let Some(rank) = self.rank(&self.docs[id as usize], q, in_names)
                        {
                            each(id, rank, pick);
                        }
                    }
                };
                let ordered = u32::try_from(self.ordered).unwrap_or(u32::MAX);
                let (mut n, mut p) = (0, 0);
                while n < names.len() || p < products.len() {
                    let next_n = names.get(n).copied().unwrap_or(u32::MAX);
                    let next_p = products.get(p).copied().unwrap_or(u32::MAX);
                    let id = next_n.min(next_p);
                    n += usize::from(next_n == id);
                    p += usize::from(next_p == id);
                    if named.binary_search(&id).is_ok() {
                        continue;
                    }
                    let mut in_names = if next_n == id { bit(&g) } else { 0 };
                    let held = others.iter_mut().all(|(b, h)| match h.hold(id) {
                        Some(in_name) => {
                            in_names |= if in_name { *b } else { 0 };
                            true
                        }
                        None => false,
                    });
                    if held {
                        batch.push((id, in_names));
                        if batch.len() == BATCH {
                            confirm(&mut batch, &mut pick);
                            // What lies beyond in code order cannot change the page; the
                            // entries appended out of order still can.
                            if id < ordered && enough(&pick, id) {
                                n = names.partition_point(|x| *x < ordered);
                                p = products.partition_point(|x| *x < ordered);
                                stopped = true;
                            }
                        }
                    }
                }
                confirm(&mut batch, &mut pick);
            }
        }
        Found {
            total: total.get(),
            keys: pick.finish(),
            capped: stopped,
        }
    }
}

/// The pair of a search `Index::one_pair_everywhere` answers: a query of one run of two
/// characters, not narrowed, for one page.
fn one_pair_everywhere(q: &Query, within: &Within, want: &Want) -> Option<i64> {
    let everywhere = within.code.is_none() && within.attrs.iter().all(Option::is_none);
    match (q.pairs.as_slice(), want) {
        ([g], Want::After(..) | Want::Before(..))
            if everywhere && q.runs.len() == 1 && q.runs[0].chars().count() == 2 =>
        {
            Some(*g)
        }
        _ => None,
    }
}

/// Whether entries hold a pair (in their names or their products), asked in increasing entry
/// order: each of the pair's lists is read once, forwards.
struct Holders<'a> {
    names: &'a [u32],
    products: &'a [u32],
}

impl<'a> Holders<'a> {
    fn new(names: &'a [u32], products: &'a [u32]) -> Holders<'a> {
        Holders { names, products }
    }

    /// Whether entry `id` holds the pair — `Some(true)` in its name, `Some(false)` in its
    /// products only — or `None`; `id` is never less than the one asked before.
    fn hold(&mut self, id: u32) -> Option<bool> {
        let mut found = [false; 2];
        for (list, found) in [&mut self.names, &mut self.products]
            .into_iter()
            .zip(&mut found)
        {
            while list.first().is_some_and(|x| *x < id) {
                *list = &list[1..];
            }
            *found = list.first() == Some(&id);
        }
        match found {
            [true, _] => Some(true),
            [false, true] => Some(false),
            [false, false] => None,
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
    /// For each run, its pairs as bits of the query's pairs (none beyond the 64th: such a run
    /// is looked for in the name whatever the name holds).
    run_pairs: Vec<u64>,
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
            run_pairs: q
                .runs
                .iter()
                .map(|r| {
                    let cs: Vec<char> = r.chars().collect();
                    cs.windows(2)
                        .filter_map(|w| q.pairs.iter().position(|g| *g == pair(w[0], w[1])))
                        .filter(|j| *j < 64)
                        .fold(0u64, |m, j| m | 1 << j)
                })
                .collect(),
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

    /// It holds as many keys as a page wants (never, for every key).
    fn full(&self) -> bool {
        match self.want {
            Want::After(_, n) => self.heap.len() >= n,
            Want::Before(_, n) => self.low.len() >= n,
            Want::AllAfter(_) => false,
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

    /// A repeatable random number below `n` (xorshift from `seed`), and texts of a given length
    /// drawn from `chars` with it.
    #[allow(clippy::type_complexity)]
    fn random_texts(
        chars: &str,
        mut seed: u64,
    ) -> (
        impl FnMut(usize) -> usize,
        impl Fn(usize, &mut dyn FnMut(usize) -> usize) -> String,
    ) {
        let chars: Vec<char> = chars.chars().collect();
        let next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let text = move |len: usize, next: &mut dyn FnMut(usize) -> usize| -> String {
            (0..len).map(|_| chars[next(chars.len())]).collect()
        };
        (next, text)
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

    /// A search's answer is kept until the index changes — any change, even of a firm it did not
    /// find — and what is recalled is what reading the postings finds; the memory is bounded.
    #[test]
    fn answers_are_recalled_until_the_index_changes() {
        let mut ix = index(&[
            ("杭州光电有限公司", "伺服电机", "330105"),
            ("西湖光电研究院", "光电传感器", "330106"),
            ("富阳精密机械厂", "光电传感器", "330183"),
        ]);
        let q = query("光电").unwrap_or_else(|| panic!("a query"));
        let all = Within::default();
        let want = Want::After(None, 2);
        assert_eq!(ix.recalled(&q, &all, &want), None);
        let first = ix.search(&q, &all, &want);
        assert_eq!(first.total, 3);
        assert_eq!(ix.recalled(&q, &all, &want), Some(first.clone()));
        assert_eq!(ix.recalled(&q, &all, &Want::After(None, 3)), None);
        let xihu = Within {
            attrs: [Some(vec!["330106".into()]), None, None, None],
            code: None,
        };
        assert_eq!(ix.recalled(&q, &xihu, &want), None);
        ix.upsert(&Entry {
            code: &code(7),
            name: "临安茶厂",
            products: Some("茶叶"),
            attrs: [Some("330185"), None, None, None],
        });
        assert_eq!(ix.recalled(&q, &all, &want), None);
        ix.upsert(&Entry {
            code: &code(8),
            name: "滨江光电厂",
            products: None,
            attrs: [Some("330108"), None, None, None],
        });
        let again = ix.search(&q, &all, &want);
        assert_eq!(again.total, 4);
        assert_eq!(again, ix.find(&q, &all, &want));
        for i in 0..MEMO_ENTRIES + 10 {
            let w = Want::After(None, i + 1);
            ix.search(&q, &all, &w);
            assert!(ix.memo.lock().map(|m| m.len()).unwrap_or(0) <= MEMO_ENTRIES);
        }
    }

    /// A pair's pages read from its ranks' lists (`one_pair_everywhere`) are those of the whole
    /// order, and its total the number of firms holding it, while firms are written again and
    /// again (entries appended out of code order, dead entries, compactions): checked against
    /// reading every firm's text, for every pair of a small alphabet, every cursor, both ways.
    #[test]
    fn a_pairs_pages_are_the_whole_orders() {
        let (mut next, text) = random_texts("光电科技伺服西湖", 0x2545_f491_4f6c_dd1d);
        let chars: Vec<char> = "光电科技伺服西湖".chars().collect();
        let mut firms: std::collections::BTreeMap<String, (String, String)> = Default::default();
        let mut ix = Index::default();
        let rounds = [40, 200, 2600, 150];
        for (round, writes) in rounds.iter().enumerate() {
            for _ in 0..*writes {
                let c = code(next(45));
                let name_len = 1 + next(5);
                let name = format!("{}有限公司", text(name_len, &mut next));
                let product_len = next(5);
                let products = text(product_len, &mut next);
                ix.upsert(&Entry {
                    code: &c,
                    name: &name,
                    products: Some(&products),
                    attrs: [None; 4],
                });
                firms.insert(c, (name, products));
            }
            if round == 0 {
                assert!(ix.ordered < ix.docs.len(), "written in no order");
            }
            if round == 3 {
                // Both parts read: entries in code order (since the last compaction), and after.
                assert!(
                    0 < ix.ordered && ix.ordered < ix.docs.len(),
                    "{}",
                    ix.ordered
                );
            }
            for a in &chars {
                for b in &chars {
                    let q = query(&format!("{a}{b}")).unwrap_or_else(|| panic!("a query"));
                    let needle = format!("{a}{b}");
                    let mut whole: Vec<Key> = firms
                        .iter()
                        .filter_map(|(c, (n, p))| {
                            let n = searched(&runs(without_legal_form(n)));
                            let rank = if n.starts_with(&needle) {
                                0
                            } else if n.contains(&needle) {
                                1
                            } else if p.contains(&needle) {
                                2
                            } else {
                                return None;
                            };
                            Some(Key {
                                rank,
                                code: c.clone(),
                            })
                        })
                        .collect();
                    whole.sort();
                    let all = Within::default();
                    let scanned = ix.scan(&q, &all, &Want::AllAfter(None));
                    assert_eq!(scanned.keys, whole, "{needle}, round {round}");
                    for n in [0, 1, 3, 50] {
                        let f = ix.one_pair_everywhere(&q, q.pairs[0], &Want::After(None, n));
                        assert_eq!(f.total, whole.len(), "{needle}, round {round}");
                        assert_eq!(f.keys, whole[..n.min(whole.len())], "{needle} first {n}");
                    }
                    let mut cursors = whole.clone();
                    cursors.extend((0..3).map(|rank| Key {
                        rank,
                        code: code(next(45)),
                    }));
                    for at in cursors {
                        let after: Vec<Key> =
                            whole.iter().filter(|k| **k > at).take(3).cloned().collect();
                        let before: Vec<Key> = whole.iter().filter(|k| **k < at).cloned().collect();
                        let before = before[before.len().saturating_sub(3)..].to_vec();
                        let f = ix.one_pair_everywhere(
                            &q,
                            q.pairs[0],
                            &Want::After(Some(at.clone()), 3),
                        );
                        assert_eq!(f.keys, after, "{needle} after {at:?}, round {round}");
                        let f =
                            ix.one_pair_everywhere(&q, q.pairs[0], &Want::Before(at.clone(), 3));
                        assert_eq!(f.keys, before, "{needle} before {at:?}, round {round}");
                    }
                }
            }
        }
        assert!(ix.docs.len() < 3000, "compacted: {}", ix.docs.len());
    }

    /// A page of a query of several pairs counts only past the cap, reading the names that may
    /// rank first whole and the rest only until the page is whole: its keys are still the whole
    /// order's, both ways and from any cursor, narrowed or not, with entries in code order and
    /// appended after; its total is exact below the cap and said to be capped above it.
    #[test]
    fn a_long_querys_pages_are_the_whole_orders_and_its_count_stops_past_the_cap() {
        let (mut next, text) = random_texts("光电科技", 0x9e37_79b9_7f4a_7c15);
        let mut firms: std::collections::BTreeMap<String, (String, String, &str)> =
            Default::default();
        let mut ix = Index {
            cap: Some(3),
            ..Index::default()
        };
        let queries = [
            "光电科",
            "科技光电",
            "技光电",
            "电光电",
            "光电 科技",
            "技光 光",
            "光 电科",
            "光电科技光",
        ];
        let mut capped = 0;
        for (round, writes) in [300, 1500, 400].iter().enumerate() {
            for _ in 0..*writes {
                let c = code(next(1200));
                let region = if next(3) == 0 { "330106" } else { "330105" };
                let name = format!("{}有限公司", text(2 + next(6), &mut next));
                let products = text(next(9), &mut next);
                ix.upsert(&Entry {
                    code: &c,
                    name: &name,
                    products: Some(&products),
                    attrs: [Some(region), None, None, None],
                });
                firms.insert(c, (name, products, region));
            }
            if round == 2 {
                assert!(0 < ix.ordered && ix.ordered < ix.docs.len(), "both parts");
            }
            for qs in queries {
                let q = query(qs).unwrap_or_else(|| panic!("a query"));
                for region in [None, Some("330106")] {
                    let within = Within {
                        attrs: [region.map(|r| vec![r.to_owned()]), None, None, None],
                        code: None,
                    };
                    let mut whole: Vec<Key> = firms
                        .iter()
                        .filter(|(_, (_, _, r))| region.is_none_or(|x| x == *r))
                        .filter_map(|(c, (n, p, _))| {
                            let n = searched(&runs(without_legal_form(n)));
                            let p = searched(&runs(p));
                            let mut in_name = true;
                            for r in &q.runs {
                                if n.contains(r.as_str()) {
                                    continue;
                                }
                                if !p.contains(r.as_str()) {
                                    return None;
                                }
                                in_name = false;
                            }
                            let rank = if n.starts_with(q.runs[0].as_str()) {
                                0
                            } else if in_name {
                                1
                            } else {
                                2
                            };
                            Some(Key {
                                rank,
                                code: c.clone(),
                            })
                        })
                        .collect();
                    whole.sort();
                    let all = ix.find(&q, &within, &Want::AllAfter(None));
                    assert_eq!(all.keys, whole, "{qs} {region:?}, round {round}");
                    assert!(!all.capped);
                    let step = (whole.len() / 25).max(1);
                    let mut cursors: Vec<Option<Key>> =
                        whole.iter().step_by(step).cloned().map(Some).collect();
                    cursors.push(None);
                    cursors.extend((0..3).map(|rank| {
                        Some(Key {
                            rank,
                            code: code(next(1200)),
                        })
                    }));
                    for at in cursors {
                        for n in [1, 4] {
                            let f = ix.find(&q, &within, &Want::After(at.clone(), n));
                            let after: Vec<Key> = whole
                                .iter()
                                .filter(|k| at.as_ref().is_none_or(|a| *k > a))
                                .take(n)
                                .cloned()
                                .collect();
                            assert_eq!(
                                f.keys, after,
                                "{qs} {region:?} after {at:?}, round {round}"
                            );
                            if f.capped {
                                capped += 1;
                                assert!(f.total > 3 && whole.len() > 3, "{qs}: {}", f.total);
                            } else {
                                assert_eq!(f.total, whole.len(), "{qs} {region:?}");
                            }
                            let Some(at) = at.clone() else { continue };
                            let f = ix.find(&q, &within, &Want::Before(at.clone(), n));
                            let before: Vec<Key> =
                                whole.iter().filter(|k| **k < at).cloned().collect();
                            let before = before[before.len().saturating_sub(n)..].to_vec();
                            assert_eq!(f.keys, before, "{qs} {region:?} before {at:?}");
                            if f.capped {
                                assert!(f.total > 3 && whole.len() > 3, "{qs}: {}", f.total);
                            } else {
                                assert_eq!(f.total, whole.len(), "{qs} {region:?}");
                            }
                        }
                    }
                }
            }
        }
        assert!(capped > 100, "the cap was reached {capped} times");
    }

    /// What a search is said to cost: a page of a pair, not narrowed, reads about the page while
    /// the pair's entries are in code order, and what lies beyond once firms are written again.
    #[test]
    fn a_pairs_page_costs_the_page() {
        let firms: Vec<(String, String, String)> = (0..300)
            .map(|i| (format!("光电{i}"), "伺服".to_owned(), "330106".to_owned()))
            .collect();
        let refs: Vec<(&str, &str, &str)> = firms
            .iter()
            .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
            .collect();
        let mut ix = index(&refs);
        let q = query("光电").unwrap_or_else(|| panic!("a query"));
        let all = Within::default();
        let page = Want::After(None, 21);
        assert_eq!(ix.cost(&q, &all, &page), 63);
        let xihu = Within {
            attrs: [Some(vec!["330106".into()]), None, None, None],
            code: None,
        };
        assert_eq!(ix.cost(&q, &xihu, &page), 300);
        assert_eq!(ix.cost(&q, &all, &Want::AllAfter(None)), 300);
        for i in (0..10).rev() {
            ix.upsert(&Entry {
                code: &code(i),
                name: "光电",
                products: None,
                attrs: [None; 4],
            });
        }
        // Ten entries beyond those in code order, each in the pair's marker and name lists.
        assert_eq!(ix.cost(&q, &all, &page), 63 + 20);
        assert_eq!(ix.search(&q, &all, &page).total, 300);
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
