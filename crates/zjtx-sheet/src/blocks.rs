//! Splitting a CSV stream into blocks of whole records, so that blocks can be tokenised in parallel.
//!
//! A block without quotes is split at line ends and commas directly; any other is tokenised by
//! the `csv` crate's `csv_core`. This module also decides where a block may end: at a line end
//! outside any quoted field. A block without a quote character can end at any line end
//! (found with `memchr`); one with quotes is scanned with the same field states csv_core uses (a
//! quote opens a quoted field only at the start of a field, a doubled quote inside one is an escaped
//! quote), so a split never falls inside a field. Tests check that splitting never changes the
//! records.

use std::io::Read;

/// Target size of one block.
pub const BLOCK_BYTES: usize = 1 << 18;

#[derive(Clone, Copy)]
enum State {
    /// At the start of a field (after a delimiter or a line end).
    Start,
    /// Inside an unquoted field, where a quote is a literal character.
    Field,
    /// Inside a quoted field.
    Quoted,
    /// Just after a quote inside a quoted field: another quote escapes it, anything else ends it.
    QuoteEnd,
}

/// The length of the longest prefix of `buf` that ends at a line end outside any quoted field,
/// given that `buf` starts at a record boundary; `None` if there is none.
pub fn record_boundary(buf: &[u8]) -> Option<usize> {
    if memchr::memchr(b'"', buf).is_none() {
        return memchr::memrchr(b'\n', buf).map(|i| i + 1);
    }
    let mut state = State::Start;
    let mut last = None;
    for (i, &b) in buf.iter().enumerate() {
        state = match (state, b) {
            (State::Quoted, b'"') => State::QuoteEnd,
            (State::Quoted, _) => State::Quoted,
            (State::Start, b'"') | (State::QuoteEnd, b'"') => State::Quoted,
            (_, b',') => State::Start,
            (_, b'\n') => {
                last = Some(i + 1);
                State::Start
            }
            (_, b'\r') => State::Start,
            _ => State::Field,
        };
    }
    last
}

/// Reads a stream as blocks of whole records.
pub struct BlockReader {
    r: Box<dyn Read + Send>,
    carry: Vec<u8>,
    eof: bool,
}

impl BlockReader {
    pub fn new(r: Box<dyn Read + Send>) -> BlockReader {
        BlockReader {
            r,
            carry: Vec::new(),
            eof: false,
        }
    }

    /// Reads from the stream into `buf` until it holds `want` bytes or the stream ends. The
    /// bytes are read into the vector's spare room as it is (`read_to_end`), not zeroed first.
    fn fill_into(&mut self, buf: &mut Vec<u8>, want: usize) -> std::io::Result<()> {
        let need = want.saturating_sub(buf.len());
        buf.reserve(need);
        let got = Read::by_ref(&mut self.r)
            .take(need as u64)
            .read_to_end(buf)?;
        if got < need {
            self.eof = true;
        }
        Ok(())
    }

    /// The next block of whole records (reusing `buf`'s allocation), or `None` at the end. The
    /// stream is read straight into the block; only the partial record after its last line end is
    /// copied, to start the next block.
    pub fn next_block(&mut self, mut buf: Vec<u8>) -> std::io::Result<Option<Vec<u8>>> {
        buf.clear();
        buf.append(&mut self.carry);
        let mut want = BLOCK_BYTES.max(buf.len() + 1);
        loop {
            if buf.len() < want && !self.eof {
                self.fill_into(&mut buf, want)?;
            }
            let cut = if self.eof {
                Some(buf.len())
            } else {
                record_boundary(&buf)
            };
            match cut {
                Some(0) if self.eof => return Ok(None),
                Some(n) if n > 0 => {
                    self.carry.extend_from_slice(&buf[n..]);
                    buf.truncate(n);
                    return Ok(Some(buf));
                }
                // No line end yet (a very long record): read further.
                _ => want = buf.len() * 2 + BLOCK_BYTES,
            }
        }
    }
}

/// Reusable output buffers for tokenising.
#[derive(Default)]
pub struct Scratch {
    out: Vec<u8>,
    ends: Vec<usize>,
    spans: Vec<(usize, usize)>,
}

/// One record of a block, as `for_each_record` hands it out.
#[derive(Clone, Copy, Debug)]
pub enum Record<'a> {
    /// A line of a `plain` block (no quote; its line end dropped) that is not valid UTF-8 as a
    /// whole: its fields lie where they are, between commas. The line itself may still be valid
    /// (then it is read as a `Text`), and so may a field of an invalid line: every field boundary
    /// is next to a comma or an end of the line.
    Line(&'a [u8]),
    /// A line of a `plain` block that is valid UTF-8 as a whole (the common case: checked once for
    /// the block, not line by line); `HeaderMap::parse_line_into` reads its fields where they lie,
    /// with no list of them built.
    Text(&'a str),
    /// A record tokenised by csv_core: its unquoted field bytes laid end to end, and the span
    /// `(start, end)` of each field within them.
    Tokenised(&'a [u8], &'a [(usize, usize)]),
}

/// Tokenises a block of whole records and calls `f` with each record (`Record`). Returns the
/// number of records. Blank lines are skipped, as the `csv` crate skips them.
///
/// A `plain` block (no quote) is split where it lies, with no byte copied: lines at `\n` (`Text`
/// when the block is valid UTF-8, else `Line`), fields at commas. Any other goes through
/// `csv_core` (the `csv` crate's own tokenizer, used on the slice directly), whose unquoted field
/// bytes are laid end to end.
pub fn for_each_record(block: &[u8], s: &mut Scratch, mut f: impl FnMut(Record)) -> usize {
    if plain(block) {
        // A line end is ASCII: every line of a valid block is valid, and lies on char boundaries.
        if let Ok(text) = simdutf8::basic::from_utf8(block) {
            return each_line(block, |a, b| f(self::Record::Text(&text[a..b])));
        }
        return each_line(block, |a, b| f(self::Record::Line(&block[a..b])));
    }
    use csv_core::ReadRecordResult::*;
    let mut rdr = csv_core::Reader::new();
    if s.out.len() < 4096 {
        s.out.resize(4096, 0);
    }
    if s.ends.len() < 128 {
        s.ends.resize(128, 0);
    }
    let mut input = block;
    let (mut nout, mut nend, mut records) = (0, 0, 0);
    loop {
        let (res, nin, o, e) = rdr.read_record(input, &mut s.out[nout..], &mut s.ends[nend..]);
        input = &input[nin..];
        nout += o;
        nend += e;
        match res {
            // Input is used up; the next call, with no input, tells csv_core the data has ended.
            InputEmpty => {}
            OutputFull => s.out.resize(s.out.len() * 2, 0),
            OutputEndsFull => s.ends.resize(s.ends.len() * 2, 0),
            Record => {
                s.spans.clear();
                let mut start = 0;
                for &end in &s.ends[..nend] {
                    s.spans.push((start, end));
                    start = end;
                }
                f(self::Record::Tokenised(&s.out[..nout], &s.spans));
                records += 1;
                nout = 0;
                nend = 0;
            }
            End => return records,
        }
    }
}

/// Whether a block can be split without a tokenizer: no quote, and every carriage return is
/// the first half of a CRLF line end. Most files are such (a quote is needed only for a comma or
/// a line break inside a cell); the check costs two SIMD scans of the block.
fn plain(block: &[u8]) -> bool {
    memchr::memchr(b'"', block).is_none()
        && memchr::memchr_iter(b'\r', block).all(|i| block.get(i + 1) == Some(&b'\n'))
}

/// `for_each_record` for a `plain` block: `f` gets the span `(start, end)` of each line, found at
/// `\n` with memchr (a `\r` before it dropped, blank lines skipped, as csv_core reads them).
fn each_line(block: &[u8], mut f: impl FnMut(usize, usize)) -> usize {
    let mut records = 0;
    let mut record = |start: usize, mut end: usize| {
        if end > start && block[end - 1] == b'\r' {
            end -= 1;
        }
        if end > start {
            f(start, end);
            records += 1;
        }
    };
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', block) {
        record(start, nl);
        start = nl + 1;
    }
    if start < block.len() {
        record(start, block.len());
    }
    records
}

/// The spans `(start, end)` of the fields of a line of a plain block (`Record::Line`), in
/// order: the text between its commas. (A valid UTF-8 line is read where it lies by
/// `HeaderMap::parse_line_into`; these are for any other.)
pub fn field_spans(line: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut from = 0;
    for i in memchr::memchr_iter(b',', line) {
        spans.push((from, i));
        from = i + 1;
    }
    spans.push((from, line.len()));
    spans
}

/// The fields of the first record of `block` and the number of bytes it took (a UTF-8 BOM
/// included), or `None` if the block holds no record.
pub fn first_record(block: &[u8]) -> Option<(Vec<Vec<u8>>, usize)> {
    use csv_core::ReadRecordResult::*;
    let mut rdr = csv_core::Reader::new();
    let (mut out, mut ends) = (vec![0u8; 4096], vec![0usize; 128]);
    let (mut input, mut taken, mut nout, mut nend) = (block, 0, 0, 0);
    loop {
        let (res, nin, o, e) = rdr.read_record(input, &mut out[nout..], &mut ends[nend..]);
        input = &input[nin..];
        taken += nin;
        nout += o;
        nend += e;
        match res {
            InputEmpty => {}
            OutputFull => out.resize(out.len() * 2, 0),
            OutputEndsFull => ends.resize(ends.len() * 2, 0),
            Record => {
                let mut start = 0;
                let fields = ends[..nend]
                    .iter()
                    .map(|&e| {
                        let f = out[start..e].to_vec();
                        start = e;
                        f
                    })
                    .collect();
                return Some((fields, taken));
            }
            End => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The records as the `csv` crate reads them.
    fn records(data: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(data);
        rdr.byte_records()
            .map(|r| {
                r.map(|r| r.iter().map(<[u8]>::to_vec).collect())
                    .unwrap_or_default()
            })
            .collect()
    }

    /// The records as `for_each_record` gives them.
    fn core_records(data: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        for_each_record(data, &mut Scratch::default(), |record| {
            let (bytes, spans) = match record {
                Record::Line(line) => {
                    let spans = field_spans(line);
                    // What a line promises: a comma or an end of the line on either side.
                    for &(a, b) in &spans {
                        assert!(a == 0 || line[a - 1] == b',', "{line:?} {spans:?}");
                        assert!(b == line.len() || line[b] == b',', "{line:?} {spans:?}");
                    }
                    (line, spans)
                }
                Record::Text(line) => (line.as_bytes(), field_spans(line.as_bytes())),
                Record::Tokenised(bytes, spans) => (bytes, spans.to_vec()),
            };
            out.push(spans.iter().map(|&(a, b)| bytes[a..b].to_vec()).collect());
        });
        out
    }

    fn via_blocks(data: &[u8], cut: usize) -> Vec<Vec<Vec<u8>>> {
        // Split greedily at the last boundary within every `cut` bytes, as the reader does.
        let mut out = Vec::new();
        let mut rest = data;
        while !rest.is_empty() {
            let window = &rest[..rest.len().min(cut)];
            let n = if window.len() == rest.len() {
                rest.len()
            } else {
                record_boundary(window).unwrap_or(rest.len())
            };
            let n = if n == 0 { rest.len() } else { n };
            out.extend(core_records(&rest[..n]));
            rest = &rest[n..];
        }
        out
    }

    #[test]
    fn long_fields_and_many_fields_grow_the_buffers() {
        let long = "x".repeat(10_000);
        let wide = vec!["1"; 300].join(",");
        let data = format!("{long},\"{long}\"\n{wide}\n");
        assert_eq!(core_records(data.as_bytes()), records(data.as_bytes()));
        let (fields, taken) = first_record(data.as_bytes()).unwrap_or_default();
        assert_eq!((fields.len(), taken), (2, 2 * 10_000 + 4));
        assert_eq!(
            first_record(b"a,b"),
            Some((vec![b"a".to_vec(), b"b".to_vec()], 3))
        );
        assert_eq!(
            first_record(b"\xEF\xBB\xBFa\n"),
            Some((vec![b"a".to_vec()], 5))
        );
    }

    #[test]
    fn a_boundary_never_falls_inside_a_quoted_field() {
        let data = b"a,\"x\ny\",b\nc,\"say \"\"hi\"\"\n\",d\ne,f\n";
        assert_eq!(record_boundary(data), Some(data.len()));
        assert_eq!(record_boundary(b"a,\"x\ny"), None);
        assert_eq!(record_boundary(b"a,b\nc,\"open\n"), Some(4));
        // A quote inside an unquoted field is a literal character, as csv_core reads it.
        assert_eq!(record_boundary(b"a,b\"c\nd,e\n"), Some(10));
    }

    proptest! {
        /// A block without quotes, tokenised without csv_core, gives the records csv gives:
        /// blank lines, empty fields, CRLF and LF line ends, a last line without its end, a
        /// lone carriage return (which sends the block to csv_core).
        #[test]
        fn plain_blocks_read_as_csv_reads_them(
            cells in prop::collection::vec(prop_oneof![
                Just("".to_owned()), "[a-z0-9 ]{0,6}", Just("中文".to_owned()),
                // Bytes that differ from a comma only in their top bit (¬ is C2 AC).
                Just("¬，".to_owned()),
            ], 0..200),
            ends in prop::collection::vec(prop_oneof![Just(","), Just("\n"), Just("\r\n"), Just("\n\n")], 200),
            last in any::<bool>(),
            lone_cr in prop::bool::weighted(0.1),
        ) {
            let mut data = Vec::new();
            if lone_cr {
                data.extend_from_slice(b"a\rb,");
            }
            for (c, e) in cells.iter().zip(&ends) {
                data.extend_from_slice(c.as_bytes());
                data.extend_from_slice(e.as_bytes());
            }
            if last && !data.is_empty() {
                data.pop();
            }
            prop_assert_eq!(core_records(&data), records(&data));
        }

        /// Splitting at the boundaries gives exactly the records of reading the whole stream.
        #[test]
        fn splitting_never_changes_the_records(
            cells in prop::collection::vec(prop_oneof![
                Just("".to_owned()), "[a-z0-9 ]{0,6}", Just("\"q\"".to_owned()), Just("\"a,b\"".to_owned()),
                Just("\"line\nbreak\"".to_owned()), Just("\"x\"\"y\"".to_owned()), Just("a\"b".to_owned()), Just("\r".to_owned()),
            ], 0..200),
            width in 1usize..6,
            cut in 4usize..64,
        ) {
            let mut data = Vec::new();
            for (i, c) in cells.iter().enumerate() {
                data.extend_from_slice(c.as_bytes());
                data.push(if (i + 1) % width == 0 { b'\n' } else { b',' });
            }
            prop_assert_eq!(via_blocks(&data, cut), records(&data));
        }
    }
}
