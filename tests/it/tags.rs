//! TagResource and UntagResource through the SDK.

use crate::common::*;
use aws_sdk_secretsmanager::types::Tag;

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build()
}

#[tokio::test]
async fn tags_merge_and_untag_leaves_an_empty_list() {
    let c = shared().client();
    let name = unique("tags/merge");
    create(&c, &name, "v").await;
    c.tag_resource()
        .secret_id(&name)
        .tags(tag("a", "1"))
        .tags(tag("b", "2"))
        .send()
        .await
        .unwrap();
    c.tag_resource()
        .secret_id(&name)
        .tags(tag("a", "3"))
        .tags(tag("c", "4"))
        .send()
        .await
        .unwrap();
    let d = c.describe_secret().secret_id(&name).send().await.unwrap();
    let pairs: Vec<_> = d
        .tags()
        .iter()
        .map(|t| (t.key().unwrap(), t.value().unwrap()))
        .collect();
    assert_eq!(pairs, [("a", "3"), ("b", "2"), ("c", "4")]);
    c.untag_resource()
        .secret_id(&name)
        .tag_keys("a")
        .tag_keys("b")
        .tag_keys("c")
        .tag_keys("not-there")
        .send()
        .await
        .unwrap();
    let d = c.describe_secret().secret_id(&name).send().await.unwrap();
    assert!(d.tags.is_some(), "Tags: [] stays once a secret was tagged");
    assert!(d.tags().is_empty());
}

#[tokio::test]
async fn tag_limits_and_rules() {
    let c = shared().client();
    let name = unique("tags/limits");
    create(&c, &name, "v").await;
    let mut req = c.tag_resource().secret_id(&name);
    for i in 0..50 {
        req = req.tags(tag(&format!("k{i}"), "v"));
    }
    req.send().await.unwrap();
    let (code, _) = err(c
        .tag_resource()
        .secret_id(&name)
        .tags(tag("one-too-many", "v"))
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    c.tag_resource()
        .secret_id(&name)
        .tags(tag("k0", "replaced"))
        .send()
        .await
        .unwrap();

    let other = unique("tags/rules");
    create(&c, &other, "v").await;
    let (code, msg) = err(c
        .tag_resource()
        .secret_id(&other)
        .tags(tag(&"k".repeat(129), "v"))
        .send()
        .await);
    assert_eq!(code, "ValidationException");
    assert!(msg.contains("tags.1.member.key"), "{msg}");
    let (code, _) = err(c
        .tag_resource()
        .secret_id(&other)
        .tags(tag("k", &"v".repeat(257)))
        .send()
        .await);
    assert_eq!(code, "ValidationException");
    let (code, _) = err(c
        .tag_resource()
        .secret_id(&other)
        .tags(tag("bad*key", "v"))
        .send()
        .await);
    assert_eq!(code, "ValidationException");
    let (code, _) = err(c
        .tag_resource()
        .secret_id(&other)
        .tags(tag("aws:reserved", "v"))
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
}

#[tokio::test]
async fn tagging_a_missing_secret() {
    let c = shared().client();
    let (code, _) = err(c
        .tag_resource()
        .secret_id(unique("tags/none"))
        .tags(tag("a", "b"))
        .send()
        .await);
    assert_eq!(code, "ResourceNotFoundException");
    let (code, _) = err(c
        .untag_resource()
        .secret_id(unique("tags/none"))
        .tag_keys("a")
        .send()
        .await);
    assert_eq!(code, "ResourceNotFoundException");
}
