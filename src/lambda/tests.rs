//! Unit tests of function management, in process: a registry on an in-memory store with a
//! manual clock and counter ids. Invocation runs real processes and is tested end to end.

use super::Lambda;
use crate::clock::{ManualClock, SequentialIds};
use crate::domain::Namespace;
use crate::generated::lambda as lm;
use crate::generated::lambda::ErrorCode;
use std::sync::Arc;

fn zip() -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    w.start_file("app.py", options).unwrap();
    w.write_all(b"def handler(e, c):\n    return e\n").unwrap();
    w.finish().unwrap().into_inner()
}

fn lambda() -> (Lambda, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!(
        "localemu-lambda-unit-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    let l = Lambda::new(
        Arc::new(ManualClock::new(1_767_225_600_000)),
        Arc::new(SequentialIds::default()),
        Arc::new(crate::store::Store::new()),
        &dir,
        super::Limits::default(),
        super::Wiring::default(),
    )
    .unwrap();
    (l, dir)
}

fn ns() -> Namespace {
    Namespace::new("000000000000", "us-east-1")
}

fn request(name: &str) -> lm::CreateFunctionRequest {
    lm::CreateFunctionRequest {
        function_name: Some(name.into()),
        runtime: Some("python3.12".into()),
        role: Some("arn:aws:iam::000000000000:role/r".into()),
        handler: Some("app.handler".into()),
        code: Some(lm::FunctionCode {
            zip_file: Some(zip()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[test]
fn functions_are_created_listed_updated_and_deleted() {
    let (l, dir) = lambda();
    let (made, _) = l.create_function(&ns(), request("f")).unwrap();
    assert_eq!(
        made.function_arn.as_deref(),
        Some("arn:aws:lambda:us-east-1:000000000000:function:f")
    );
    assert_eq!(
        made.last_modified.as_deref(),
        Some("2026-01-01T00:00:00.000+0000")
    );
    assert_eq!(
        made.revision_id.as_deref(),
        Some("00000000-0000-4000-8000-000000000001")
    );
    let again = l.create_function(&ns(), request("f"));
    assert_eq!(
        again.err().unwrap().code,
        ErrorCode::ResourceConflictException
    );
    let (updated, _) = l
        .update_function_configuration(
            &ns(),
            "f",
            lm::UpdateFunctionConfigurationRequest {
                timeout: Some(30),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(updated.timeout, Some(30));
    assert_ne!(updated.revision_id, made.revision_id);
    let too_long = l.update_function_configuration(
        &ns(),
        "f",
        lm::UpdateFunctionConfigurationRequest {
            timeout: Some(901),
            ..Default::default()
        },
    );
    assert_eq!(
        too_long.err().unwrap().code,
        crate::error::Common::Validation
    );
    l.create_function(&ns(), request("g")).unwrap();
    let page = l.list_functions(&ns(), None, Some(1));
    assert_eq!(page.next_marker.as_deref(), Some("f"));
    let rest = l.list_functions(&ns(), Some("f"), None);
    assert_eq!(
        rest.functions.unwrap()[0].function_name.as_deref(),
        Some("g")
    );
    l.delete_function(&ns(), "f").unwrap();
    let gone = l.get_function(&ns(), "f");
    assert_eq!(
        gone.err().unwrap().code,
        ErrorCode::ResourceNotFoundException
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn permissions_are_statements_of_the_function_policy() {
    let (l, dir) = lambda();
    l.create_function(&ns(), request("f")).unwrap();
    let add = |sid: &str, principal: &str| {
        l.add_permission(
            &ns(),
            "f",
            lm::AddPermissionRequest {
                statement_id: Some(sid.into()),
                action: Some("lambda:InvokeFunction".into()),
                principal: Some(principal.into()),
                ..Default::default()
            },
        )
    };
    assert_eq!(
        l.secretsmanager_permission(&ns(), "f"),
        super::Permission::NotGranted
    );
    add("sm", "secretsmanager.amazonaws.com").unwrap();
    assert_eq!(
        l.secretsmanager_permission(&ns(), "f"),
        super::Permission::Allowed
    );
    let twice = add("sm", "secretsmanager.amazonaws.com");
    assert_eq!(
        twice.err().unwrap().code,
        ErrorCode::ResourceConflictException
    );
    let policy = l.get_policy(&ns(), "f").unwrap().policy.unwrap();
    assert!(
        policy.contains("\"Service\":\"secretsmanager.amazonaws.com\""),
        "{policy}"
    );
    l.remove_permission(&ns(), "f", "sm", None).unwrap();
    assert_eq!(
        l.get_policy(&ns(), "f").err().unwrap().code,
        ErrorCode::ResourceNotFoundException
    );
    assert_eq!(
        l.secretsmanager_permission(&ns(), "missing"),
        super::Permission::Missing
    );
    let _ = std::fs::remove_dir_all(dir);
}
