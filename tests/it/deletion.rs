//! DeleteSecret and RestoreSecret, with the server's clock moved across recovery windows.

use crate::common::*;
use aws_sdk_secretsmanager::types::Tag;
use localemu::clock::DAY_MS;

#[tokio::test]
async fn scheduled_deletion_blocks_use_and_restore_brings_it_back() {
    let server = TestServer::isolated().await;
    let c = server.client();
    let name = "del/scheduled";
    let arn = create(&c, name, "v").await;
    let out = c.delete_secret().secret_id(name).send().await.unwrap();
    assert_eq!(out.arn(), Some(arn.as_str()));
    let deletion = out.deletion_date().unwrap().as_secs_f64();
    let expected = (START + 30 * DAY_MS) as f64 / 1000.0;
    assert!(
        (deletion - expected).abs() < 0.001,
        "{deletion} vs {expected}"
    );

    let d = c.describe_secret().secret_id(name).send().await.unwrap();
    assert!(d.deleted_date().is_some());
    assert!(d.version_ids_to_stages().is_some());

    let marked =
        "You can't perform this operation on the secret because it was marked for deletion.";
    let (code, msg) = err(c.get_secret_value().secret_id(name).send().await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("InvalidRequestException", marked)
    );
    let (code, _) = err(c
        .put_secret_value()
        .secret_id(name)
        .secret_string("x")
        .send()
        .await);
    assert_eq!(code, "InvalidRequestException");
    let (code, msg) = err(c
        .tag_resource()
        .secret_id(name)
        .tags(Tag::builder().key("k").value("v").build())
        .send()
        .await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("InvalidRequestException", marked)
    );
    let (code, _) = err(c
        .untag_resource()
        .secret_id(name)
        .tag_keys("k")
        .send()
        .await);
    assert_eq!(code, "InvalidRequestException");
    let (code, msg) = err(c
        .create_secret()
        .name(name)
        .secret_string("again")
        .send()
        .await);
    assert_eq!(code, "InvalidRequestException");
    assert_eq!(
        msg,
        "You can't create this secret because a secret with this name is already scheduled for deletion."
    );
    let (code, msg) = err(c.delete_secret().secret_id(name).send().await);
    assert_eq!(code, "InvalidRequestException");
    assert_eq!(
        msg,
        "You tried to perform the operation on a secret that's currently marked deleted."
    );

    let listed = c.list_secrets().send().await.unwrap();
    assert!(listed.secret_list().is_empty());
    let with_deleted = c
        .list_secrets()
        .include_planned_deletion(true)
        .send()
        .await
        .unwrap();
    assert_eq!(with_deleted.secret_list().len(), 1);
    assert!(with_deleted.secret_list()[0].deleted_date().is_some());

    let restored = c.restore_secret().secret_id(name).send().await.unwrap();
    assert_eq!(restored.arn(), Some(arn.as_str()));
    assert_eq!(current_value(&c, name).await, "v");
    let d = c.describe_secret().secret_id(name).send().await.unwrap();
    assert!(d.deleted_date().is_none());
}

#[tokio::test]
async fn secrets_are_purged_when_the_window_ends() {
    let server = TestServer::isolated().await;
    let c = server.client();
    create(&c, "del/purge", "v").await;
    c.delete_secret()
        .secret_id("del/purge")
        .recovery_window_in_days(7)
        .send()
        .await
        .unwrap();
    server.clock.advance(7 * DAY_MS - 1);
    c.describe_secret()
        .secret_id("del/purge")
        .send()
        .await
        .unwrap();
    server.clock.advance(1);
    let (code, _) = err(c.describe_secret().secret_id("del/purge").send().await);
    assert_eq!(code, "ResourceNotFoundException");
    let again = create(&c, "del/purge", "new").await;
    assert_eq!(current_value(&c, &again).await, "new");
}

#[tokio::test]
async fn recovery_window_rules() {
    let server = TestServer::isolated().await;
    let c = server.client();
    create(&c, "del/window", "v").await;
    for days in [6, 31] {
        let (code, msg) = err(c
            .delete_secret()
            .secret_id("del/window")
            .recovery_window_in_days(days)
            .send()
            .await);
        assert_eq!(code, "InvalidParameterException");
        assert_eq!(
            msg,
            "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive)."
        );
    }
    let (code, msg) = err(c
        .delete_secret()
        .secret_id("del/window")
        .recovery_window_in_days(10)
        .force_delete_without_recovery(true)
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        msg,
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
    );
    let (code, _) = err(c
        .delete_secret()
        .secret_id("del/never-existed")
        .send()
        .await);
    assert_eq!(code, "ResourceNotFoundException");
}

#[tokio::test]
async fn force_delete_is_immediate_and_succeeds_for_unknown_names() {
    let server = TestServer::isolated().await;
    let c = server.client();
    create(&c, "del/force", "v").await;
    c.delete_secret()
        .secret_id("del/force")
        .send()
        .await
        .unwrap();
    let out = c
        .delete_secret()
        .secret_id("del/force")
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    assert_eq!(out.deletion_date().unwrap().to_millis().unwrap(), START);
    let (code, _) = err(c.describe_secret().secret_id("del/force").send().await);
    assert_eq!(code, "ResourceNotFoundException");
    create(&c, "del/force", "reborn").await;

    let ghost = c
        .delete_secret()
        .secret_id("del/ghost")
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    assert_eq!(ghost.name(), Some("del/ghost"));
    assert!(ghost.arn().unwrap().contains(":secret:del/ghost-"));
    assert!(ghost.deletion_date().is_some());
}

#[tokio::test]
async fn restore_of_missing_secret_fails() {
    let server = TestServer::isolated().await;
    let (code, _) = err(server
        .client()
        .restore_secret()
        .secret_id("del/nothing")
        .send()
        .await);
    assert_eq!(code, "ResourceNotFoundException");
}

#[tokio::test]
async fn last_accessed_moves_by_whole_days() {
    let server = TestServer::isolated().await;
    let c = server.client();
    create(&c, "del/access", "v").await;
    c.get_secret_value()
        .secret_id("del/access")
        .send()
        .await
        .unwrap();
    let first = c
        .describe_secret()
        .secret_id("del/access")
        .send()
        .await
        .unwrap();
    server.clock.advance(60_000);
    c.get_secret_value()
        .secret_id("del/access")
        .send()
        .await
        .unwrap();
    let same_day = c
        .describe_secret()
        .secret_id("del/access")
        .send()
        .await
        .unwrap();
    assert_eq!(first.last_accessed_date(), same_day.last_accessed_date());
    server.clock.advance(DAY_MS);
    c.get_secret_value()
        .secret_id("del/access")
        .send()
        .await
        .unwrap();
    let next_day = c
        .describe_secret()
        .secret_id("del/access")
        .send()
        .await
        .unwrap();
    let diff =
        next_day.last_accessed_date().unwrap().secs() - first.last_accessed_date().unwrap().secs();
    assert_eq!(diff, 86_400);
}
