//! Stacks on disk: they survive a restart, and a stack operation cut short by SIGKILL ends,
//! after the restart, in the failed state AWS would show, with nothing it made left behind.

use crate::binary::Emu;
use crate::common::*;
use crate::stacks::{cfn, events, output, settle, ssm};
use aws_sdk_cloudformation::Client;

/// A stack of `n` parameters, each named after the stack so they can be found afterwards.
pub fn many(n: usize) -> String {
    let mut body = String::from("Resources:\n");
    for i in 0..n {
        body.push_str(&format!(
            "  P{i}:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Name: !Sub '/${{AWS::StackName}}/p{i}'\n      Type: String\n      Value: v{i}\n"
        ));
    }
    body.push_str("Outputs:\n  First:\n    Value: !Ref P0\n");
    body
}

/// Starts a create of 250 parameters through `on` and returns (name, id) once `watcher` sees
/// 20 of them made, and no rollback.
pub async fn big_create_under_way(on: &Client, watcher: &Client) -> (String, String) {
    let cut = unique("cut");
    let id = crate::intrusion::create_stack(on, &cut, many(250), None).await;
    loop {
        let ev = events(watcher, &id).await;
        assert!(!ev.iter().any(|e| e.1 == "ROLLBACK_IN_PROGRESS"), "{ev:?}");
        if ev.iter().filter(|e| e.1 == "CREATE_COMPLETE").count() >= 20 {
            return (cut, id);
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

pub async fn parameters_under(addr: std::net::SocketAddr, path: &str) -> usize {
    let p = ssm(addr);
    let mut count = 0;
    let mut token = None;
    loop {
        let page = p
            .get_parameters_by_path()
            .path(path)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        count += page.parameters().len();
        token = page.next_token;
        if token.is_none() {
            return count;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stacks_survive_a_restart_and_an_interrupted_create_rolls_back() {
    let dir = temp_dir("stacks");
    std::fs::create_dir_all(&dir).unwrap();

    // A finished stack is there after a restart, as it was.
    let emu = Emu::start(&dir);
    let c = cfn(emu.addr);
    let kept = unique("kept");
    c.create_stack()
        .stack_name(&kept)
        .template_body(many(2))
        .send()
        .await
        .unwrap();
    assert_eq!(settle(&c, &kept).await.0, "CREATE_COMPLETE");
    let before = events(&c, &kept).await;

    // A large create, killed midway.
    let (cut, id) = big_create_under_way(&c, &c).await;
    emu.kill();

    let emu = Emu::start(&dir);
    let c = cfn(emu.addr);
    assert_eq!(events(&c, &kept).await, before);
    assert_eq!(output(&c, &kept, "First").await, format!("/{kept}/p0"));
    assert_eq!(parameters_under(emu.addr, &format!("/{kept}")).await, 2);

    let (status, _) = settle(&c, &id).await;
    assert_eq!(status, "ROLLBACK_COMPLETE");
    let ev = events(&c, &id).await;
    let rollback = ev.iter().find(|e| e.1 == "ROLLBACK_IN_PROGRESS").unwrap();
    assert!(rollback.2.contains("interrupted"), "{rollback:?}");
    assert_eq!(
        parameters_under(emu.addr, &format!("/{cut}")).await,
        0,
        "every parameter the cut create made is deleted, the one in flight too"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
