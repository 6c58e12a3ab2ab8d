//! The platform's workflows as pure state machines: each step takes the current state, the
//! actor's seat, the step's input and today's date, and returns the new state or a typed refusal.
//! Nothing here reads a clock, a database or a request: the web loads what a step needs (the
//! stored state, the batch's dates, whether a ban runs), calls the step, and writes the result
//! through the store with the stored state as the expected one, so that two clicks at once
//! cannot both move the same record.
//!
//! A workflow of the platform is one module here + one store module + one web folder.

/// An enum of a workflow with the key the store and the API use for each variant, `ALL` in
/// declaration order, `from_key`, and serialised as its key.
macro_rules! keyed {
    ($(#[$m:meta])* $name:ident { $($var:ident = $key:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($var),* }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$var),*];
            /// The key the store and the API use.
            pub fn key(self) -> &'static str { match self { $($name::$var => $key),* } }
            pub fn from_key(k: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.key() == k)
            }
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.key())
            }
        }
    };
}

pub mod application;
pub mod batch;
pub mod catalogue;
pub mod chain_event;
pub mod challenge;
pub mod clearing;
pub mod consent;
pub mod declaration;
pub mod event;
pub mod fund;
pub mod listing;
pub mod military;
pub mod product;
pub mod provider;
pub mod taxonomy;
pub mod title;
