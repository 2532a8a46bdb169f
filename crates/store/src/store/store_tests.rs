//! Tests of `mod`.

use super::*;
use crate::domain::secret::Deletion;

fn secret(name: &str, created: Millis) -> Secret {
    Secret::new(name.into(), format!("arn:{name}"), created)
}

fn names(
    ns: &NamespaceStore,
    order: ScanOrder,
    reverse: bool,
    from: Option<&ScanKey>,
) -> Vec<String> {
    let mut out = Vec::new();
    ns.scan(order, reverse, from, |_, c| {
        out.push(c.read().name.clone());
        true
    });
    out
}

fn memory_ns() -> Arc<NamespaceStore> {
    namespace::Spaces::memory().get_or_create(&Namespace::new("1", "r"))
}

#[test]
fn scans_in_created_and_name_order() {
    let ns = memory_ns();
    for (n, t) in [("b", 1), ("a", 2), ("c", 3)] {
        ns.insert_unless(secret(n, t), |_| true).ok().unwrap();
    }
    assert_eq!(names(&ns, ScanOrder::Created, false, None), ["b", "a", "c"]);
    assert_eq!(names(&ns, ScanOrder::Created, true, None), ["c", "a", "b"]);
    assert_eq!(names(&ns, ScanOrder::Name, false, None), ["a", "b", "c"]);
    let after = (2, "a".to_string());
    assert_eq!(names(&ns, ScanOrder::Created, false, Some(&after)), ["c"]);
    assert_eq!(names(&ns, ScanOrder::Created, true, Some(&after)), ["b"]);
}

#[test]
fn insert_respects_existing_and_replaces_when_allowed() {
    let ns = memory_ns();
    ns.insert_unless(secret("a", 1), |_| true).ok().unwrap();
    assert!(ns.insert_unless(secret("a", 2), |_| true).is_err());
    let (cell, _) = ns.insert_unless(secret("a", 3), |_| false).ok().unwrap();
    assert_eq!(ns.len(), 1);
    assert_eq!(names(&ns, ScanOrder::Created, false, None), ["a"]);
    ns.remove(&cell);
    assert!(ns.is_empty());
}

#[test]
fn purges_only_expired() {
    let store = Store::new();
    let ns = store.namespace_or_create(&Namespace::new("1", "r"));
    let mut gone = secret("gone", 1);
    gone.deletion = Some(Deletion {
        deleted_at: 1,
        purge_at: 10,
    });
    ns.insert_unless(gone, |_| true).ok().unwrap();
    ns.insert_unless(secret("kept", 1), |_| true).ok().unwrap();
    assert_eq!(store.purge_expired(9).len(), 0);
    assert_eq!(store.purge_expired(10).len(), 1);
    assert_eq!(ns.len(), 1);
}

#[test]
fn only_secrets_with_rotation_enabled_are_offered_to_the_scheduler() {
    use crate::domain::secret::Rotation;
    let ns = memory_ns();
    let rotation = |enabled| Rotation {
        enabled,
        lambda_arn: "arn:f".into(),
        rules: None,
        last_rotated: None,
        next_due: Some(5),
        next_rotation: Some(6),
    };
    let mut loaded = secret("loaded", 1);
    loaded.rotation = Some(rotation(true));
    ns.insert_unless(loaded, |_| true).ok().unwrap();
    for i in 0..100 {
        ns.insert_unless(secret(&format!("plain{i}"), 2 + i), |_| true)
            .ok()
            .unwrap();
    }
    let rotating = |ns: &NamespaceStore| -> Vec<String> {
        let mut n: Vec<String> = ns
            .rotating()
            .iter()
            .map(|c| c.read().name.clone())
            .collect();
        n.sort();
        n
    };
    assert_eq!(rotating(&ns), ["loaded"]);
    let cell = ns.get("plain7").unwrap();
    cell.write().rotation = Some(rotation(true));
    assert_eq!(rotating(&ns), ["loaded", "plain7"]);
    // Turned off, or gone: offered no more.
    cell.write().rotation = Some(rotation(false));
    ns.remove(&ns.get("loaded").unwrap());
    assert!(rotating(&ns).is_empty());
    // A secret created again under a marked name is offered once it rotates.
    let mut again = secret("loaded", 500);
    again.rotation = Some(rotation(true));
    ns.insert_unless(again, |_| true).ok().unwrap();
    assert_eq!(rotating(&ns), ["loaded"]);
}
