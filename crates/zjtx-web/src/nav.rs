//! The page header: who is signed in and which areas their role opens.

use zjtx_core::glossary;
use zjtx_store::Role;

use crate::auth::CurrentUser;
use crate::i18n::lang;

/// The signed-in user as the page header shows them.
pub struct Nav {
    pub username: String,
    pub role: &'static str,
    pub csrf: String,
    pub registry: bool,
    pub imports: bool,
    /// Declarations and batches (city, district, enterprise).
    pub declarations: bool,
    /// The expert pool (the city).
    pub experts: bool,
    /// The finance zone (everyone but providers and experts).
    pub finance: bool,
    /// Chain work (city, district, enterprise).
    pub chains: bool,
    /// Open challenges' work page (city, enterprise).
    pub challenges: bool,
    /// Funding programmes (city, district, enterprise).
    pub funds: bool,
    /// Digital service providers (city, provider).
    pub providers: bool,
    /// Monitoring: the two clearings (city, district).
    pub monitoring: bool,
    /// The path being read, so the header marks its area (`aria-current`).
    pub path: String,
    /// Messages not yet read (the badge beside 消息).
    pub unread: i64,
}

impl Nav {
    pub fn of(u: &CurrentUser) -> Nav {
        let role = glossary::role(u.user.role.key(), lang());
        Nav {
            username: u.user.username.clone(),
            role,
            // Masked afresh for every page (`auth::masked_csrf`).
            csrf: crate::auth::masked_csrf(&u.session.csrf),
            registry: u.sees_registry(),
            imports: matches!(u.user.role, Role::City | Role::District),
            declarations: matches!(u.user.role, Role::City | Role::District | Role::Enterprise),
            experts: u.user.role == Role::City,
            finance: !matches!(u.user.role, Role::Provider | Role::Expert),
            chains: matches!(u.user.role, Role::City | Role::District | Role::Enterprise),
            challenges: matches!(u.user.role, Role::City | Role::Enterprise),
            funds: matches!(u.user.role, Role::City | Role::District | Role::Enterprise),
            providers: matches!(u.user.role, Role::City | Role::Provider),
            monitoring: matches!(u.user.role, Role::City | Role::District),
            path: crate::i18n::path(),
            unread: u.session.unread,
        }
    }

    /// The badge's text: the count, or 99+ beyond it.
    pub fn unread_text(&self) -> String {
        if self.unread > 99 {
            "99+".to_owned()
        } else {
            self.unread.to_string()
        }
    }

    /// Whether the page read is in the area a header link opens (its first path segment; the
    /// declarations' area also holds `/declarations`).
    pub fn at(&self, link: &str) -> bool {
        let first = |p: &str| {
            p.trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or("")
                .to_owned()
        };
        let (here, there) = (first(&self.path), first(link));
        here == there || (there == "batches" && here == "declarations")
    }
}
