//! Identity types that parse rather than validate: the unified social credit code and the industry code.

use std::fmt;

/// The characters of GB 32100-2015, in the order of their code values (no I, O, S, V, Z).
const USCC_CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of positions 1–17: 3^(i-1) mod 31.
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A unified social credit code (统一社会信用代码), normalised: trimmed, upper-cased, check character verified.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(into = "String")]
pub struct Uscc([u8; 18]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("must have 18 characters, has {0}")]
    Length(usize),
    #[error("has a space inside the code")]
    Space,
    #[error("has {0:?} at position {1}, which GB 32100-2015 does not use")]
    Char(char, usize),
    #[error("has check character {found}, GB 32100-2015 gives {expected}")]
    Check { found: char, expected: char },
}

fn uscc_value(c: u8) -> Option<u32> {
    match USCC_VALUES[usize::from(c)] {
        NOT_USCC => None,
        v => Some(u32::from(v)),
    }
}

const NOT_USCC: u8 = u8::MAX;
/// Each byte's place in `USCC_CHARSET`, or `NOT_USCC`: one lookup instead of a search of the
/// charset, for the 53 characters a row's code is read, checked and keyed by.
const USCC_VALUES: [u8; 256] = {
    let mut t = [NOT_USCC; 256];
    let mut i = 0;
    while i < USCC_CHARSET.len() {
        t[USCC_CHARSET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

impl Uscc {
    /// All zeros, which passes the check: a scratch value while a row's identity is being read.
    pub(crate) const PLACEHOLDER: Uscc = Uscc([b'0'; 18]);

    pub fn parse(s: &str) -> Result<Uscc, UsccError> {
        // The common case in one pass: 18 bytes of the charset (either case) and nothing around
        // them, checked as they are read. Anything else, or a wrong check character, is read
        // again below, which says what is wrong.
        if let Ok(raw) = <&[u8; 18]>::try_from(s.as_bytes()) {
            let mut b = [0u8; 18];
            let mut sum = 0u32;
            let mut known = true;
            for (i, &c) in raw.iter().enumerate() {
                let c = c.to_ascii_uppercase();
                let v = USCC_VALUES[usize::from(c)];
                known &= v != NOT_USCC;
                b[i] = c;
                if let Some(w) = USCC_WEIGHTS.get(i) {
                    sum += u32::from(v) * w;
                }
            }
            if known && b[17] == Self::check_for(sum) {
                return Ok(Uscc(b));
            }
        }
        Self::parse_any(s)
    }

    /// `parse` for any text, step by step: trimmed, then its length, characters and check.
    fn parse_any(s: &str) -> Result<Uscc, UsccError> {
        let t = s.trim();
        if t.chars().any(char::is_whitespace) {
            return Err(UsccError::Space);
        }
        let n = t.chars().count();
        if n != 18 || t.len() != 18 {
            return Err(UsccError::Length(n));
        }
        let mut b = [0u8; 18];
        for (i, c) in t.bytes().enumerate() {
            let c = c.to_ascii_uppercase();
            if uscc_value(c).is_none() {
                return Err(UsccError::Char(c as char, i + 1));
            }
            b[i] = c;
        }
        let expected = Self::check_char(&b[..17]);
        if b[17] != expected {
            return Err(UsccError::Check {
                found: b[17] as char,
                expected: expected as char,
            });
        }
        Ok(Uscc(b))
    }

    /// The check character for the first 17 characters (which must be in the charset).
    pub fn check_char(first17: &[u8]) -> u8 {
        let sum: u32 = first17
            .iter()
            .zip(USCC_WEIGHTS)
            .map(|(&c, w)| uscc_value(c).unwrap_or(0) * w)
            .sum();
        Self::check_for(sum)
    }

    /// The check character for the weighted sum of the first 17 characters' values.
    fn check_for(sum: u32) -> u8 {
        USCC_CHARSET[((31 - sum % 31) % 31) as usize]
    }

    /// Builds a valid code from 17 characters of the charset, appending the check character.
    pub fn with_check(first17: &[u8; 17]) -> Option<Uscc> {
        if first17.iter().any(|&c| uscc_value(c).is_none()) {
            return None;
        }
        let mut b = [0u8; 18];
        b[..17].copy_from_slice(first17);
        b[17] = Self::check_char(first17);
        Some(Uscc(b))
    }

    /// The code as one number (base 31, 18 digits < 2^90): a compact key for sets and sorting.
    pub fn key(&self) -> u128 {
        // Each half's nine digits fit a u64 (31⁹ < 2⁵⁰): two folds in 64 bits and one product
        // in 128, the same number as one fold of all eighteen in 128 bits.
        let half = |digits: &[u8]| {
            digits
                .iter()
                .fold(0u64, |k, &c| k * 31 + u64::from(uscc_value(c).unwrap_or(0)))
        };
        let (high, low) = self.0.split_at(9);
        u128::from(half(high)) * 31u128.pow(9) + u128::from(half(low))
    }

    /// The code whose `key` this is.
    pub fn from_key(mut k: u128) -> Uscc {
        let mut b = [b'0'; 18];
        for i in (0..18).rev() {
            b[i] = USCC_CHARSET[(k % 31) as usize];
            k /= 31;
        }
        Uscc(b)
    }

    /// The code's 18 ASCII bytes (no check needed, unlike `as_str`).
    pub fn as_bytes(&self) -> &[u8; 18] {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        // Only charset bytes are ever stored, all ASCII.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl fmt::Debug for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uscc({})", self.as_str())
    }
}
impl From<Uscc> for String {
    fn from(u: Uscc) -> String {
        u.as_str().to_owned()
    }
}

/// A section (门类) of GB/T 4754-2017 with the two-digit divisions it covers.
#[derive(Debug, Clone, Copy)]
pub struct Section {
    pub letter: char,
    pub first: u8,
    pub last: u8,
    pub name_zh: &'static str,
    pub name_en: &'static str,
}

/// The 20 sections, the same table as `data/gbt4754-sections.csv` (checked by a test).
pub const SECTIONS: [Section; 20] = [
    Section {
        letter: 'A',
        first: 1,
        last: 5,
        name_zh: "农、林、牧、渔业",
        name_en: "Agriculture, forestry, animal husbandry and fishery",
    },
    Section {
        letter: 'B',
        first: 6,
        last: 12,
        name_zh: "采矿业",
        name_en: "Mining",
    },
    Section {
        letter: 'C',
        first: 13,
        last: 43,
        name_zh: "制造业",
        name_en: "Manufacturing",
    },
    Section {
        letter: 'D',
        first: 44,
        last: 46,
        name_zh: "电力、热力、燃气及水生产和供应业",
        name_en: "Electricity, heat, gas and water production and supply",
    },
    Section {
        letter: 'E',
        first: 47,
        last: 50,
        name_zh: "建筑业",
        name_en: "Construction",
    },
    Section {
        letter: 'F',
        first: 51,
        last: 52,
        name_zh: "批发和零售业",
        name_en: "Wholesale and retail trade",
    },
    Section {
        letter: 'G',
        first: 53,
        last: 60,
        name_zh: "交通运输、仓储和邮政业",
        name_en: "Transport, storage and postal services",
    },
    Section {
        letter: 'H',
        first: 61,
        last: 62,
        name_zh: "住宿和餐饮业",
        name_en: "Accommodation and catering",
    },
    Section {
        letter: 'I',
        first: 63,
        last: 65,
        name_zh: "信息传输、软件和信息技术服务业",
        name_en: "Information transmission, software and IT services",
    },
    Section {
        letter: 'J',
        first: 66,
        last: 69,
        name_zh: "金融业",
        name_en: "Finance",
    },
    Section {
        letter: 'K',
        first: 70,
        last: 70,
        name_zh: "房地产业",
        name_en: "Real estate",
    },
    Section {
        letter: 'L',
        first: 71,
        last: 72,
        name_zh: "租赁和商务服务业",
        name_en: "Leasing and business services",
    },
    Section {
        letter: 'M',
        first: 73,
        last: 75,
        name_zh: "科学研究和技术服务业",
        name_en: "Scientific research and technical services",
    },
    Section {
        letter: 'N',
        first: 76,
        last: 79,
        name_zh: "水利、环境和公共设施管理业",
        name_en: "Water conservancy, environment and public facilities management",
    },
    Section {
        letter: 'O',
        first: 80,
        last: 82,
        name_zh: "居民服务、修理和其他服务业",
        name_en: "Resident services, repair and other services",
    },
    Section {
        letter: 'P',
        first: 83,
        last: 83,
        name_zh: "教育",
        name_en: "Education",
    },
    Section {
        letter: 'Q',
        first: 84,
        last: 85,
        name_zh: "卫生和社会工作",
        name_en: "Health and social work",
    },
    Section {
        letter: 'R',
        first: 86,
        last: 90,
        name_zh: "文化、体育和娱乐业",
        name_en: "Culture, sports and entertainment",
    },
    Section {
        letter: 'S',
        first: 91,
        last: 96,
        name_zh: "公共管理、社会保障和社会组织",
        name_en: "Public administration, social security and social organisations",
    },
    Section {
        letter: 'T',
        first: 97,
        last: 97,
        name_zh: "国际组织",
        name_en: "International organisations",
    },
];

pub fn section_of_division(div: u8) -> Option<&'static Section> {
    SECTIONS.iter().find(|s| (s.first..=s.last).contains(&div))
}

pub fn section(letter: char) -> Option<&'static Section> {
    SECTIONS.iter().find(|s| s.letter == letter)
}

/// A GB/T 4754-2017 industry code: a section letter and 0, 2, 3 or 4 digits (division, group, class).
/// The letter is derived from the division when omitted.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct IndustryCode {
    section: char,
    /// Up to four digits, `len` of them used.
    digits: [u8; 4],
    len: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndustryError {
    #[error("is not a GB/T 4754-2017 code (a section letter and/or 2–4 digits)")]
    Shape,
    #[error("has division {0:02}, which GB/T 4754-2017 does not have")]
    NoDivision(u8),
    #[error("has section {0}, but division {1:02} belongs to section {2}")]
    Contradiction(char, u8, char),
    #[error("has section letter {0}, which GB/T 4754-2017 does not have")]
    NoSection(char),
}

impl IndustryCode {
    /// A scratch value while a row's identity is being read.
    pub(crate) const PLACEHOLDER: IndustryCode = IndustryCode {
        section: 'C',
        digits: [1, 3, 0, 0],
        len: 2,
    };

    pub fn parse(s: &str) -> Result<IndustryCode, IndustryError> {
        let t = s.trim();
        let mut chars = t.chars();
        let first = chars.next().ok_or(IndustryError::Shape)?;
        let (letter, rest) = if first.is_ascii_alphabetic() {
            (Some(first.to_ascii_uppercase()), &t[1..])
        } else {
            (None, t)
        };
        if !rest.bytes().all(|b| b.is_ascii_digit()) || rest.len() == 1 || rest.len() > 4 {
            return Err(IndustryError::Shape);
        }
        let mut digits = [0u8; 4];
        for (i, b) in rest.bytes().enumerate() {
            digits[i] = b - b'0';
        }
        let len = rest.len() as u8;
        if len == 0 {
            let l = letter.ok_or(IndustryError::Shape)?;
            section(l).ok_or(IndustryError::NoSection(l))?;
            return Ok(IndustryCode {
                section: l,
                digits,
                len,
            });
        }
        let div = digits[0] * 10 + digits[1];
        let sec = section_of_division(div).ok_or(IndustryError::NoDivision(div))?;
        if let Some(l) = letter {
            section(l).ok_or(IndustryError::NoSection(l))?;
            if l != sec.letter {
                return Err(IndustryError::Contradiction(l, div, sec.letter));
            }
        }
        Ok(IndustryCode {
            section: sec.letter,
            digits,
            len,
        })
    }

    /// The code as ASCII bytes (`C3981`) without allocating: the buffer and its used length.
    pub fn code_bytes(&self) -> ([u8; 5], usize) {
        let mut b = [0u8; 5];
        b[0] = self.section as u8;
        for (i, d) in self.digits[..self.len as usize].iter().enumerate() {
            b[i + 1] = b'0' + d;
        }
        (b, 1 + self.len as usize)
    }

    pub fn section(&self) -> char {
        self.section
    }
    /// The two-digit division, if given.
    pub fn division(&self) -> Option<u8> {
        (self.len >= 2).then(|| self.digits[0] * 10 + self.digits[1])
    }
    /// The three-digit group, if given.
    pub fn group(&self) -> Option<u16> {
        (self.len >= 3)
            .then(|| u16::from(self.division().unwrap_or(0)) * 10 + u16::from(self.digits[2]))
    }
    /// The four-digit class, if given.
    pub fn class(&self) -> Option<u16> {
        (self.len >= 4).then(|| self.group().unwrap_or(0) * 10 + u16::from(self.digits[3]))
    }
}

impl fmt::Display for IndustryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.section)?;
        for d in &self.digits[..self.len as usize] {
            write!(f, "{d}")?;
        }
        Ok(())
    }
}
impl fmt::Debug for IndustryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IndustryCode({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_has_its_place_in_the_charset_or_none() {
        for b in 0..=u8::MAX {
            let place = USCC_CHARSET.iter().position(|&x| x == b).map(|p| p as u32);
            assert_eq!(uscc_value(b), place, "byte {b}");
        }
    }

    #[test]
    fn a_valid_uscc_is_normalised_and_a_wrong_check_character_is_named() {
        let u = Uscc::with_check(b"91330106MA2B3C4D5").map(|u| u.to_string());
        let good = u.unwrap_or_default();
        assert_eq!(
            Uscc::parse(&format!("  {}  ", good.to_lowercase())).map(|u| u.to_string()),
            Ok(good.clone())
        );
        let mut bad = good.clone().into_bytes();
        bad[17] = if bad[17] == b'0' { b'1' } else { b'0' };
        let bad = String::from_utf8(bad).unwrap_or_default();
        assert!(matches!(Uscc::parse(&bad), Err(UsccError::Check { .. })));
    }

    #[test]
    fn the_sample_code_printed_in_gb_32100_passes_its_check() {
        assert!(Uscc::parse("91350100M000100Y43").is_ok());
    }

    proptest::proptest! {
        /// The one-pass reading of a plain code agrees with the step-by-step one on any text
        /// near a code (either case, spaces, letters outside the charset) and, after its first
        /// 17 characters, every possible 18th: one of them is the right check character.
        #[test]
        fn a_code_read_in_one_pass_is_read_as_step_by_step(
            chars in proptest::collection::vec(
                proptest::sample::select(b"0123456789ABCDEFGHJKLMNPQRTUWXYabcdxyIOSVZ -\t".to_vec()),
                16..=19,
            ),
        ) {
            let s = String::from_utf8(chars).unwrap_or_default();
            let mut texts = vec![s.clone()];
            if let Some(first) = s.get(..17) {
                texts.extend(USCC_CHARSET.iter().map(|&c| format!("{first}{}", c as char)));
            }
            for t in &texts {
                proptest::prop_assert_eq!(Uscc::parse(t), Uscc::parse_any(t));
                if let Ok(u) = Uscc::parse(t) {
                    let fold = u.as_bytes().iter().fold(0u128, |k, &c| {
                        k * 31 + u128::from(uscc_value(c).unwrap_or(0))
                    });
                    proptest::prop_assert_eq!(u.key(), fold);
                }
            }
        }
    }

    #[test]
    fn the_numeric_key_of_a_code_is_unique_to_it() {
        let a = Uscc::with_check(b"91330106MA2B3C4D5").unwrap_or(Uscc::PLACEHOLDER);
        let b = Uscc::with_check(b"91330106MA2B3C4D6").unwrap_or(Uscc::PLACEHOLDER);
        assert_ne!(a.key(), b.key());
        assert_eq!(Uscc::PLACEHOLDER.key(), 0);
        assert_eq!(Uscc::from_key(a.key()), a);
        assert!(
            Uscc::parse("YYYYYYYYYYYYYYYYY0").is_err()
                || Uscc::with_check(b"YYYYYYYYYYYYYYYYY").is_some_and(|u| u.key() < 1u128 << 90)
        );
    }

    #[test]
    fn a_uscc_with_a_space_inside_or_a_forbidden_letter_is_refused() {
        assert_eq!(Uscc::parse("91330100 99655058B"), Err(UsccError::Space));
        assert!(matches!(
            Uscc::parse("91330100799655058I"),
            Err(UsccError::Char('I', 18))
        ));
        assert_eq!(Uscc::parse("9133"), Err(UsccError::Length(4)));
    }

    #[test]
    fn industry_letter_is_derived_and_contradictions_are_refused() {
        let c = IndustryCode::parse("3981");
        assert_eq!(c.map(|c| c.to_string()), Ok("C3981".into()));
        assert_eq!(
            IndustryCode::parse("i6513").map(|c| c.group()),
            Ok(Some(651))
        );
        assert_eq!(
            IndustryCode::parse("C6513"),
            Err(IndustryError::Contradiction('C', 65, 'I'))
        );
        assert_eq!(
            IndustryCode::parse("9901"),
            Err(IndustryError::NoDivision(99))
        );
        assert_eq!(IndustryCode::parse("00"), Err(IndustryError::NoDivision(0)));
        assert_eq!(IndustryCode::parse("C1"), Err(IndustryError::Shape));
        assert_eq!(IndustryCode::parse("G").map(|c| c.division()), Ok(None));
        assert_eq!(IndustryCode::parse("W"), Err(IndustryError::NoSection('W')));
    }

    #[test]
    fn the_section_table_matches_the_reference_data_file() {
        let csv = include_str!("../data/gbt4754-sections.csv");
        let rows: Vec<&str> = csv.lines().skip(1).filter(|l| !l.is_empty()).collect();
        assert_eq!(rows.len(), SECTIONS.len());
        for (row, s) in rows.iter().zip(SECTIONS.iter()) {
            let f: Vec<&str> = row.splitn(5, ',').collect();
            assert_eq!(f[0], s.letter.to_string());
            assert_eq!(f[1].parse::<u8>().ok(), Some(s.first));
            assert_eq!(f[2].parse::<u8>().ok(), Some(s.last));
            assert_eq!(f[3], s.name_zh);
        }
    }
}
