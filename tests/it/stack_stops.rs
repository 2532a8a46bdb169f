//! A stack create stopped on the way: DeleteStack while it is being created deletes it, and a
//! create that runs past its TimeoutInMinutes (on the emulator's clock) fails and rolls back.

use crate::common::*;
use crate::stack_recovery::{big_create_under_way, many, parameters_under};
use crate::stacks::{cfn, events, settle};

#[tokio::test]
async fn delete_stack_during_a_create_stops_it_and_deletes_what_it_made() {
    let server = shared();
    let c = cfn(server.addr);
    let (name, id) = big_create_under_way(&c, &c).await;
    c.delete_stack().stack_name(&name).send().await.unwrap();
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
    loop {
        let made = events(&c, &id)
            .await
            .iter()
            .filter(|e| e.1 == "CREATE_COMPLETE")
            .count();
        if made >= 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
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
