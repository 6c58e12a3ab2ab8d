//! Each institution's screening kept in memory: every firm it may screen today (those consenting
//! to it and those on the public titled list), each with what it may use of the firm
//! (`consented`), in code order. A screening then judges its conditions on these (`passes`, the
//! same check the database's reading is tested against), counts exactly and reads its page
//! without a query per firm.
//!
//! What the institution may see must be what is in force on this very request: a consent revoked
//! a moment ago, on any instance, must not count. So before each use the entry is checked against
//! the store (`Store::subjects_changed_since`: one indexed read; the database notes every change
//! of a firm's record, a title or a consent itself, by triggers), and read again when anything
//! changed, when the day turned, or when it is older than `MAX_AGE` (the store keeps its notes of
//! changes for `SUBJECT_CHANGES_KEPT_SECS`, far longer; the daily work forgets older ones too).
//! An institution with more than `MAX_FIRMS` such firms is not kept: its screenings are read from
//! the database as before, and only that it has too many is kept, under the same checks, so that
//! it is not counted again for every screening.

use super::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The most firms kept for one institution; beyond, the database answers.
const MAX_FIRMS: usize = 100_000;
/// The most institutions kept at once; the least recently read is dropped for a new one.
const MAX_INSTITUTIONS: usize = 16;
/// An entry is read again after this long, whatever the notes say.
const MAX_AGE: Duration = Duration::from_secs(600);
/// How often old notes are forgotten.
const FORGET_EVERY: Duration = Duration::from_secs(3_600);

/// A firm of an institution's screening, as kept.
pub(super) struct Seen {
    pub uscc: String,
    pub name: String,
    pub district: String,
    /// Read under a consent in force (otherwise from the public titled list).
    pub consented: bool,
    pub c: Consented,
}

/// One institution's screening as read at `mark`.
pub(super) struct Screened {
    mark: zjtx_store::SubjectsMark,
    today: String,
    read_at: Instant,
    used_at: Mutex<Instant>,
    /// More firms than are kept: `firms` is empty and the database answers.
    too_many: bool,
    /// In code order.
    pub firms: Vec<Seen>,
}

/// The screenings this instance keeps (see the module's comment). Cloned with the state.
#[derive(Clone)]
pub struct ScreenCache {
    inner: Arc<Inner>,
}

impl Default for ScreenCache {
    fn default() -> ScreenCache {
        ScreenCache::keeping(MAX_FIRMS)
    }
}

#[derive(Default)]
struct Inner {
    /// `MAX_FIRMS`, or fewer in tests.
    max_firms: usize,
    entries: Mutex<HashMap<i64, Arc<Screened>>>,
    /// One reading at a time: requests that find the entry stale wait for the one reading it.
    reading: tokio::sync::Mutex<()>,
    forgot_at: Mutex<Option<Instant>>,
}

impl ScreenCache {
    /// A cache that keeps institutions of at most `max_firms` firms (tests keep fewer than
    /// `MAX_FIRMS`, to be read from the database).
    pub fn keeping(max_firms: usize) -> ScreenCache {
        ScreenCache {
            inner: Arc::new(Inner {
                max_firms,
                ..Inner::default()
            }),
        }
    }

    /// Institution `inst`'s screening as the store has it now, or `None` when it has too many
    /// firms to keep.
    pub(super) async fn get(
        &self,
        st: &AppState,
        inst: i64,
    ) -> Result<Option<Arc<Screened>>, AppError> {
        let e = self.entry(st, inst).await?;
        Ok((!e.too_many).then_some(e))
    }

    /// `get`'s entry, read again when it is not what the store has.
    async fn entry(&self, st: &AppState, inst: i64) -> Result<Arc<Screened>, AppError> {
        let today = st.today().to_string();
        if let Some(e) = self.fresh(st, inst, &today).await? {
            return Ok(e);
        }
        let _one = self.inner.reading.lock().await;
        // Read meanwhile by the request this one waited for?
        if let Some(e) = self.fresh(st, inst, &today).await? {
            return Ok(e);
        }
        self.forget_old_notes(st).await?;
        // The mark before the rows: a change committed after it is seen by the next check.
        let mark = st.store.subjects_mark().await?;
        let set = zjtx_store::SubjectSet {
            consenting: true,
            titled: true,
            limit: Some(i64::try_from(self.inner.max_firms).unwrap_or(i64::MAX - 1) + 1),
            ..Default::default()
        };
        let mut subjects = st.store.subjects(inst, &today, set).await?;
        let too_many = subjects.len() > self.inner.max_firms;
        if too_many {
            subjects.clear();
        }
        let rules = disclosure_rules(st)?;
        let firms = subjects
            .into_iter()
            .map(|s| {
                let (c, _) = consented(&s.row, s.held, &s.public, &s.consents, rules);
                Seen {
                    consented: !s.consents.is_empty(),
                    district: s.row.region_name.unwrap_or_default(),
                    uscc: s.row.uscc,
                    name: s.row.name,
                    c,
                }
            })
            .collect();
        let now = Instant::now();
        let e = Arc::new(Screened {
            mark,
            today,
            read_at: now,
            used_at: Mutex::new(now),
            too_many,
            firms,
        });
        let mut entries = lock(&self.inner.entries);
        if entries.len() >= MAX_INSTITUTIONS && !entries.contains_key(&inst) {
            let least = entries
                .iter()
                .min_by_key(|(_, e)| *lock(&e.used_at))
                .map(|(k, _)| *k);
            if let Some(k) = least {
                entries.remove(&k);
            }
        }
        entries.insert(inst, e.clone());
        Ok(e)
    }

    /// The kept entry of `inst`, when it is still what the store has.
    async fn fresh(
        &self,
        st: &AppState,
        inst: i64,
        today: &str,
    ) -> Result<Option<Arc<Screened>>, AppError> {
        let kept = lock(&self.inner.entries).get(&inst).cloned();
        let Some(e) = kept.filter(|e| e.today == today && e.read_at.elapsed() < MAX_AGE) else {
            return Ok(None);
        };
        if st.store.subjects_changed_since(&e.mark).await? {
            return Ok(None);
        }
        *lock(&e.used_at) = Instant::now();
        Ok(Some(e))
    }

    /// Forgets the store's notes of changes older than `SUBJECT_CHANGES_KEPT_SECS`, at most once
    /// every `FORGET_EVERY`.
    async fn forget_old_notes(&self, st: &AppState) -> Result<(), AppError> {
        {
            let mut at = lock(&self.inner.forgot_at);
            if at.is_some_and(|t| t.elapsed() < FORGET_EVERY) {
                return Ok(());
            }
            *at = Some(Instant::now());
        }
        let before = zjtx_store::now() - zjtx_store::SUBJECT_CHANGES_KEPT_SECS;
        st.store.forget_subject_changes(before).await?;
        Ok(())
    }
}

/// A mutex's guard, whether or not a thread panicked holding it (what it guards stays whole:
/// each write is one assignment).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
