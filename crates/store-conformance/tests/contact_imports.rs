//! The contact-import part of the conformance story: an import claimed under a lease, its
//! batches written with its progress, a lapsed lease taken over by another runner (which
//! goes on after the last committed batch) while the old runner's writes are refused, rows
//! upserted onto existing cards, unknown tags reported, and another account's import
//! unknown; the same assertions on every Store backend.

use std::sync::Arc;

use wagate_core::Timestamp;
use wagate_core::contact::card::{ContactCard, TagName};
use wagate_core::contact::import::{
    Cell, ContactImport, ImportFormat, ImportMapping, ImportOptions, ImportRow, ImportStatus,
};
use wagate_core::ids::{AccountId, ContactImportId};
use wagate_store::{
    Conflict, ContactCardFilter, Entity, ImportBatch, ImportLease, Page, Store, StoreError, records,
};
use wagate_store_conformance::{Backend, account_with_channel, plus, story};

story!(imports_run_under_a_lease_and_resume_after_their_last_batch);

fn lease(owner: &str, now: Timestamp) -> ImportLease {
    ImportLease {
        owner: owner.to_owned(),
        now,
        until: plus(now, 30_000),
    }
}

fn queued(account: AccountId, at: Timestamp) -> ContactImport {
    ContactImport {
        id: ContactImportId::generate(),
        account_id: account,
        format: ImportFormat::Csv,
        file_name: "people.csv".into(),
        file_sha256: "ab".repeat(32),
        file_size: 100,
        blob_key: Some("imports/x".into()),
        options: ImportOptions::default(),
        status: ImportStatus::Queued,
        failure: None,
        rows_read: 0,
        created: 0,
        updated: 0,
        failed: 0,
        lease_owner: None,
        lease_until: None,
        created_at: at,
        updated_at: at,
        finished_at: None,
    }
}

fn rows(from: u64, to: u64, tags: &str) -> Vec<ImportRow> {
    let m = ImportMapping::new(
        vec!["phone".into(), "name".into(), "tags".into()],
        &ImportOptions::default(),
    )
    .unwrap();
    (from..to)
        .map(|i| {
            let phone = format!("+4477009{i:05}");
            let name = format!("Person {i}");
            m.parse_row(
                i + 1,
                &[Cell::Text(&phone), Cell::Text(&name), Cell::Text(tags)],
            )
            .unwrap()
        })
        .collect()
}

fn batch(rows: Vec<ImportRow>, rows_read: u64) -> ImportBatch {
    ImportBatch {
        rows,
        errors: Vec::new(),
        rows_read,
        tags_column: "tags".into(),
    }
}

async fn total(s: &Arc<dyn Store>, a: AccountId, tag: Option<&str>) -> u64 {
    let filter = ContactCardFilter {
        tag: tag.map(|t| TagName::parse(t).unwrap()),
        ..ContactCardFilter::default()
    };
    s.list_cards(a, &filter, &Page::first(1)).await.unwrap().1
}

async fn imports_run_under_a_lease_and_resume_after_their_last_batch(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, _) = account_with_channel(s, "Acme").await;
    let (other, _) = account_with_channel(s, "Other").await;
    let t0 = records::now();
    let tag = wagate_core::contact::card::Tag {
        id: wagate_core::ids::TagId::generate(),
        account_id: a,
        name: TagName::parse("bulk").unwrap(),
        created_at: t0,
    };
    s.create_tag(tag).await.unwrap();
    // A card the import updates.
    let existing = ContactCard::new(
        a,
        wagate_core::phone::PhoneE164::parse("+447700900001").unwrap(),
        t0,
    );
    let existing = s.create_card(existing).await.unwrap();

    let import = s.create_import(queued(a, t0)).await.unwrap();
    assert_eq!(s.get_import(a, import.id).await.unwrap(), import);
    assert!(matches!(
        s.get_import(other, import.id).await,
        Err(StoreError::NotFound(Entity::ContactImport))
    ));

    // Runner A claims it and writes a batch: rows 1..=3 (one updates the existing card).
    let claimed = s.claim_import(&lease("a", t0)).await.unwrap().unwrap();
    assert_eq!(claimed.id, import.id);
    assert_eq!(claimed.status, ImportStatus::Running);
    assert_eq!(claimed.lease_owner.as_deref(), Some("a"));
    let after = s
        .import_batch(
            import.id,
            &lease("a", plus(t0, 1)),
            batch(rows(0, 3, "bulk"), 3),
        )
        .await
        .unwrap();
    assert_eq!((after.rows_read, after.created, after.updated), (3, 2, 1));
    let card = s.get_card(a, existing.id).await.unwrap();
    assert_eq!(
        card.name.unwrap().as_str(),
        "Person 1",
        "upserted by number"
    );
    assert_eq!(card.tags, vec![TagName::parse("bulk").unwrap()]);
    assert_eq!(total(s, a, Some("bulk")).await, 3);

    // While A's lease holds, B finds nothing to claim and cannot take it.
    assert!(
        s.claim_import(&lease("b", plus(t0, 10_000)))
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        s.take_import(a, import.id, &lease("b", plus(t0, 10_000)), false)
            .await,
        Err(StoreError::Conflict {
            kind: Conflict::ImportLeased,
            ..
        })
    ));
    // Once it lapses, B claims it where A left off; A's writes are refused, nothing stored.
    let resumed = s
        .claim_import(&lease("b", plus(t0, 31_000)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((resumed.rows_read, resumed.created), (3, 2));
    assert_eq!(resumed.lease_owner.as_deref(), Some("b"));
    let stale = s
        .import_batch(
            import.id,
            &lease("a", plus(t0, 31_001)),
            batch(rows(3, 5, "bulk"), 5),
        )
        .await;
    assert!(
        matches!(
            stale,
            Err(StoreError::Conflict {
                kind: Conflict::ImportLeased,
                ..
            })
        ),
        "{stale:?}"
    );
    assert_eq!(
        total(s, a, None).await,
        3,
        "the refused batch wrote nothing"
    );

    // B's batch: an unknown tag is reported, the other rows stored.
    let mut next = rows(3, 5, "bulk");
    next.extend(rows(5, 6, "nope"));
    let after = s
        .import_batch(import.id, &lease("b", plus(t0, 31_002)), batch(next, 6))
        .await
        .unwrap();
    assert_eq!((after.rows_read, after.created, after.failed), (6, 4, 1));
    let errors = s.import_errors(a, import.id, 0, 10).await.unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].row, errors[0].column.as_str()), (6, "tags"));
    assert!(s.import_errors(other, import.id, 0, 10).await.is_err());

    let done = s
        .finish_import(import.id, &lease("b", plus(t0, 31_003)), None)
        .await
        .unwrap();
    assert_eq!(done.status, ImportStatus::Completed);
    assert_eq!(done.lease_owner, None);
    assert!(done.finished_at.is_some());
    assert!(
        s.claim_import(&lease("c", plus(t0, 99_000)))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(total(s, a, None).await, 5);
    assert_eq!(total(s, other, None).await, 0);
    let listed = s.list_imports(a, &Page::first(10)).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(
        s.list_imports(other, &Page::first(10))
            .await
            .unwrap()
            .is_empty()
    );
    // Exports read the same cards, a page at a time, without a total.
    let first = s
        .export_cards(a, &ContactCardFilter::default(), None, 3)
        .await
        .unwrap();
    let rest = s
        .export_cards(
            a,
            &ContactCardFilter::default(),
            first.last().map(|c| c.id),
            3,
        )
        .await
        .unwrap();
    assert_eq!((first.len(), rest.len()), (3, 2));
    assert!(s.attribute_keys(a).await.unwrap().is_empty());
}
