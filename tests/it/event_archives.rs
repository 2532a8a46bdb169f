//! EventBridge archives and replays through the AWS SDK: what an archive keeps, AWS's
//! refusals, replays delivering the kept events again (marked with the replay's name) to the
//! rules they name, cancellation, and archives surviving a restart.

use crate::common::*;
use crate::events::Receiver;
use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::{PutEventsRequestEntry, ReplayDestination, ReplayState, Target};
use aws_sdk_eventbridge::Client;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

const BUS: &str = "orders";

fn events(addr: SocketAddr) -> Client {
    sdk_client!(aws_sdk_eventbridge, addr, REGION, test_key(ACCOUNT))
}

fn at(ms: i64) -> DateTime {
    DateTime::from_millis(ms)
}

/// A rule on [`BUS`] that sends every `shop` event to `to`; returns the rule's ARN.
async fn rule_to(c: &Client, to: SocketAddr) -> String {
    let destination = crate::events::api_destination(c, "archives", to, "/orders").await;
    let rule = c
        .put_rule()
        .name("shop")
        .event_bus_name(BUS)
        .event_pattern(r#"{"source": ["shop"]}"#)
        .send()
        .await
        .unwrap()
        .rule_arn
        .unwrap();
    c.put_targets()
        .rule("shop")
        .event_bus_name(BUS)
        .targets(
            Target::builder()
                .id("receiver")
                .arn(destination)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    rule
}

async fn put(c: &Client, kind: &str) {
    let out = c
        .put_events()
        .entries(
            PutEventsRequestEntry::builder()
                .event_bus_name(BUS)
                .source("shop")
                .detail_type("order placed")
                .detail(format!(r#"{{"kind": "{kind}"}}"#))
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.failed_entry_count(), 0, "{out:?}");
}

/// Waits until replay `name` has ended; returns its state.
async fn ended(c: &Client, name: &str) -> ReplayState {
    for _ in 0..500 {
        let d = c.describe_replay().replay_name(name).send().await.unwrap();
        let state = d.state().unwrap().clone();
        if matches!(
            state,
            ReplayState::Completed | ReplayState::Cancelled | ReplayState::Failed
        ) {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("replay {name} did not end");
}

#[tokio::test]
async fn archives_keep_matching_events_and_replays_deliver_them_again() {
    let dir = temp_dir("archives");
    std::fs::create_dir_all(&dir).unwrap();
    let clock = Arc::new(localemu::clock::ManualClock::new(START));
    let s = PersistentServer::start(&dir, clock.clone()).await;
    let c = events(s.addr);
    let (receiver, to) = Receiver::start().await;
    let bus_arn = c
        .create_event_bus()
        .name(BUS)
        .send()
        .await
        .unwrap()
        .event_bus_arn
        .unwrap();
    let rule = rule_to(&c, to).await;

    // AWS's refusals.
    let missing_bus = c
        .create_archive()
        .archive_name("kept")
        .event_source_arn(bus_arn.replace(BUS, "nowhere"))
        .send()
        .await;
    assert_eq!(
        err(missing_bus),
        (
            "ResourceNotFoundException".into(),
            "Event bus nowhere does not exist.".into()
        )
    );
    let bad_pattern = c
        .create_archive()
        .archive_name("kept")
        .event_source_arn(&bus_arn)
        .event_pattern(r#"{"detail": {"kind": "order"}}"#)
        .send()
        .await;
    assert_eq!(err(bad_pattern).0, "InvalidEventPatternException");
    let created = c
        .create_archive()
        .archive_name("kept")
        .event_source_arn(&bus_arn)
        .description("orders only")
        .event_pattern(r#"{"detail": {"kind": ["order"]}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.archive_arn(),
        Some(format!("arn:aws:events:{REGION}:{ACCOUNT}:archive/kept").as_str())
    );
    assert_eq!(created.state().unwrap().as_str(), "ENABLED");
    let again = c
        .create_archive()
        .archive_name("kept")
        .event_source_arn(&bus_arn)
        .send()
        .await;
    assert_eq!(
        err(again),
        (
            "ResourceAlreadyExistsException".into(),
            "Archive kept already exists.".into()
        )
    );
    let nothing = c.update_archive().archive_name("kept").send().await;
    assert_eq!(
        err(nothing),
        (
            "ValidationException".into(),
            "At least one of EventPattern, RetentionDays or Description must be provided.".into()
        )
    );
    assert_eq!(
        err(c.describe_archive().archive_name("gone").send().await),
        (
            "ResourceNotFoundException".into(),
            "Archive gone does not exist.".into()
        )
    );

    // Two orders and a refund now, an order ten minutes later: the archive keeps the orders.
    put(&c, "order").await;
    put(&c, "refund").await;
    put(&c, "order").await;
    clock.advance(600_000);
    put(&c, "order").await;
    receiver.wait("/orders", 4).await;
    let d = c
        .describe_archive()
        .archive_name("kept")
        .send()
        .await
        .unwrap();
    assert_eq!(d.event_count(), 3);
    assert!(d.size_bytes() > 300, "{d:?}");
    assert_eq!(d.retention_days(), Some(0));
    assert_eq!(d.event_source_arn(), Some(bus_arn.as_str()));
    assert_eq!(d.description(), Some("orders only"));
    let listed = c
        .list_archives()
        .event_source_arn(&bus_arn)
        .name_prefix("ke")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.archives().len(), 1);
    assert_eq!(listed.archives()[0].event_count(), 3);

    // Archives and what they keep survive a restart.
    s.stop().await;
    let s = PersistentServer::start(&dir, clock.clone()).await;
    let c = events(s.addr);
    let d = c
        .describe_archive()
        .archive_name("kept")
        .send()
        .await
        .unwrap();
    assert_eq!(d.event_count(), 3);

    // StartReplay's refusals.
    let archive_arn = d.archive_arn().unwrap().to_string();
    let replay = |name: &str, from: i64, to: i64, dest: &str| {
        c.start_replay()
            .replay_name(name)
            .event_source_arn(&archive_arn)
            .event_start_time(at(from))
            .event_end_time(at(to))
            .destination(
                ReplayDestination::builder()
                    .arn(dest)
                    .filter_arns(&rule)
                    .build()
                    .unwrap(),
            )
    };
    let unknown = c
        .start_replay()
        .replay_name("r0")
        .event_source_arn(archive_arn.replace("kept", "lost"))
        .event_start_time(at(START))
        .event_end_time(at(START + 1))
        .destination(ReplayDestination::builder().arn(&bus_arn).build().unwrap())
        .send()
        .await;
    assert_eq!(
        err(unknown).1,
        "Parameter EventSourceArn is not valid. Reason: Archive lost does not exist."
    );
    assert_eq!(
        err(replay("r0", START, START, &bus_arn).send().await).1,
        "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime."
    );
    let default_bus = bus_arn.replace(BUS, "default");
    assert_eq!(
        err(replay("r0", START, START + 1, &default_bus).send().await).1,
        "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted."
    );

    // The replay of the first minute delivers the two early orders again, with its name.
    let started = replay("first-minute", START - 1000, START + 60_000, &bus_arn)
        .description("again")
        .send()
        .await
        .unwrap();
    assert_eq!(started.state(), Some(&ReplayState::Starting));
    // A replay stays STARTING for a second of the emulator's clock, which stands still here.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let d = c
        .describe_replay()
        .replay_name("first-minute")
        .send()
        .await
        .unwrap();
    assert_eq!(d.state(), Some(&ReplayState::Starting));
    clock.advance(1000);
    assert_eq!(ended(&c, "first-minute").await, ReplayState::Completed);
    let seen = receiver.wait("/orders", 6).await;
    let replayed: Vec<serde_json::Value> = seen
        .iter()
        .map(|s| serde_json::from_str(&s.body).unwrap())
        .filter(|e: &serde_json::Value| e.get("replay-name").is_some())
        .collect();
    assert_eq!(replayed.len(), 2, "{seen:?}");
    for e in &replayed {
        assert_eq!(e["replay-name"], "first-minute");
        assert_eq!(e["detail"]["kind"], "order");
    }
    let d = c
        .describe_replay()
        .replay_name("first-minute")
        .send()
        .await
        .unwrap();
    assert_eq!(d.description(), Some("again"));
    assert_eq!(d.event_source_arn(), Some(archive_arn.as_str()));
    assert!(d.replay_end_time().is_some() && d.event_last_replayed_time().is_some());
    assert_eq!(
        d.destination().unwrap().filter_arns(),
        std::slice::from_ref(&rule)
    );
    let dup = replay("first-minute", START, START + 1, &bus_arn)
        .send()
        .await;
    assert_eq!(
        err(dup),
        (
            "ResourceAlreadyExistsException".into(),
            "Replay first-minute already exists.".into()
        )
    );
    // Replayed events are not archived again.
    let d = c
        .describe_archive()
        .archive_name("kept")
        .send()
        .await
        .unwrap();
    assert_eq!(d.event_count(), 3);

    // A replay cancelled before it runs delivers nothing; an ended one cannot be cancelled.
    replay("cancelled", START - 1000, START + 3_600_000, &bus_arn)
        .send()
        .await
        .unwrap();
    let cancel = c
        .cancel_replay()
        .replay_name("cancelled")
        .send()
        .await
        .unwrap();
    assert_eq!(cancel.state(), Some(&ReplayState::Cancelling));
    clock.advance(1000);
    assert_eq!(ended(&c, "cancelled").await, ReplayState::Cancelled);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.seen.lock().unwrap().len(), 6);
    let late = c.cancel_replay().replay_name("first-minute").send().await;
    assert_eq!(err(late).0, "IllegalStatusException");
    let listed = c
        .list_replays()
        .event_source_arn(&archive_arn)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = listed
        .replays()
        .iter()
        .filter_map(|r| r.replay_name())
        .collect();
    assert_eq!(names, ["first-minute", "cancelled"]);

    c.delete_archive()
        .archive_name("kept")
        .send()
        .await
        .unwrap();
    assert_eq!(
        err(c.delete_archive().archive_name("kept").send().await).0,
        "ResourceNotFoundException"
    );
    assert!(c
        .list_archives()
        .send()
        .await
        .unwrap()
        .archives()
        .is_empty());
    s.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_account_keeps_at_most_a_thousand_replays_forgetting_the_oldest_ended_one() {
    let s = TestServer::isolated().await;
    let c = events(s.addr);
    let bus_arn = format!("arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default");
    let archive_arn = c
        .create_archive()
        .archive_name("all")
        .event_source_arn(&bus_arn)
        .send()
        .await
        .unwrap()
        .archive_arn
        .unwrap();
    let start = |i: usize| {
        c.start_replay()
            .replay_name(format!("r{i}"))
            .event_source_arn(&archive_arn)
            .event_start_time(at(START - 2_000))
            .event_end_time(at(START - 1_000))
            .destination(ReplayDestination::builder().arn(&bus_arn).build().unwrap())
            .send()
    };
    start(0).await.unwrap();
    s.clock.advance(1000);
    assert_eq!(ended(&c, "r0").await, ReplayState::Completed);
    // Ten at a time: AWS lets ten replays of an account and region run at once.
    for batch in 0..100 {
        let names = (1..=10).map(|n| batch * 10 + n);
        for i in names.clone() {
            start(i).await.unwrap();
        }
        // Each starts after a second of the emulator's clock.
        s.clock.advance(1000);
        for i in names {
            ended(&c, &format!("r{i}")).await;
        }
    }
    assert_eq!(
        err(c.describe_replay().replay_name("r0").send().await),
        (
            "ResourceNotFoundException".into(),
            "Replay r0 does not exist.".into()
        )
    );
    c.describe_replay().replay_name("r1").send().await.unwrap();
    let mut kept = 0;
    let mut token = None;
    loop {
        let page = c.list_replays().set_next_token(token).send().await.unwrap();
        kept += page.replays().len();
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(kept, 1000);
}

#[tokio::test]
async fn an_archive_puts_its_managed_rule_on_its_bus() {
    let s = TestServer::isolated().await;
    let c = events(s.addr);
    let bus_arn = c
        .create_event_bus()
        .name("audit")
        .send()
        .await
        .unwrap()
        .event_bus_arn
        .unwrap();
    for (name, pattern) in [
        ("everything", None),
        ("orders", Some(r#"{"source": ["shop"]}"#)),
    ] {
        c.create_archive()
            .archive_name(name)
            .event_source_arn(&bus_arn)
            .set_event_pattern(pattern.map(str::to_string))
            .send()
            .await
            .unwrap();
    }
    let pattern_of = |rule: &'static str| {
        let c = c.clone();
        async move {
            let d = c
                .describe_rule()
                .name(rule)
                .event_bus_name("audit")
                .send()
                .await
                .unwrap();
            serde_json::from_str::<serde_json::Value>(d.event_pattern().unwrap()).unwrap()
        }
    };
    let d = c
        .describe_rule()
        .name("Events-Archive-orders")
        .event_bus_name("audit")
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.arn(),
        Some(
            format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/audit/Events-Archive-orders").as_str()
        )
    );
    assert_eq!(d.managed_by(), Some("prod.vhs.events.aws.internal"));
    assert_eq!(d.created_by(), Some(ACCOUNT));
    assert_eq!(d.state().unwrap().as_str(), "ENABLED");
    assert!(d.description().is_none() && d.role_arn().is_none());
    assert!(d.schedule_expression().is_none());
    assert_eq!(
        pattern_of("Events-Archive-orders").await,
        serde_json::json!({"source": ["shop"], "replay-name": [{"exists": false}]})
    );
    assert_eq!(
        pattern_of("Events-Archive-everything").await,
        serde_json::json!({"replay-name": [{"exists": false}]})
    );
    let listed = c.list_rules().event_bus_name("audit").send().await.unwrap();
    let managed: Vec<(&str, Option<&str>)> = listed
        .rules()
        .iter()
        .map(|r| (r.name().unwrap(), r.managed_by()))
        .collect();
    assert_eq!(
        managed,
        [
            (
                "Events-Archive-everything",
                Some("prod.vhs.events.aws.internal")
            ),
            (
                "Events-Archive-orders",
                Some("prod.vhs.events.aws.internal")
            ),
        ]
    );
    let targets = c
        .list_targets_by_rule()
        .rule("Events-Archive-orders")
        .event_bus_name("audit")
        .send()
        .await
        .unwrap();
    let t = &targets.targets()[0];
    assert_eq!(t.id(), "Events-Archive-orders");
    assert_eq!(t.arn(), format!("arn:aws:events:{REGION}:::"));
    let template = t.input_transformer().unwrap().input_template();
    let head = format!("{{\"archive-arn\": \"arn:aws:events:{REGION}:{ACCOUNT}:archive/orders:");
    assert!(template.starts_with(&head), "{template}");
    assert!(
        template.ends_with(
            "\", \"event\": <aws.events.event.json>, \"ingestion-time\": <aws.events.event.ingestion-time>}"
        ),
        "{template}"
    );

    // The account cannot change it, and deletes it only by force.
    let unforced = (
        "ManagedRuleException".to_string(),
        "Events-Archive-orders is a managed rule. Set 'force' parameter to true to override."
            .to_string(),
    );
    let delete = c
        .delete_rule()
        .name("Events-Archive-orders")
        .event_bus_name("audit")
        .send()
        .await;
    assert_eq!(err(delete), unforced);
    let remove = c
        .remove_targets()
        .rule("Events-Archive-orders")
        .event_bus_name("audit")
        .ids("Events-Archive-orders")
        .send()
        .await;
    assert_eq!(err(remove), unforced);
    let disable = c
        .disable_rule()
        .name("Events-Archive-orders")
        .event_bus_name("audit")
        .send()
        .await;
    assert_eq!(err(disable).0, "ManagedRuleException");
    let put = c
        .put_rule()
        .name("Events-Archive-orders")
        .event_bus_name("audit")
        .event_pattern(r#"{"source": ["other"]}"#)
        .send()
        .await;
    assert_eq!(err(put).0, "ManagedRuleException");
    let bus_gone = c.delete_event_bus().name("audit").send().await;
    assert_eq!(
        err(bus_gone),
        (
            "ValidationException".into(),
            "EventBus can't be deleted since it has rules.".into()
        )
    );

    // The rule follows its archive's pattern, and goes with it.
    c.update_archive()
        .archive_name("orders")
        .event_pattern(r#"{"source": ["till"]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        pattern_of("Events-Archive-orders").await,
        serde_json::json!({"source": ["till"], "replay-name": [{"exists": false}]})
    );
    c.delete_archive()
        .archive_name("orders")
        .send()
        .await
        .unwrap();
    let gone = c
        .describe_rule()
        .name("Events-Archive-orders")
        .event_bus_name("audit")
        .send()
        .await;
    assert_eq!(
        err(gone).1,
        "Rule Events-Archive-orders does not exist on EventBus audit."
    );
    c.delete_rule()
        .name("Events-Archive-everything")
        .event_bus_name("audit")
        .force(true)
        .send()
        .await
        .unwrap();
    c.delete_archive()
        .archive_name("everything")
        .send()
        .await
        .unwrap();
    c.delete_event_bus().name("audit").send().await.unwrap();
}

#[tokio::test]
async fn an_archive_from_before_managed_rules_gets_its_rule_once() {
    let dir = temp_dir("archive-rules");
    std::fs::create_dir_all(&dir).unwrap();
    {
        // An archive record as the build before managed rules wrote it (format 1, no rule).
        let store = localemu::store::Store::open(&dir).unwrap();
        let archive = serde_json::json!({
            "name": "old",
            "arn": format!("arn:aws:events:{REGION}:{ACCOUNT}:archive/old"),
            "bus_arn": format!("arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"),
            "bus": "default",
            "description": null,
            "pattern": r#"{"source": ["shop"]}"#,
            "retention_days": 0,
            "kms_key": null,
            "created": START,
        });
        let bytes = localemu::store::table::join(1, archive.to_string().as_bytes());
        let key = format!("events\0{ACCOUNT}\0{REGION}\0archive\0old");
        assert!(store.put_blob(&key, Some(bytes)).durable().await);
    }
    let clock = Arc::new(localemu::clock::ManualClock::new(START));
    let s = PersistentServer::start(&dir, clock.clone()).await;
    let c = events(s.addr);
    let d = c
        .describe_rule()
        .name("Events-Archive-old")
        .send()
        .await
        .unwrap();
    assert_eq!(d.managed_by(), Some("prod.vhs.events.aws.internal"));
    let pattern: serde_json::Value = serde_json::from_str(d.event_pattern().unwrap()).unwrap();
    assert_eq!(
        pattern,
        serde_json::json!({"source": ["shop"], "replay-name": [{"exists": false}]})
    );
    // Made once: a rule forced away stays away after another start.
    c.delete_rule()
        .name("Events-Archive-old")
        .force(true)
        .send()
        .await
        .unwrap();
    s.stop().await;
    let s = PersistentServer::start(&dir, clock).await;
    let c = events(s.addr);
    let gone = c.describe_rule().name("Events-Archive-old").send().await;
    assert_eq!(err(gone).0, "ResourceNotFoundException");
    c.describe_archive()
        .archive_name("old")
        .send()
        .await
        .unwrap();
    s.stop().await;
}
