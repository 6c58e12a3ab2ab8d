// `sqlx::migrate!` embeds the migration files at compile time; without this, a new migration
// file alone does not make cargo rebuild the crate (sqlx's documented pitfall).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
