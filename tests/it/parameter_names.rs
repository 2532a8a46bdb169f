//! Parameter Store's names as AWS reads them: `foo` and `/foo` are one parameter, an ARN is a
//! name, root-level names are under `/`, malformed hierarchies are refused; and what
//! PutParameter accepts (data types, empty values, AMI ids checked after the answer).

use crate::common::*;
use aws_sdk_ssm::types::{ParameterStringFilter, ParameterType, Tag};
use std::net::SocketAddr;

fn ssm(addr: SocketAddr, account: &str) -> aws_sdk_ssm::Client {
    sdk_client!(aws_sdk_ssm, addr, REGION, test_key(account))
}

async fn put(c: &aws_sdk_ssm::Client, name: &str, value: &str) -> Result<i64, (String, String)> {
    let r = c
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(ParameterType::String)
        .send()
        .await;
    match r {
        Ok(out) => Ok(out.version),
        Err(e) => Err(err::<(), _>(Err(e))),
    }
}

async fn value(c: &aws_sdk_ssm::Client, name: &str) -> Result<String, (String, String)> {
    match c.get_parameter().name(name).send().await {
        Ok(out) => Ok(out.parameter.unwrap().value.unwrap_or_default()),
        Err(e) => Err(err::<(), _>(Err(e))),
    }
}

#[tokio::test]
async fn a_root_level_name_is_one_parameter_with_or_without_its_slash() {
    let server = TestServer::isolated().await;
    let c = ssm(server.addr, "100000000011");
    put(&c, "plain", "1").await.unwrap();
    assert_eq!(value(&c, "/plain").await.unwrap(), "1");
    let shown = c.get_parameter().name("/plain").send().await.unwrap();
    assert_eq!(shown.parameter.unwrap().name(), Some("plain"));
    // Written again under the other spelling, it is the same parameter.
    let e = put(&c, "/plain", "2").await.unwrap_err();
    assert_eq!(e.0, "ParameterAlreadyExists");
    let got = c.get_parameters().names("/plain").send().await.unwrap();
    assert_eq!(got.parameters().len(), 1);
    assert!(got.invalid_parameters().is_empty());
    let history = c
        .get_parameter_history()
        .name("/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(history.parameters().len(), 1);
    c.add_tags_to_resource()
        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
        .resource_id("/plain")
        .tags(Tag::builder().key("team").value("alpha").build().unwrap())
        .send()
        .await
        .unwrap();
    // An ARN names a parameter too.
    let arn = format!("arn:aws:ssm:{REGION}:100000000011:parameter/plain");
    assert_eq!(value(&c, &arn).await.unwrap(), "1");
    put(&c, "/nested/key", "n").await.unwrap();
    let nested = format!("arn:aws:ssm:{REGION}:100000000011:parameter/nested/key");
    assert_eq!(value(&c, &nested).await.unwrap(), "n");

    // `/` holds the root-level names, however they were written.
    put(&c, "/slashed", "s").await.unwrap();
    let root = c.get_parameters_by_path().path("/").send().await.unwrap();
    let mut names: Vec<&str> = root.parameters().iter().filter_map(|p| p.name()).collect();
    names.sort_unstable();
    assert_eq!(names, ["/slashed", "plain"]);
    let described = c
        .describe_parameters()
        .parameter_filters(
            ParameterStringFilter::builder()
                .key("Path")
                .option("OneLevel")
                .values("/")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(described.parameters().len(), 2);
    let tagged = c
        .describe_parameters()
        .parameter_filters(
            ParameterStringFilter::builder()
                .key("tag:team")
                .option("BeginsWith")
                .values("al")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(tagged.parameters().len(), 1);

    c.delete_parameter().name("/plain").send().await.unwrap();
    assert_eq!(value(&c, "plain").await.unwrap_err().0, "ParameterNotFound");
}

#[tokio::test]
async fn malformed_hierarchies_are_refused_not_missing() {
    let server = TestServer::isolated().await;
    let c = ssm(server.addr, "100000000012");
    for name in ["/a//b", "/a/b/"] {
        let e = value(&c, name).await.unwrap_err();
        assert_eq!(e.0, "ValidationException", "{name}");
        let e = put(&c, name, "v").await.unwrap_err();
        assert_eq!(e.0, "ValidationException", "{name}");
    }
    let e = value(&c, "a/b/c").await.unwrap_err();
    assert_eq!(
        e,
        (
            "ValidationException".to_string(),
            "Parameter name must be a fully qualified name".to_string()
        )
    );
    let e = c.delete_parameter().name("a/b").send().await;
    assert_eq!(err(e).0, "ValidationException");
}

#[tokio::test]
async fn values_and_data_types_are_checked_as_aws_checks_them() {
    let server = TestServer::isolated().await;
    let c = ssm(server.addr, "100000000013");
    let e = put(&c, "/empty", "").await.unwrap_err();
    assert_eq!(e.0, "ValidationException");
    let e = c
        .put_parameter()
        .name("/typed")
        .value("v")
        .r#type(ParameterType::String)
        .data_type("Text")
        .send()
        .await;
    assert_eq!(
        err(e).1,
        "The following data type is not supported: Text (Data type names are all lowercase.)"
    );
    for data_type in ["text", "aws:ssm:integration"] {
        c.put_parameter()
            .name(format!("/typed/{}", data_type.replace(':', "-")))
            .value("v")
            .r#type(ParameterType::String)
            .data_type(data_type)
            .send()
            .await
            .unwrap();
    }
    // An AMI id is checked after PutParameter answers: a value that is not one is accepted
    // and never stored.
    let image = |value: &'static str| {
        c.put_parameter()
            .name("/image")
            .value(value)
            .r#type(ParameterType::String)
            .data_type("aws:ec2:image")
            .overwrite(true)
            .send()
    };
    let accepted = image("not-an-image").await.unwrap();
    assert_eq!(accepted.version, 1);
    assert_eq!(
        value(&c, "/image").await.unwrap_err().0,
        "ParameterNotFound"
    );
    image("ami-0123456789abcdef0").await.unwrap();
    assert_eq!(value(&c, "/image").await.unwrap(), "ami-0123456789abcdef0");
}

fn string_filter(key: &str, option: Option<&str>, values: &[&str]) -> ParameterStringFilter {
    let mut f = ParameterStringFilter::builder()
        .key(key)
        .set_option(option.map(str::to_string));
    for v in values {
        f = f.values(*v);
    }
    f.build().unwrap()
}

#[tokio::test]
async fn parameter_filters_are_checked_before_anything_is_listed() {
    let addr = shared().addr;
    let c = ssm(addr, "100000000051");
    put(&c, "/filters/a", "1").await.unwrap();
    let describe = |filters: Vec<ParameterStringFilter>| {
        c.describe_parameters()
            .set_parameter_filters(Some(filters))
            .send()
    };
    let cases: [(Vec<ParameterStringFilter>, &str, &str); 7] = [
        (
            vec![string_filter("Label", None, &["x"])],
            "InvalidFilterKey",
            "The following filter key is not valid: Label. Valid filter keys include: [Path, Name, Type, KeyId, Tier].",
        ),
        (
            vec![string_filter("Name", None, &[])],
            "InvalidFilterValue",
            "The following filter values are missing : null for filter key Name.",
        ),
        (
            vec![
                string_filter("Name", None, &["a"]),
                string_filter("Name", None, &["b"]),
            ],
            "InvalidFilterKey",
            "The following filter is duplicated in the request: Name. A request can contain only one occurrence of a specific filter.",
        ),
        (
            vec![string_filter("Path", Some("Equals"), &["/filters"])],
            "InvalidFilterOption",
            "The following filter option is not valid: Equals. Valid options include: [Recursive, OneLevel].",
        ),
        (
            vec![string_filter("Path", None, &["/aws"])],
            "InvalidFilterValue",
            "Filters for common parameters can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). When using global parameters, please specify within a global namespace.",
        ),
        (
            vec![string_filter("Type", None, &["test"])],
            "InvalidFilterValue",
            "The following filter value is not valid: test. Valid values include: [String, StringList, SecureString]",
        ),
        (
            vec![string_filter("Name", Some("option"), &["t"])],
            "InvalidFilterOption",
            "The following filter option is not valid: option. Valid options include: [BeginsWith, Equals].",
        ),
    ];
    for (filters, code, message) in cases {
        let e = describe(filters).await;
        assert_eq!(err(e), (code.to_string(), message.to_string()));
    }
    let (code, message) = err(describe(vec![string_filter("Path", None, &["//"])]).await);
    assert_eq!(code, "InvalidFilterValue");
    assert!(message.starts_with("The parameter doesn't meet the parameter name requirements."));
    let e = c
        .get_parameters_by_path()
        .path("/filters")
        .parameter_filters(string_filter("Tier", None, &["Standard"]))
        .send()
        .await;
    assert_eq!(
        err(e),
        (
            "InvalidFilterKey".to_string(),
            "The following filter key is not valid: Tier. Valid filter keys include: [Type, KeyId].".to_string()
        )
    );
    // Valid filters still list.
    let listed = describe(vec![string_filter(
        "Path",
        Some("Recursive"),
        &["/filters"],
    )])
    .await
    .unwrap();
    assert_eq!(listed.parameters().len(), 1);
}

#[tokio::test]
async fn aws_public_parameters_name_regions_and_services() {
    let addr = shared().addr;
    let c = ssm(addr, "100000000052");
    let long = c
        .get_parameter()
        .name("/aws/service/global-infrastructure/regions/us-east-1/longName")
        .send()
        .await
        .unwrap()
        .parameter
        .unwrap();
    assert_eq!(long.value(), Some("US East (N. Virginia)"));
    assert_eq!(long.r#type().unwrap().as_str(), "String");
    assert_eq!(
        long.arn(),
        Some("arn:aws:ssm:us-east-1::parameter/aws/service/global-infrastructure/regions/us-east-1/longName")
    );
    let got = c
        .get_parameters()
        .names("/aws/service/global-infrastructure/services/secretsmanager/longName")
        .names("/aws/service/global-infrastructure/regions/nowhere-1")
        .send()
        .await
        .unwrap();
    assert_eq!(got.parameters()[0].value(), Some("AWS Secrets Manager"));
    assert_eq!(
        got.invalid_parameters(),
        ["/aws/service/global-infrastructure/regions/nowhere-1"]
    );

    // The regions of the caller's partition, a page at a time.
    let mut regions = Vec::new();
    let mut next = None;
    loop {
        let page = c
            .get_parameters_by_path()
            .path("/aws/service/global-infrastructure/regions")
            .set_next_token(next)
            .send()
            .await
            .unwrap();
        assert!(page.parameters().len() <= 10);
        regions.extend(page.parameters().iter().filter_map(|p| p.value.clone()));
        next = page.next_token;
        if next.is_none() {
            break;
        }
    }
    assert!(regions.contains(&"eu-west-1".to_string()), "{regions:?}");
    assert!(!regions.iter().any(|r| r.starts_with("cn-")));
    let in_china = sdk_client!(aws_sdk_ssm, addr, "cn-north-1", test_key("100000000052"));
    let china = in_china
        .get_parameters_by_path()
        .path("/aws/service/global-infrastructure/regions")
        .send()
        .await
        .unwrap();
    let names: Vec<_> = china
        .parameters()
        .iter()
        .filter_map(|p| p.value())
        .collect();
    assert_eq!(names, ["cn-north-1", "cn-northwest-1"]);
    // Recursive listing reaches a region's services.
    let services = c
        .get_parameters_by_path()
        .path("/aws/service/global-infrastructure/regions/us-west-2/services")
        .max_results(10)
        .send()
        .await
        .unwrap();
    assert!(services
        .parameters()
        .iter()
        .any(|p| p.value() == Some("kms")));
    let e = c
        .get_parameter()
        .name("/aws/service/global-infrastructure/regions/us-east-1:2")
        .send()
        .await;
    assert_eq!(err(e).0, "ParameterVersionNotFound");
}
