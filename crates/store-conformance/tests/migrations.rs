//! Both backends migrate in the same steps: every migration has a file of the same name in
//! each backend's `migrations/` folder (the SQL differs, the history does not), so a
//! database moved between engines, a backup's migration check and the docs can name one
//! list.

use std::collections::BTreeSet;
use std::path::Path;

fn names(backend: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(backend)
        .join("migrations");
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".sql"))
        .collect()
}

#[test]
fn both_backends_hold_the_same_migrations() {
    let sqlite = names("store-sqlite");
    let postgres = names("store-postgres");
    assert!(sqlite.len() >= 21, "migrations found: {sqlite:?}");
    let only_sqlite: Vec<_> = sqlite.difference(&postgres).collect();
    let only_postgres: Vec<_> = postgres.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "only in store-sqlite: {only_sqlite:?}; only in store-postgres: {only_postgres:?}"
    );
    // Versions are unique and in order: `<14-digit version>_<name>.sql`.
    let versions: Vec<&str> = sqlite.iter().map(|n| &n[..14]).collect();
    let unique: BTreeSet<&&str> = versions.iter().collect();
    assert_eq!(unique.len(), versions.len(), "a version is used twice");
    assert!(
        versions
            .iter()
            .all(|v| v.bytes().all(|b| b.is_ascii_digit()))
    );
}
