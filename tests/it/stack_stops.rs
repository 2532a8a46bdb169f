//! A stack create stopped on the way: DeleteStack while it is being created deletes it, and a
//! create that runs past its TimeoutInMinutes (on the emulator's clock) fails and rolls back.

use crate::common::*;
use crate::stack_recovery::{many, parameters_under};
use crate::stacks::{cfn, events, settle};

#[tokio::test]
async fn delete_stack_during_a_create_stops_it_and_deletes_what_it_made() {
    // A disk whose flushes can be held: the create waits on one while DeleteStack comes in,
    // so it cannot finish first however busy the machine is.
    let disk = crate::durability::Disk::new("stack-delete-during-create");
    let clock = std::sync::Arc::new(localemu::clock::ManualClock::new(START));
    let server = PersistentServer::with_store(disk.store(), clock).await;
    let c = cfn(server.addr);
    let name = unique("cut");
    let id = crate::intrusion::create_stack(&c, &name, many(250), None).await;
    made_at_least(&c, &id, 5).await;
    disk.stall(true);
    let deleting = {
        let (c, name) = (c.clone(), name.clone());
        tokio::spawn(async move { c.delete_stack().stack_name(&name).send().await })
    };
    // DeleteStack marks the stack before it waits on the disk like the create.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    disk.stall(false);
    deleting.await.unwrap().unwrap();
    let (status, _) = settle(&c, &id).await;
    assert_eq!(status, "DELETE_COMPLETE");
    assert_eq!(parameters_under(server.addr, &format!("/{name}")).await, 0);
    let ev = events(&c, &id).await;
    assert!(
        ev.iter()
            .any(|e| e.0 == name && e.1 == "DELETE_IN_PROGRESS" && e.2 == "User Initiated"),
        "{ev:?}"
    );
    assert!(!ev.iter().any(|e| e.1 == "CREATE_COMPLETE" && e.0 == name));
    server.stop().await;
}

/// Waits until `n` of the stack's resources are made.
async fn made_at_least(c: &aws_sdk_cloudformation::Client, id: &str, n: usize) {
    loop {
        let made = events(c, id)
            .await
            .iter()
            .filter(|e| e.1 == "CREATE_COMPLETE")
            .count();
        if made >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_create_past_its_timeout_fails_and_rolls_back() {
    // A disk whose flushes can be held: the clock moves while the create waits on one.
    let disk = crate::durability::Disk::new("stack-timeout");
    let clock = std::sync::Arc::new(localemu::clock::ManualClock::new(START));
    let server = PersistentServer::with_store(disk.store(), clock.clone()).await;
    let c = cfn(server.addr);
    let name = unique("slow");
    let id = c
        .create_stack()
        .stack_name(&name)
        .template_body(many(350))
        .timeout_in_minutes(1)
        .send()
        .await
        .unwrap()
        .stack_id
        .unwrap();
    made_at_least(&c, &id, 5).await;
    disk.stall(true);
    clock.advance(61_000);
    disk.stall(false);
    let (status, _) = settle(&c, &id).await;
    assert_eq!(status, "ROLLBACK_COMPLETE");
    let ev = events(&c, &id).await;
    assert!(
        ev.iter().filter(|e| e.1 == "CREATE_COMPLETE").count() < 350,
        "the create ended before the clock moved"
    );
    assert!(
        ev.iter().any(|e| {
            e.0 == name
            && e.1 == "ROLLBACK_IN_PROGRESS"
            && e.2
                == "Stack creation time exceeded the specified timeout. Rollback requested by user."
        }),
        "{ev:?}"
    );
    assert_eq!(parameters_under(server.addr, &format!("/{name}")).await, 0);
    server.stop().await;
}
