//! ListSecrets: filters, sorting and pagination through the SDK.

use crate::common::*;
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType, SortByType, SortOrderType, Tag};
use aws_sdk_secretsmanager::Client;

fn filter(key: FilterNameStringType, values: &[&str]) -> Filter {
    let mut f = Filter::builder().key(key);
    for v in values {
        f = f.values(*v);
    }
    f.build()
}

async fn names(c: &Client, filters: Vec<Filter>) -> Vec<String> {
    let out = c
        .list_secrets()
        .set_filters(Some(filters))
        .send()
        .await
        .unwrap();
    out.secret_list()
        .iter()
        .map(|s| s.name().unwrap().to_string())
        .collect()
}

async fn recorded_corpus(c: &Client) {
    for (name, desc) in [
        ("testing1/one-1", "a secret"),
        ("/testing2/two-1", "an secret"),
        ("testing3/three-1", "asecret"),
        ("/testing4/four-1", "thesecret"),
    ] {
        c.create_secret()
            .name(name)
            .description(desc)
            .secret_string("x")
            .tags(
                Tag::builder()
                    .key(format!("Key{}", &name[..5]))
                    .value("Prod")
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn filters_behave_like_aws() {
    use FilterNameStringType as K;
    let server = TestServer::isolated().await;
    let c = server.client();
    recorded_corpus(&c).await;
    assert_eq!(
        names(&c, vec![filter(K::Name, &["/"])]).await,
        ["/testing2/two-1", "/testing4/four-1"]
    );
    assert_eq!(
        names(&c, vec![filter(K::Name, &["!/"])]).await,
        ["testing1/one-1", "testing3/three-1"]
    );
    assert!(names(&c, vec![filter(K::Name, &["testing1 one"])])
        .await
        .is_empty());
    assert_eq!(
        names(&c, vec![filter(K::Description, &["a"])]).await.len(),
        3
    );
    assert_eq!(
        names(&c, vec![filter(K::Description, &["!a"])]).await,
        ["/testing4/four-1"]
    );
    assert_eq!(
        names(&c, vec![filter(K::Description, &["!c"])]).await.len(),
        4
    );
    assert_eq!(
        names(&c, vec![filter(K::Description, &["a secret"])]).await,
        ["testing1/one-1", "/testing2/two-1"]
    );
    assert!(names(
        &c,
        vec![filter(K::Description, &["a"]), filter(K::Name, &["an"])]
    )
    .await
    .is_empty());
    assert_eq!(
        names(&c, vec![filter(K::Name, &["testing1", "testing3"])])
            .await
            .len(),
        2
    );
    assert_eq!(
        names(&c, vec![filter(K::TagKey, &["Keytest"])]).await,
        ["testing1/one-1", "testing3/three-1"]
    );
    assert_eq!(
        names(&c, vec![filter(K::TagValue, &["Pro"])]).await.len(),
        4
    );
    assert!(names(&c, vec![filter(K::TagValue, &["pro"])])
        .await
        .is_empty());
    assert_eq!(names(&c, vec![filter(K::All, &["prod"])]).await.len(), 4);
    assert_eq!(
        names(&c, vec![filter(K::All, &["thesec"])]).await,
        ["/testing4/four-1"]
    );
    assert!(names(&c, vec![filter(K::PrimaryRegion, &["us"])])
        .await
        .is_empty());
    assert!(names(&c, vec![filter(K::OwningService, &["rds"])])
        .await
        .is_empty());
}

#[tokio::test]
async fn entries_carry_versions_to_stages() {
    let server = TestServer::isolated().await;
    let c = server.client();
    create(&c, "list/entry", "v").await;
    c.create_secret().name("list/empty").send().await.unwrap();
    let raw = raw_op(server.addr, "ListSecrets", "{}").await;
    let list = raw.json["SecretList"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list[0]["SecretVersionsToStages"].is_object());
    assert!(list[0].get("VersionIdsToStages").is_none());
    assert!(list[1].get("SecretVersionsToStages").is_none());
    assert!(list[0].get("Description").is_none());
}

#[tokio::test]
async fn sorting() {
    let server = TestServer::isolated().await;
    let c = server.client();
    for n in ["b", "c", "a"] {
        create(&c, &format!("sort/{n}"), "v").await;
        server.clock.advance(1000);
    }
    let list = |order: SortOrderType, by: Option<SortByType>| {
        let c = c.clone();
        async move {
            let out = c
                .list_secrets()
                .sort_order(order)
                .set_sort_by(by)
                .send()
                .await
                .unwrap();
            out.secret_list()
                .iter()
                .map(|s| s.name().unwrap()[5..].to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list(SortOrderType::Asc, None).await, ["b", "c", "a"]);
    assert_eq!(list(SortOrderType::Desc, None).await, ["a", "c", "b"]);
    assert_eq!(
        list(SortOrderType::Asc, Some(SortByType::Name)).await,
        ["a", "b", "c"]
    );
    assert_eq!(
        list(SortOrderType::Desc, Some(SortByType::Name)).await,
        ["c", "b", "a"]
    );
    c.update_secret()
        .secret_id("sort/b")
        .description("changed")
        .send()
        .await
        .unwrap();
    assert_eq!(
        list(SortOrderType::Desc, Some(SortByType::LastChangedDate)).await,
        ["b", "a", "c"]
    );
}

#[tokio::test]
async fn pagination_is_stable_and_complete() {
    let server = TestServer::isolated().await;
    let c = server.client();
    for i in 0..23 {
        create(&c, &format!("page/{i:02}"), "v").await;
    }
    let mut late = 0;
    for by in [
        None,
        Some(SortByType::Name),
        Some(SortByType::LastChangedDate),
    ] {
        for order in [SortOrderType::Asc, SortOrderType::Desc] {
            let mut seen = Vec::new();
            let mut next = None;
            let mut pages = 0;
            loop {
                let out = c
                    .list_secrets()
                    .max_results(5)
                    .sort_order(order.clone())
                    .set_sort_by(by.clone())
                    .set_next_token(next)
                    .send()
                    .await
                    .unwrap();
                pages += 1;
                seen.extend(
                    out.secret_list()
                        .iter()
                        .map(|s| s.name().unwrap().to_string()),
                );
                next = out.next_token().map(str::to_string);
                if next.is_none() {
                    break;
                }
                if pages == 2 {
                    late += 1;
                    create(&c, &format!("page/late-{late}"), "v").await;
                }
            }
            assert!(pages >= 5, "{by:?} {order:?}");
            for i in 0..23 {
                assert!(
                    seen.contains(&format!("page/{i:02}")),
                    "{by:?} {order:?} lost {i}"
                );
            }
            let unique: std::collections::HashSet<_> = seen.iter().collect();
            assert_eq!(unique.len(), seen.len(), "no duplicates across pages");
            assert!(seen.len() >= 23);
        }
    }
    let pages: Vec<_> = c
        .list_secrets()
        .max_results(7)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let total: usize = pages.iter().map(|p| p.secret_list().len()).sum();
    assert!(total >= 23);
}

#[tokio::test]
async fn invalid_arguments() {
    let c = shared().client();
    let (code, _) = err(c.list_secrets().max_results(101).send().await);
    assert_eq!(code, "ValidationException");
    let (code, _) = err(c.list_secrets().next_token("garbage!").send().await);
    assert_eq!(code, "InvalidNextTokenException");
    let bad = filter(FilterNameStringType::Name, &["semi;colon"]);
    let (code, msg) = err(c.list_secrets().filters(bad).send().await);
    assert_eq!(code, "ValidationException");
    assert!(msg.contains("filters.1.member.values.1.member"), "{msg}");
}

#[tokio::test]
async fn all_and_description_filters_see_words_as_secrets_manager_cuts_them() {
    use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType};
    let server = TestServer::isolated().await;
    let c = server.client();
    c.create_secret()
        .name("team/credsDatabase892")
        .description("rotates_the+main.db@night")
        .secret_string("v")
        .send()
        .await
        .unwrap();
    create(&c, "other/plain", "v").await;
    let names = |key: FilterNameStringType, value: &'static str| {
        let c = c.clone();
        async move {
            let out = c
                .list_secrets()
                .filters(Filter::builder().key(key).values(value).build())
                .send()
                .await
                .unwrap();
            out.secret_list()
                .iter()
                .map(|s| s.name().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    for value in [
        "credsDatabase@892",
        "database",
        "892",
        "CREDS data",
        "team db",
    ] {
        assert_eq!(
            names(FilterNameStringType::All, value).await,
            ["team/credsDatabase892"],
            "{value}"
        );
    }
    for value in ["main", "night", "rotates main"] {
        assert_eq!(
            names(FilterNameStringType::Description, value).await,
            ["team/credsDatabase892"],
            "{value}"
        );
    }
    assert!(names(FilterNameStringType::All, "abase").await.is_empty());
    assert!(names(FilterNameStringType::Description, "ight")
        .await
        .is_empty());
}

#[tokio::test]
async fn filters_without_a_key_or_values_are_refused() {
    let addr = shared().addr;
    for op in ["ListSecrets", "BatchGetSecretValue"] {
        let r = raw_op(addr, op, "{\"Filters\": [{\"Values\": [\"x\"]}]}").await;
        assert_eq!(
            (
                r.status,
                r.json["__type"].as_str(),
                r.json["Message"].as_str()
            ),
            (
                400,
                Some("InvalidParameterException"),
                Some("Invalid filter key")
            ),
            "{op}"
        );
        let r = raw_op(addr, op, "{\"Filters\": [{\"Key\": \"description\"}]}").await;
        assert_eq!(
            (r.json["__type"].as_str(), r.json["Message"].as_str()),
            (
                Some("InvalidParameterException"),
                Some("Invalid filter values for key: description")
            ),
            "{op}"
        );
    }
}
