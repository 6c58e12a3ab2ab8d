//! The password policy, applied wherever a password is set: the command line, the demo, and a
//! user changing their own. Length, more than one kind of character, and none of the passwords
//! that people (and the attackers who guess for them) use most.

/// The fewest and the most characters a password may have.
pub const MIN_CHARS: usize = 10;
pub const MAX_CHARS: usize = 128;

/// Why a password is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weak {
    TooShort,
    TooLong,
    /// Only one kind of character (only digits, only lower-case letters, …).
    OneKind,
    /// One of the most used passwords, or the account's own name in it.
    Common,
}

impl Weak {
    /// The reason, in the reader's language.
    pub fn message(self) -> String {
        match self {
            Weak::TooShort => crate::i18n::f("密码至少需要 {} 个字符", &[&MIN_CHARS]),
            Weak::TooLong => crate::i18n::f("密码最多 {} 个字符", &[&MAX_CHARS]),
            Weak::OneKind => {
                crate::i18n::t("密码须包含至少两类字符（小写字母、大写字母、数字、其他字符）")
                    .to_owned()
            }
            Weak::Common => crate::i18n::t("这个密码过于常见或包含用户名，容易被猜中").to_owned(),
        }
    }

    /// The reason in English, for the command line.
    pub fn english(self) -> String {
        match self {
            Weak::TooShort => format!("the password must have at least {MIN_CHARS} characters"),
            Weak::TooLong => format!("the password may have at most {MAX_CHARS} characters"),
            Weak::OneKind => "the password must mix at least two kinds of characters (lower-case, upper-case, digits, others)".into(),
            Weak::Common => "the password is too common, or contains the user name".into(),
        }
    }
}

/// Passwords of ten characters or more that lists of leaked passwords show most often (and their
/// obvious variants are caught by the normalisation below).
const COMMON: &[&str] = &[
    "1234567890",
    "12345678910",
    "123456789a",
    "a123456789",
    "aa123456789",
    "abc1234567",
    "abc123456789",
    "abcd123456",
    "abcd1234567",
    "qwerty1234",
    "qwerty12345",
    "qwerty123456",
    "qwertyuiop",
    "qwertyuiop123",
    "1qaz2wsx3edc",
    "1q2w3e4r5t",
    "1q2w3e4r5t6y",
    "q1w2e3r4t5",
    "zaq12wsxcde3",
    "zxcvbnm123",
    "zxcvbnm12345",
    "asdfghjkl123",
    "password12",
    "password123",
    "password1234",
    "passw0rd123",
    "p@ssw0rd123",
    "iloveyou123",
    "woaini1314",
    "woaini520",
    "woaini1314520",
    "5201314520",
    "1314520520",
    "wangyang123",
    "zhangwei123",
    "admin12345",
    "admin123456",
    "administrator",
    "welcome123",
    "welcome1234",
    "letmein123",
    "changeme123",
    "sunshine123",
    "football123",
    "baseball123",
    "princess123",
    "dragon1234",
    "monkey1234",
    "master12345",
    "superman123",
    "michael123",
    "qazwsxedc123",
    "1234qwerasdf",
    "123qweasdzxc",
    "qweasdzxc123",
    "test123456",
    "test1234567",
    "user123456",
    "root123456",
    "guest12345",
    "hangzhou123",
    "zhejiang123",
    "china12345",
    "china123456",
    "beijing2008",
    "zjtx123456",
];

/// Checks a password against the policy, for the account `username`.
pub fn check(password: &str, username: &str) -> Result<(), Weak> {
    let n = password.chars().count();
    if n < MIN_CHARS {
        return Err(Weak::TooShort);
    }
    if n > MAX_CHARS {
        return Err(Weak::TooLong);
    }
    let kinds = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if kinds.iter().filter(|k| **k).count() < 2 {
        return Err(Weak::OneKind);
    }
    let plain = password.to_lowercase();
    let name = username.trim().to_lowercase();
    // Two characters or fewer make up the whole password ("ababababab", "1a1a1a1a1a").
    let mut distinct: Vec<char> = plain.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() <= 2
        || COMMON.contains(&plain.as_str())
        || (name.chars().count() >= 3 && plain.contains(&name))
    {
        return Err(Weak::Common);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_refuses_short_one_kind_common_and_named_passwords() {
        let cases: &[(&str, Result<(), Weak>)] = &[
            ("short1", Err(Weak::TooShort)),
            ("aaaaaaaaaa", Err(Weak::OneKind)),
            ("1234567890123", Err(Weak::OneKind)),
            ("ababababab1", Ok(())),
            ("1a1a1a1a1a", Err(Weak::Common)),
            ("Password123", Err(Weak::Common)),
            ("woaini1314", Err(Weak::Common)),
            ("xihu-office-2026", Err(Weak::Common)),
            ("a-long-test-password", Ok(())),
            ("长江后浪推前浪abc", Ok(())),
        ];
        for (pw, want) in cases {
            assert_eq!(check(pw, "xihu"), *want, "{pw}");
        }
        assert_eq!(check(&"a1".repeat(65), "x"), Err(Weak::TooLong));
    }
}
