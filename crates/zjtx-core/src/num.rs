//! Exact numbers: money in 万元, bounded decimals, ratio thresholds, and the intervals that stand for
//! blank inputs.
//!
//! Money is a fixed-point decimal with four places (one unit is 0.0001 万元, one yuan), held in an
//! `i64`. That is exactly the precision the template allows, so nothing is rounded, and every
//! comparison of a ratio with a threshold is done by cross-multiplication in `i128`, never by
//! division. Inputs are bounded (`MAX_ABS`) so that no product can overflow. `rust_decimal` is the
//! bridge to the outside world (`Wan::to_decimal`), used where a decimal crosses a boundary.

use std::cmp::Ordering;
use std::fmt;

use rust_decimal::Decimal;

/// Units per whole: four decimal places.
pub const SCALE: i64 = 10_000;
/// The largest magnitude any decimal input may have, in units (10^11 万元, far beyond any firm).
/// With it, products of two values and a threshold stay inside `i128`.
pub const MAX_ABS: i64 = 100_000_000_000 * SCALE;
/// Parts per million: the scale of ratio thresholds.
pub const PPM: i128 = 1_000_000;

/// Why a decimal cell could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("is not a number")]
    NotANumber,
    #[error("has more than 4 decimal places")]
    TooPrecise,
    #[error("is out of range")]
    OutOfRange,
}

/// Parses a plain decimal (`-12.5`, `3`, `0.0001`) into units of 1/10000. No thousands separators,
/// no exponent: a bureau's spreadsheet value is either a plain number or a mistake to report.
#[inline(always)]
pub fn parse_fixed4(s: &str) -> Result<i64, DecimalError> {
    let b = s.as_bytes();
    let unsigned = b.strip_prefix(b"-").or_else(|| b.strip_prefix(b"+"));
    if let Some(v) = plain_fixed4(unsigned.unwrap_or(b)) {
        return Ok(if b.first() == Some(&b'-') { -v } else { v });
    }
    parse_fixed4_general(s)
}

/// Powers of ten that bring 0 to 4 decimal places to four.
const PAD: [i64; 5] = [10_000, 1_000, 100, 10, 1];

/// The common case of `parse_fixed4`, unsigned: at most 11 whole digits, an optional point and at
/// most 4 decimals, at least one digit. Such a number is always in range, so one pass with no
/// checks reads it; anything else (`None`) goes to the general parser, which says what is wrong.
#[inline(always)]
fn plain_fixed4(d: &[u8]) -> Option<i64> {
    fixed4_prefix(d).and_then(|(v, n)| (n == d.len()).then_some(v))
}

/// `plain_fixed4` of the bytes of `d` up to its first comma (all of it if it has none), with
/// their number: how a line's cells of numbers are read where they lie (`quick`). The whole
/// digits, then the decimals, each in a loop of its own with its own bound.
#[inline(always)]
fn fixed4_prefix(d: &[u8]) -> Option<(i64, usize)> {
    let digit = |n: usize| d.get(n).map(|c| c.wrapping_sub(b'0')).filter(|&x| x <= 9);
    let mut v: i64 = 0;
    let mut n = 0;
    while let Some(x) = digit(n) {
        // At most 11 whole digits: no overflow.
        if n == 11 {
            return None;
        }
        v = v * 10 + i64::from(x);
        n += 1;
    }
    let whole = n;
    let mut decimals = 0;
    if d.get(n) == Some(&b'.') {
        n += 1;
        while let Some(x) = digit(n) {
            if decimals == 4 {
                return None;
            }
            v = v * 10 + i64::from(x);
            decimals += 1;
            n += 1;
        }
    }
    if !matches!(d.get(n), None | Some(b',')) || whole + decimals == 0 {
        return None;
    }
    Some((v * PAD[decimals], n))
}

/// `parse_fixed4` for any text: the first fault found, in reading order, is the error.
#[cold]
fn parse_fixed4_general(s: &str) -> Result<i64, DecimalError> {
    let b = s.as_bytes();
    if b.is_empty() {
        return Err(DecimalError::NotANumber);
    }
    let (neg, digits) = match b[0] {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() {
        return Err(DecimalError::NotANumber);
    }
    let mut int: i64 = 0;
    let mut frac: i64 = 0;
    let mut frac_digits = 0u32;
    let mut seen_dot = false;
    let mut seen_digit = false;
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                seen_digit = true;
                let d = i64::from(c - b'0');
                if seen_dot {
                    if frac_digits == 4 {
                        if d != 0 {
                            return Err(DecimalError::TooPrecise);
                        }
                        continue;
                    }
                    frac = frac * 10 + d;
                    frac_digits += 1;
                } else {
                    int = int
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(d))
                        .ok_or(DecimalError::OutOfRange)?;
                    if int > MAX_ABS / SCALE {
                        return Err(DecimalError::OutOfRange);
                    }
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => return Err(DecimalError::NotANumber),
        }
    }
    if !seen_digit {
        return Err(DecimalError::NotANumber);
    }
    while frac_digits < 4 {
        frac *= 10;
        frac_digits += 1;
    }
    let v = int * SCALE + frac;
    if v > MAX_ABS {
        return Err(DecimalError::OutOfRange);
    }
    Ok(if neg { -v } else { v })
}

/// The parts of units of 1/10000 as the shortest exact decimal: negative, the whole part, and
/// the decimals (without trailing zeros) with their width, when there are any.
fn shortest(units: i64) -> (bool, u64, Option<(u64, usize)>) {
    let a = units.unsigned_abs();
    let (int, mut frac) = (a / SCALE as u64, a % SCALE as u64);
    if frac == 0 {
        return (units < 0, int, None);
    }
    let mut width = 4;
    while frac.is_multiple_of(10) {
        frac /= 10;
        width -= 1;
    }
    (units < 0, int, Some((frac, width)))
}

/// Writes units of 1/10000 as the shortest exact decimal (`72`, `72.5`, `-0.0001`).
pub fn fmt_fixed4(units: i64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let (neg, int, frac) = shortest(units);
    let sign = if neg { "-" } else { "" };
    match frac {
        None => write!(f, "{sign}{int}"),
        Some((frac, width)) => write!(f, "{sign}{int}.{frac:0width$}"),
    }
}

/// The most bytes `write_fixed4` writes: a sign, the whole part's 15 digits (`i64::MIN` has
/// 922,337,203,685,477 whole units), a point and 4 decimals.
pub const FIXED4_MAX: usize = 21;

/// Writes units of 1/10000 as `fmt_fixed4` writes them at the start of `out` (which must hold
/// `FIXED4_MAX` bytes or more) and returns how many bytes it wrote: for writers of millions of
/// numbers, where going through `fmt` costs more than the digits.
pub fn write_fixed4(out: &mut [u8], units: i64) -> usize {
    let a = units.unsigned_abs();
    let (int, frac) = (a / SCALE as u64, (a % SCALE as u64) as u32);
    let mut at = 0;
    if units < 0 {
        out[0] = b'-';
        at = 1;
    }
    at += write_whole(&mut out[at..], int);
    if frac != 0 {
        // The four decimals, then as many as are not trailing zeros.
        let digits = [
            b'0' + (frac / 1000) as u8,
            b'0' + (frac / 100 % 10) as u8,
            b'0' + (frac / 10 % 10) as u8,
            b'0' + (frac % 10) as u8,
        ];
        let width = if frac % 1000 == 0 {
            1
        } else if frac % 100 == 0 {
            2
        } else if frac % 10 == 0 {
            3
        } else {
            4
        };
        out[at] = b'.';
        out[at + 1..at + 1 + width].copy_from_slice(&digits[..width]);
        at += 1 + width;
    }
    at
}

/// Writes `n` in decimal at the start of `out` and returns how many digits it wrote; numbers
/// below 100, as most scores' whole parts are, without a loop.
fn write_whole(out: &mut [u8], mut n: u64) -> usize {
    match n {
        0..10 => {
            out[0] = b'0' + n as u8;
            1
        }
        10..100 => {
            out[..2].copy_from_slice(&[b'0' + (n / 10) as u8, b'0' + (n % 10) as u8]);
            2
        }
        _ => {
            let len = n.ilog10() as usize + 1;
            for d in out[..len].iter_mut().rev() {
                *d = b'0' + (n % 10) as u8;
                n /= 10;
            }
            len
        }
    }
}

/// Rounds units of 1/10000 to two decimals, half away from zero (the output contract for scores).
pub fn round2(units: i64) -> i64 {
    let q = 100;
    let r = units % q;
    let base = units - r;
    if r.abs() * 2 >= q {
        base + q * units.signum()
    } else {
        base
    }
}

macro_rules! fixed4_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(i64);

        impl $name {
            pub const ZERO: $name = $name(0);
            /// The value in units of 1/10000.
            pub const fn units(self) -> i64 {
                self.0
            }
            /// From units of 1/10000; `None` outside the accepted range.
            pub const fn from_units(u: i64) -> Option<$name> {
                if u > MAX_ABS || u < -MAX_ABS { None } else { Some($name(u)) }
            }
            /// From a whole number.
            pub const fn whole(n: i64) -> $name {
                $name(n * SCALE)
            }
            /// A cell at the start of the rest of a line, in its common form (unsigned, at
            /// most 11 whole digits and 4 decimals) and ending at a comma or the line's end: the
            /// value and the cell's length. `None` for any other cell, which `parse` reads (to
            /// the same value where this one reads it).
            #[inline(always)]
            pub(crate) fn quick(b: &[u8]) -> Option<($name, usize)> {
                fixed4_prefix(b).map(|(v, n)| ($name(v), n))
            }
            #[inline(always)]
            pub fn parse(s: &str) -> Result<$name, DecimalError> {
                parse_fixed4(s).map($name)
            }
            /// The exact value as a `rust_decimal::Decimal`.
            pub fn to_decimal(self) -> Decimal {
                Decimal::new(self.0, 4).normalize()
            }
            /// From a decimal with at most four places.
            pub fn from_decimal(d: Decimal) -> Result<$name, DecimalError> {
                if d.scale() > 4 && d.normalize().scale() > 4 {
                    return Err(DecimalError::TooPrecise);
                }
                let units = (d * Decimal::from(SCALE)).trunc();
                let u: i64 = units.try_into().map_err(|_| DecimalError::OutOfRange)?;
                $name::from_units(u).ok_or(DecimalError::OutOfRange)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt_fixed4(self.0, f)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt_fixed4(self.0, f)
            }
        }
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<$name, String> {
                $name::parse(s.trim()).map_err(|e| format!("{s:?} {e}"))
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.to_string()
            }
        }
    };
}

fixed4_type!(
    /// An amount of money in 万元 (10,000 yuan), exact to four decimals.
    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(try_from = "String", into = "String")]
    Wan
);
fixed4_type!(
    /// A bounded decimal such as a market share in percent or a points score, exact to four decimals.
    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(try_from = "String", into = "String")]
    Dec4
);

/// A ratio threshold in parts per million, written in rule files as a percentage (`"3%"`).
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize, serde::Serialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Ppm(pub i64);

impl Ppm {
    /// Parses `"3%"`, `"12.5%"` or a plain fraction `"0.03"`.
    pub fn parse(s: &str) -> Result<Ppm, DecimalError> {
        let s = s.trim();
        if let Some(p) = s.strip_suffix('%') {
            // percent with four decimals = ppm / 100
            // four-decimal percent units are exactly parts per million (1% = 10 000 ppm)
            parse_fixed4(p.trim()).map(Ppm)
        } else {
            parse_fixed4(s).map(|u| Ppm(u * 100))
        }
    }
    /// `1 + self`, as used to turn a growth rate into a ratio of two years.
    pub fn one_plus(self) -> Ppm {
        Ppm(1_000_000 + self.0)
    }
}

/// Shown as a percentage with up to four decimals: `3%`, `12.5%`.
impl fmt::Display for Ppm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_fixed4(self.0, f)?;
        f.write_str("%")
    }
}
impl fmt::Debug for Ppm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
impl TryFrom<String> for Ppm {
    type Error = String;
    fn try_from(s: String) -> Result<Ppm, String> {
        Ppm::parse(&s).map_err(|e| format!("{s:?} {e}"))
    }
}
impl From<Ppm> for String {
    fn from(v: Ppm) -> String {
        v.to_string()
    }
}

/// A percentage held as units of 1/10000 percent (1% = 10000), shown with at most two decimals.
pub struct PctDisplay(pub i128);
impl fmt::Display for PctDisplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = i64::try_from(self.0).unwrap_or(i64::MAX);
        fmt_fixed4(round2(v), f)
    }
}

/// The closed range of values a number can take: a known value is `[v, v]`, a blank one spans its
/// field's whole domain. `INF`/`NEG_INF` mark an unbounded end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Iv {
    pub lo: i64,
    pub hi: i64,
}

pub const INF: i64 = i64::MAX;
pub const NEG_INF: i64 = i64::MIN;

impl Iv {
    pub const fn point(v: i64) -> Iv {
        Iv { lo: v, hi: v }
    }
    /// A blank non-negative amount or count.
    pub const NONNEG: Iv = Iv { lo: 0, hi: INF };
    /// A blank signed amount.
    pub const ANY: Iv = Iv {
        lo: NEG_INF,
        hi: INF,
    };
    pub fn known(self) -> Option<i64> {
        (self.lo == self.hi).then_some(self.lo)
    }
    pub fn is_blank(self) -> bool {
        self.lo != self.hi
    }
    /// The part of the range at or above `t` (for splitting a range into branches); `None` if empty.
    pub fn at_least(self, t: i64) -> Option<Iv> {
        (self.hi >= t).then(|| Iv {
            lo: self.lo.max(t),
            hi: self.hi,
        })
    }
    /// The part of the range strictly below `t`.
    pub fn below(self, t: i64) -> Option<Iv> {
        (self.lo < t).then(|| Iv {
            lo: self.lo,
            hi: self.hi.min(t - 1),
        })
    }
}

impl std::ops::Add for Iv {
    type Output = Iv;
    /// Sum of two ranges (each end saturates at infinity).
    fn add(self, o: Iv) -> Iv {
        let lo = if self.lo == NEG_INF || o.lo == NEG_INF {
            NEG_INF
        } else {
            self.lo + o.lo
        };
        let hi = if self.hi == INF || o.hi == INF {
            INF
        } else {
            self.hi + o.hi
        };
        Iv { lo, hi }
    }
}

/// Two-valued facts about what a condition can turn out to be over the blanks' ranges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Can {
    pub hold: bool,
    pub fail: bool,
}

impl Can {
    pub const fn known(b: bool) -> Can {
        Can { hold: b, fail: !b }
    }
    pub const EITHER: Can = Can {
        hold: true,
        fail: true,
    };
    /// A blank boolean can be either; a known one is itself.
    pub fn of(b: Option<bool>) -> Can {
        b.map_or(Can::EITHER, Can::known)
    }
    /// Neither outcome: the start of a `union`.
    pub const NEITHER: Can = Can {
        hold: false,
        fail: false,
    };
    /// The outcomes of a condition over the values a blank may take: what any of them can give.
    pub fn union(self, o: Can) -> Can {
        Can {
            hold: self.hold || o.hold,
            fail: self.fail || o.fail,
        }
    }
    /// Both, for conditions on independent inputs (exact).
    pub fn and(self, o: Can) -> Can {
        Can {
            hold: self.hold && o.hold,
            fail: self.fail || o.fail,
        }
    }
    /// Either, for conditions on independent inputs (exact).
    pub fn or(self, o: Can) -> Can {
        Can {
            hold: self.hold || o.hold,
            fail: self.fail && o.fail,
        }
    }
}

impl std::ops::Not for Can {
    type Output = Can;
    fn not(self) -> Can {
        Can {
            hold: self.fail,
            fail: self.hold,
        }
    }
}

/// An end of a ratio's range: a fraction `n/d` with `d > 0`, or an infinity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    NegInf,
    Frac(i128, i128),
    PosInf,
}

/// A rational threshold `n / d` (`d > 0`) for a ratio.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thr {
    pub n: i128,
    pub d: i128,
}

impl From<Ppm> for Thr {
    fn from(t: Ppm) -> Thr {
        Thr {
            n: t.0.into(),
            d: PPM,
        }
    }
}

impl Thr {
    /// `(1 + g)²`, the ratio over two years that a compound growth rate `g` implies.
    pub fn compound2(g: Ppm) -> Thr {
        let b = PPM + i128::from(g.0);
        Thr {
            n: b * b,
            d: PPM * PPM,
        }
    }
    /// `1 + g`, the ratio of two years that a growth rate `g` implies.
    pub fn growth(g: Ppm) -> Thr {
        Thr {
            n: PPM + i128::from(g.0),
            d: PPM,
        }
    }
}

impl End {
    /// Compares this end with a threshold, exactly.
    pub fn cmp_thr(self, t: Thr) -> Ordering {
        match self {
            End::NegInf => Ordering::Less,
            End::PosInf => Ordering::Greater,
            End::Frac(n, d) => (n * t.d).cmp(&(t.n * d)),
        }
    }
    /// Compares this end with a threshold in ppm, exactly.
    pub fn cmp_ppm(self, t: Ppm) -> Ordering {
        self.cmp_thr(t.into())
    }
    /// Half of the sum of two ends (for a two-year average).
    pub fn half_sum(self, o: End) -> End {
        match (self, o) {
            (End::NegInf, _) | (_, End::NegInf) => End::NegInf,
            (End::PosInf, _) | (_, End::PosInf) => End::PosInf,
            (End::Frac(a, b), End::Frac(c, d)) => End::Frac(a * d + c * b, 2 * b * d),
        }
    }
    /// The value in units of 1/10000 percent, for display (saturating).
    pub fn pct_units(self) -> Option<i128> {
        match self {
            End::Frac(n, d) => Some(n * 1_000_000 / d),
            _ => None,
        }
    }
}

/// The range of a ratio `num / den` over the blanks (`den ≥ 0` always). The ratio is undefined
/// where the denominator is 0; `undef` says whether that can happen, `def` whether a defined value can.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RatioRange {
    pub undef: bool,
    pub def: bool,
    pub inf: End,
    pub sup: End,
}

impl RatioRange {
    pub fn of(num: Iv, den: Iv) -> RatioRange {
        let undef = den.lo <= 0;
        let def = den.hi > 0;
        let den_min_pos = den.lo.max(1);
        let inf = if num.lo == NEG_INF {
            End::NegInf
        } else if num.lo < 0 {
            End::Frac(num.lo.into(), den_min_pos.into())
        } else if den.hi == INF {
            End::Frac(0, 1)
        } else {
            End::Frac(num.lo.into(), den.hi.max(1).into())
        };
        let sup = if num.hi == INF {
            End::PosInf
        } else if num.hi > 0 {
            End::Frac(num.hi.into(), den_min_pos.into())
        } else if den.hi == INF {
            End::Frac(0, 1)
        } else {
            End::Frac(num.hi.into(), den.hi.max(1).into())
        };
        RatioRange {
            undef,
            def,
            inf,
            sup,
        }
    }
    /// The single value, when every input is known and the denominator is not 0.
    pub fn known(self) -> Option<End> {
        (!self.undef && self.inf == self.sup).then_some(self.inf)
    }
    /// `ratio ≥ t` (undefined fails).
    pub fn at_least(self, t: impl Into<Thr>) -> Can {
        let t = t.into();
        Can {
            hold: self.def && self.sup.cmp_thr(t) != Ordering::Less,
            fail: self.undef || (self.def && self.inf.cmp_thr(t) == Ordering::Less),
        }
    }
    /// `ratio ≤ t` (undefined fails).
    pub fn at_most(self, t: impl Into<Thr>) -> Can {
        let t = t.into();
        Can {
            hold: self.def && self.inf.cmp_thr(t) != Ordering::Greater,
            fail: self.undef || (self.def && self.sup.cmp_thr(t) == Ordering::Greater),
        }
    }

    /// The range of a two-year average growth `(g(Y) + g(Y-1)) / 2 + 1`, that is
    /// `(x/x1 + x1/x2) / 2`, over the blanks. `x1` appears on both sides, so a blank `x1` is handled
    /// on its own: it can be 0 (undefined) and can grow without bound (so can the average).
    pub fn avg_growth(x: Iv, x1: Iv, x2: Iv) -> RatioRange {
        if x1.is_blank() {
            return RatioRange {
                undef: true,
                def: x2.hi > 0 && x1.hi > 0,
                inf: End::Frac(0, 1),
                sup: End::PosInf,
            };
        }
        let a = RatioRange::of(x, x1);
        let b = RatioRange::of(x1, x2);
        RatioRange {
            undef: a.undef || b.undef,
            def: a.def && b.def,
            inf: a.inf.half_sum(b.inf),
            sup: a.sup.half_sum(b.sup),
        }
    }
}

/// `x ≥ t` over a range.
pub fn iv_at_least(x: Iv, t: i64) -> Can {
    Can {
        hold: x.hi >= t,
        fail: x.lo < t,
    }
}
/// `x ≤ t` over a range.
pub fn iv_at_most(x: Iv, t: i64) -> Can {
    Can {
        hold: x.lo <= t,
        fail: x.hi > t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]
        /// The quick path gives what the general parser gives, for any text of digits, points and
        /// signs (and a letter now and then): the same number or the same fault.
        #[test]
        fn the_quick_path_reads_as_the_general_parser(s in prop_oneof![
            "[-+]?[0-9.x]{0,18}",
            "[-+]?[0-9]{0,14}(\\.[0-9]{0,6})?",
        ]) {
            prop_assert_eq!(parse_fixed4(&s), parse_fixed4_general(&s));
        }
    }

    proptest! {
        /// Bytes written straight are the text `Display` writes, for any value in range.
        #[test]
        fn written_digits_are_the_displayed_text(units in -MAX_ABS..=MAX_ABS, small in -100_000i64..100_000) {
            for u in [units, small] {
                // Written into a larger array; nothing past what it says it wrote is touched.
                let mut out = [b'#'; FIXED4_MAX + 4];
                let n = write_fixed4(&mut out, u);
                prop_assert_eq!(std::str::from_utf8(&out[..n]).unwrap_or_default(), Dec4(u).to_string());
                prop_assert!(out[n..].iter().all(|&b| b == b'#'));
            }
        }
    }

    #[test]
    fn the_widest_numbers_fit_the_room_written_for_them() {
        for u in [i64::MIN, i64::MAX, i64::MIN + 1, -1, 0] {
            let mut out = [0u8; FIXED4_MAX];
            let n = write_fixed4(&mut out, u);
            assert_eq!(
                std::str::from_utf8(&out[..n]).ok(),
                Some(Dec4(u).to_string().as_str())
            );
        }
        let mut out = [0u8; FIXED4_MAX];
        assert_eq!(write_fixed4(&mut out, i64::MIN + 1), FIXED4_MAX);
    }

    #[test]
    fn the_quick_path_takes_the_common_numbers() {
        for (s, v) in [
            ("1361.99", 13_619_900),
            ("0", 0),
            (".5", 5_000),
            ("3.", 30_000),
        ] {
            assert_eq!(plain_fixed4(s.as_bytes()), Some(v), "{s}");
        }
        // Twelve whole digits or a fifth decimal go to the general parser, which checks them.
        assert_eq!(plain_fixed4(b"123456789012"), None);
        assert_eq!(plain_fixed4(b"1.00000"), None);
        assert_eq!(plain_fixed4(b"99999999999.9999"), Some(MAX_ABS - 1));
    }

    #[test]
    fn parsing_keeps_four_decimals_exactly_and_rejects_a_fifth() {
        assert_eq!(parse_fixed4("12.3456"), Ok(123_456));
        assert_eq!(parse_fixed4("-0.5"), Ok(-5_000));
        assert_eq!(parse_fixed4("7"), Ok(70_000));
        assert_eq!(parse_fixed4("1.00000"), Ok(10_000));
        assert_eq!(parse_fixed4("1.00001"), Err(DecimalError::TooPrecise));
        assert_eq!(parse_fixed4("12,3x"), Err(DecimalError::NotANumber));
        assert_eq!(parse_fixed4("."), Err(DecimalError::NotANumber));
        assert_eq!(parse_fixed4("1e5"), Err(DecimalError::NotANumber));
        assert_eq!(
            parse_fixed4("999999999999999999999"),
            Err(DecimalError::OutOfRange)
        );
    }

    #[test]
    fn display_is_the_shortest_exact_form() {
        assert_eq!(
            Wan::parse("72.50").map(|w| w.to_string()),
            Ok("72.5".into())
        );
        assert_eq!(
            Wan::parse("-0.0001").map(|w| w.to_string()),
            Ok("-0.0001".into())
        );
        assert_eq!(Wan::parse("100").map(|w| w.to_string()), Ok("100".into()));
    }

    #[test]
    fn rounding_to_two_decimals_goes_half_away_from_zero() {
        assert_eq!(round2(72_125), 72_100); // 7.2125 → 7.21
        assert_eq!(round2(72_150), 72_200); // 7.215 → 7.22
        assert_eq!(round2(50), 100); // 0.005 → 0.01
        assert_eq!(round2(-50), -100);
        assert_eq!(round2(49), 0);
    }

    #[test]
    fn percent_thresholds_parse_to_ppm() {
        assert_eq!(Ppm::parse("3%"), Ok(Ppm(30_000)));
        assert_eq!(Ppm::parse("12.5%"), Ok(Ppm(125_000)));
        assert_eq!(Ppm::parse("0.03"), Ok(Ppm(30_000)));
        assert_eq!(String::from(Ppm(125_000)), "12.5%");
    }

    #[test]
    fn a_ratio_with_a_blank_denominator_can_be_undefined_and_either_side() {
        let r = RatioRange::of(Iv::point(100), Iv::NONNEG);
        assert!(r.undef && r.def);
        assert_eq!(r.at_least(Ppm(30_000)), Can::EITHER);
        let zero_num = RatioRange::of(Iv::point(0), Iv::NONNEG);
        assert_eq!(
            zero_num.at_least(Ppm(30_000)),
            Can {
                hold: false,
                fail: true
            }
        );
    }

    #[test]
    fn a_known_ratio_on_its_threshold_meets_it() {
        let r = RatioRange::of(Iv::point(3), Iv::point(100));
        assert_eq!(r.at_least(Ppm(30_000)), Can::known(true));
        assert_eq!(r.at_most(Ppm(30_000)), Can::known(true));
        let r = RatioRange::of(Iv::point(3), Iv::point(101));
        assert_eq!(r.at_least(Ppm(30_000)), Can::known(false));
    }
}
