//! Splitting a CSV stream into blocks of whole records, so that blocks can be tokenised in parallel.
//!
//! The `csv` crate does all the tokenising; this module only decides where a block may end: at a
//! line end outside any quoted field. A block without a quote character can end at any line end
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

    /// Reads from the stream into `buf` until it holds `want` bytes or the stream ends.
    fn fill_into(&mut self, buf: &mut Vec<u8>, want: usize) -> std::io::Result<()> {
        let mut len = buf.len();
        buf.resize(want, 0);
        while len < want {
            match self.r.read(&mut buf[len..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(k) => len += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    buf.truncate(len);
                    return Err(e);
                }
            }
        }
        buf.truncate(len);
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
}

/// Tokenises a block of whole records with `csv_core` (the `csv` crate's own tokenizer, used on the
/// slice directly so that no byte is copied into a reader's buffer) and calls `f` with each
/// record's field bytes and field end offsets. Returns the number of records. Blank lines are
/// skipped, as the `csv` crate skips them.
pub fn for_each_record(block: &[u8], s: &mut Scratch, mut f: impl FnMut(&[u8], &[usize])) -> usize {
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
                f(&s.out[..nout], &s.ends[..nend]);
                records += 1;
                nout = 0;
                nend = 0;
            }
            End => return records,
        }
    }
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
        for_each_record(data, &mut Scratch::default(), |bytes, ends| {
            let mut start = 0;
            out.push(
                ends.iter()
                    .map(|&e| {
                        let f = bytes[start..e].to_vec();
                        start = e;
                        f
                    })
                    .collect(),
            );
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
