//! Nothing gets in: a GET from any page to any accepted host name changes nothing, the work
//! directory is another local user's to neither guess nor touch, a stack acts with its
//! caller's rights, and in strict mode a signature binds exactly what was signed.

use crate::common::*;
use crate::stacks::{cfn, settle};
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use localemu::config::{Config, Strict};
use std::time::{Duration, SystemTime};

/// Every name the emulator answers to (as function processes and LocalStack users address
/// it), and addresses: browsers treat none but `localhost` as local, so a page's `<img>` GET to
/// them carries no header that marks it as the page's.
const HOSTS: &[&str] = &[
    "localhost",
    "localhost.localstack.cloud",
    "s3.localhost.localstack.cloud",
    "host.docker.internal",
    "localstack",
    "127.0.0.1",
    "10.1.2.3",
    "[::1]",
];

#[tokio::test]
async fn a_get_or_head_changes_nothing_whatever_the_host() {
    let emu = TestServer::isolated().await;
    let template = urlencode(
        r#"{"Resources":{"P":{"Type":"AWS::SSM::Parameter","Properties":{"Type":"String","Value":"x"}}}}"#,
    );
    let writes = [
        format!(
            "/?Action=CreateStack&Version=2010-05-15&StackName=drive-by&TemplateBody={template}"
        ),
        "/?Action=DeleteStack&Version=2010-05-15&StackName=drive-by".into(),
        "/?Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::000000000000:role/r&RoleSessionName=s".into(),
        "/?Action=GetSessionToken&Version=2011-06-15".into(),
    ];
    for host in HOSTS {
        let host = format!("{host}:{}", emu.addr.port());
        for path in &writes {
            for method in ["GET", "HEAD"] {
                let r = raw(emu.addr, method, path, &[("host", &host)], Vec::new()).await;
                assert_eq!(r.status, 400, "{method} {host}{path}");
                if method == "GET" {
                    let text = String::from_utf8_lossy(&r.body);
                    assert!(text.contains("only when it is POSTed"), "{text}");
                }
            }
        }
        // Reads are still served: a presigned GetCallerIdentity, a DescribeStacks.
        let who = raw(
            emu.addr,
            "GET",
            "/?Action=GetCallerIdentity&Version=2011-06-15",
            &[("host", &host)],
            Vec::new(),
        )
        .await;
        assert_eq!(who.status, 200, "{host}");
        let stacks = raw(
            emu.addr,
            "GET",
            "/?Action=DescribeStacks&Version=2010-05-15",
            &[("host", &host)],
            Vec::new(),
        )
        .await;
        assert_eq!(stacks.status, 200, "{host}");
        assert!(!String::from_utf8_lossy(&stacks.body).contains("drive-by"));
    }
    // Nothing was made, and the same write POSTed by a client still works.
    let c = cfn(emu.addr);
    assert!(c
        .describe_stacks()
        .send()
        .await
        .unwrap()
        .stacks()
        .is_empty());
    let r = raw(
        emu.addr,
        "POST",
        &writes[0],
        &[("content-type", "application/x-www-form-urlencoded")],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

/// Creates a stack (as `role` when given) and returns its id.
pub async fn create_stack(
    c: &aws_sdk_cloudformation::Client,
    name: &str,
    body: impl Into<String>,
    role: Option<&str>,
) -> String {
    c.create_stack()
        .stack_name(name)
        .template_body(body)
        .set_role_arn(role.map(str::to_string))
        .send()
        .await
        .unwrap()
        .stack_id
        .unwrap()
}

fn urlencode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(unix)]
#[tokio::test]
async fn the_work_directory_is_fresh_unguessable_and_private() {
    use std::os::unix::fs::PermissionsExt;
    let config = Config {
        port: 0,
        ..Config::default()
    };
    let deps = localemu::server::Deps::default();
    let server = localemu::server::Server::bind(&config, deps).await.unwrap();
    let dir = server.work_dir().to_path_buf();
    let port = server.local_addr().unwrap().port();
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    assert_ne!(name, format!("localemu-{}-{port}", std::process::id()));
    assert!(name.len() > "localemu-".len() + 30, "{name}");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("runtime/bootstrap.py")) & 0o077, 0);
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.run(std::future::pending()));
    let f = create_function(
        &lambda_client(addr),
        &unique("private"),
        "python3.12",
        "index.handler",
        &[("index.py", b"def handler(e, c):\n    return 1\n", 0o666)],
        &[],
        10,
    )
    .await;
    let name = f.rsplit(':').next().unwrap().to_string();
    let code: Vec<_> = walk(&dir)
        .into_iter()
        .filter(|p| p.ends_with("index.py") && p.to_string_lossy().contains(&name))
        .collect();
    assert!(
        !code.is_empty(),
        "the function's code is under the work directory"
    );
    for file in code {
        assert_eq!(mode(&file) & 0o077, 0, "{}", file.display());
    }
    // Two servers never share a directory.
    let other = localemu::server::private_work_dir("localemu").unwrap();
    assert_ne!(other, dir);
    std::fs::remove_dir_all(other).unwrap();
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// An SSM parameter whose value is read from a secret, and a policy put on a secret: both
/// made by a stack, for a secret named by its ARN.
fn deputy_template(secret_arn: &str) -> String {
    serde_json::json!({
        "Resources": {
            "Copy": {"Type": "AWS::SSM::Parameter", "Properties": {
                "Type": "String",
                "Value": format!("{{{{resolve:secretsmanager:{secret_arn}}}}}"),
            }},
        }
    })
    .to_string()
}

fn policy_template(secret_arn: &str) -> String {
    serde_json::json!({
        "Resources": {
            "Open": {"Type": "AWS::SecretsManager::ResourcePolicy", "Properties": {
                "SecretId": secret_arn,
                "ResourcePolicy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                    "Principal": {"AWS": "*"}, "Action": "secretsmanager:*", "Resource": "*"}]},
            }},
        }
    })
    .to_string()
}

#[tokio::test]
async fn a_stack_acts_with_its_callers_rights_not_as_root() {
    let emu = TestServer::isolated().await;
    let owner = client_for(emu.addr, "111111111111", REGION);
    // A key B may decrypt with: secrets under the AWS managed key are never shared.
    let key_policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"]},
        "Action": "kms:*", "Resource": "*"}]});
    let key = kms_client(emu.addr, "111111111111")
        .create_key()
        .policy(key_policy.to_string())
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .arn
        .unwrap();
    let arn = owner
        .create_secret()
        .name("deputy/target")
        .kms_key_id(&key)
        .secret_string("the-owners-value")
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let other = sdk_client!(
        aws_sdk_cloudformation,
        emu.addr,
        REGION,
        test_key("222222222222")
    );
    // Account B may neither rewrite A's policy nor read A's value through a stack, as it may
    // not directly.
    for (name, body) in [
        ("open-it", policy_template(&arn)),
        ("copy-it", deputy_template(&arn)),
    ] {
        let id = create_stack(&other, name, body, None).await;
        let (status, _) = settle(&other, &id).await;
        assert_eq!(status, "ROLLBACK_COMPLETE", "{name}");
        let reasons: Vec<String> = other
            .describe_stack_events()
            .stack_name(&id)
            .send()
            .await
            .unwrap()
            .stack_events()
            .iter()
            .filter_map(|e| e.resource_status_reason().map(str::to_string))
            .collect();
        assert!(
            reasons.iter().any(|r| r.contains("AccessDenied")
                || r.contains("not authorized")
                || r.contains("cannot be found")),
            "{name}: {reasons:?}"
        );
    }
    let policy = owner
        .get_resource_policy()
        .secret_id(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(policy.resource_policy(), None, "A's policy is untouched");
    // A grants one role of B's: B's stack with that role as its service role may read; B's
    // stack without it still may not.
    let grant = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::222222222222:role/Deployer"},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]});
    owner
        .put_resource_policy()
        .secret_id(&arn)
        .resource_policy(grant.to_string())
        .send()
        .await
        .unwrap();
    let with_role = create_stack(
        &other,
        "as-role",
        deputy_template(&arn),
        Some("arn:aws:iam::222222222222:role/Deployer"),
    )
    .await;
    let events = other
        .describe_stack_events()
        .stack_name(&with_role)
        .send()
        .await
        .unwrap();
    let reasons: Vec<_> = events
        .stack_events()
        .iter()
        .filter_map(|e| e.resource_status_reason())
        .collect();
    assert_eq!(
        settle(&other, &with_role).await.0,
        "CREATE_COMPLETE",
        "{reasons:?}"
    );
    let without = create_stack(&other, "as-root", deputy_template(&arn), None).await;
    assert_eq!(settle(&other, &without).await.0, "ROLLBACK_COMPLETE");
}

/// Headers that sign `body` for `service` as `test`/`test` at `time`.
fn signed_headers(
    addr: std::net::SocketAddr,
    service: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    settings: SigningSettings,
    time: SystemTime,
) -> Vec<(String, String)> {
    let host = addr.to_string();
    let mut all: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    all.push(("host".into(), host.clone()));
    let identity = aws_credential_types::Credentials::new("test", "test", None, None, "t").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name(service)
        .time(time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let url = format!("http://{host}/");
    let signable = SignableRequest::new(
        "POST",
        &url,
        all.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    for (k, v) in instructions.headers() {
        all.push((k.to_string(), v.to_string()));
    }
    all.retain(|(k, _)| k != "host");
    all
}

/// A presigned STS URL (path and query) valid for `expires`, signed at `time`.
fn presigned(
    addr: std::net::SocketAddr,
    query: &str,
    expires: Duration,
    time: SystemTime,
) -> String {
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(expires);
    let identity = aws_credential_types::Credentials::new("test", "test", None, None, "t").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("sts")
        .time(time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let url = format!("http://{addr}/?{query}");
    let host = addr.to_string();
    let signable = SignableRequest::new(
        "GET",
        &url,
        [("host", host.as_str())].into_iter(),
        SignableBody::Bytes(&[]),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut out = format!("/?{query}");
    for (k, v) in instructions.params() {
        out.push('&');
        out.push_str(k);
        out.push('=');
        out.push_str(&urlencode(v));
    }
    out
}

async fn send(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> RawResponse {
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    raw(addr, method, path, &pairs, body.to_vec()).await
}

fn error_code(r: &RawResponse) -> String {
    if let Some(code) = r.json["__type"].as_str() {
        return code.to_string();
    }
    let text = String::from_utf8_lossy(&r.body);
    text.split("<Code>")
        .nth(1)
        .and_then(|t| t.split("</Code>").next())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn in_strict_mode_a_signature_binds_what_was_signed() {
    let emu = TestServer::configured(Config {
        strict: Strict::all(),
        admin_token: Some("admin-token-for-tests".into()),
        ..Config::default()
    })
    .await;
    emu.clock_to_real_time();
    let addr = emu.addr;
    let now = SystemTime::now();
    let json = [
        ("x-amz-target", "secretsmanager.CreateSecret"),
        ("content-type", "application/x-amz-json-1.1"),
    ];

    // The body must be the one whose hash was signed, whatever x-amz-content-sha256 claims.
    let body = br#"{"Name":"signed-name","SecretString":"v","ClientRequestToken":"00000000-0000-4000-8000-000000000002"}"#;
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let headers = signed_headers(addr, "secretsmanager", &json, body, settings, now);
    let swapped = br#"{"Name":"swapped-name","SecretString":"v","ClientRequestToken":"00000000-0000-4000-8000-000000000002"}"#;
    let r = send(addr, "POST", "/", &headers, swapped).await;
    assert_eq!(error_code(&r), "InvalidSignatureException", "{:?}", r.json);
    let r = send(addr, "POST", "/", &headers, body).await;
    assert_eq!(r.status, 200, "{:?}", r.json);

    // A signature made for STS is not accepted by Secrets Manager, nor the other way round.
    let form = b"Action=GetCallerIdentity&Version=2011-06-15";
    let form_type = [("content-type", "application/x-www-form-urlencoded")];
    let sts = signed_headers(
        addr,
        "sts",
        &form_type,
        form,
        SigningSettings::default(),
        now,
    );
    let r = send(addr, "POST", "/", &sts, form).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let mut replay = sts.clone();
    replay.push(("x-amz-target".into(), "secretsmanager.ListSecrets".into()));
    replay.retain(|(k, _)| k != "content-type");
    replay.push(("content-type".into(), "application/x-amz-json-1.1".into()));
    let r = send(addr, "POST", "/", &replay, form).await;
    assert_eq!(error_code(&r), "InvalidSignatureException", "{:?}", r.json);
    let list = b"{}";
    let sm = signed_headers(
        addr,
        "secretsmanager",
        &[
            ("x-amz-target", "secretsmanager.ListSecrets"),
            ("content-type", "application/x-amz-json-1.1"),
        ],
        list,
        SigningSettings::default(),
        now,
    );
    let r = send(addr, "POST", "/", &sm, list).await;
    assert_eq!(r.status, 200);
    // An X-Amz-Target added after signing is not what was signed.
    let mut unsigned_target = sts.clone();
    unsigned_target.push(("x-amz-target".into(), "sts.GetCallerIdentity".into()));
    let r = send(addr, "POST", "/", &unsigned_target, form).await;
    assert_ne!(r.status, 200);

    // Presigned URLs: served within AWS's limits, refused beyond them.
    let query = "Action=GetCallerIdentity&Version=2011-06-15";
    let ok = presigned(addr, query, Duration::from_mins(15), now);
    let r = raw(addr, "GET", &ok, &[], Vec::new()).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    // A body cannot change the action a presigned URL names.
    let r = raw(
        addr,
        "POST",
        &ok,
        &[("content-type", "application/x-www-form-urlencoded")],
        b"Action=AssumeRole&RoleArn=arn:aws:iam::000000000000:role/x&RoleSessionName=s".to_vec(),
    )
    .await;
    assert_ne!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let long = presigned(addr, query, Duration::from_secs(604_801), now);
    let r = raw(addr, "GET", &long, &[], Vec::new()).await;
    assert_ne!(r.status, 200);
    assert!(String::from_utf8_lossy(&r.body).contains("604800"));
    let ahead = now + Duration::from_hours(10 * 365 * 24);
    let future = presigned(addr, query, Duration::from_mins(15), ahead);
    let r = raw(addr, "GET", &future, &[], Vec::new()).await;
    assert_ne!(r.status, 200);
    assert!(String::from_utf8_lossy(&r.body).contains("not yet current"));

    // LocalEmu's own endpoints need the admin token; health stays open.
    let before = localemu::clock::Clock::now(emu.clock.as_ref());
    for (method, path, body) in [
        ("POST", "/_awsemu/reset", ""),
        ("POST", "/_awsemu/clock", r#"{"advance": "1d"}"#),
        ("GET", "/_awsemu/clock", ""),
        ("GET", "/_awsemu/rotations", ""),
        ("GET", "/_awsemu/invocations", ""),
        ("GET", "/_awsemu/console", ""),
        ("GET", "/_awsemu/console?token=guess", ""),
    ] {
        let r = raw(addr, method, path, &[], body.as_bytes().to_vec()).await;
        assert_eq!(r.status, 403, "{method} {path}");
    }
    assert_eq!(localemu::clock::Clock::now(emu.clock.as_ref()), before);
    let token = [("x-awsemu-admin-token", "admin-token-for-tests")];
    let r = raw(addr, "GET", "/_awsemu/rotations", &token, Vec::new()).await;
    assert_eq!(r.status, 200);
    let r = raw(
        addr,
        "GET",
        "/_awsemu/console?token=admin-token-for-tests",
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = raw(addr, "GET", "/_awsemu/health", &[], Vec::new()).await;
    assert_eq!(r.status, 200);
    // The secret made by the signed request is still there: no reset went through.
    let r = send(addr, "POST", "/", &sm, list).await;
    assert!(String::from_utf8_lossy(&r.body).contains("signed-name"));
}

#[tokio::test]
async fn a_structure_must_be_a_json_object() {
    const TOKEN: &str = "00000000-0000-4000-8000-000000000001";
    let addr = shared().addr;
    let name = unique("tags-shape");
    for body in [
        format!(
            r#"{{"Name":"{name}","SecretString":"v","Tags":[[]],"ClientRequestToken":"{TOKEN}"}}"#
        ),
        format!(
            r#"{{"Name":"{name}","SecretString":"v","Tags":["k"],"ClientRequestToken":"{TOKEN}"}}"#
        ),
        format!(
            r#"{{"Name":"{name}","SecretString":"v","AddReplicaRegions":[[]],"ClientRequestToken":"{TOKEN}"}}"#
        ),
    ] {
        let r = raw_op(addr, "CreateSecret", &body).await;
        assert_eq!(r.json["__type"], "SerializationException", "{body}");
    }
    let c = shared().client();
    create(&c, &name, "v").await;
    let r = raw_op(
        addr,
        "TagResource",
        &format!(r#"{{"SecretId":"{name}","Tags":[[]]}}"#),
    )
    .await;
    assert_eq!(r.json["__type"], "SerializationException");
    let d = c.describe_secret().secret_id(&name).send().await.unwrap();
    assert!(d.tags().is_empty());
}

#[tokio::test]
async fn a_template_cannot_multiply_its_input() {
    let emu = TestServer::isolated().await;
    let c = cfn(emu.addr);
    // Eight nested Fn::Sub of a parameter, each repeating the one inside ten times.
    let mut value = serde_json::json!({"Ref": "P"});
    for _ in 0..8 {
        value = serde_json::json!({"Fn::Sub": ["${X}".repeat(10), {"X": value}]});
    }
    let nested = serde_json::json!({
        "Parameters": {"P": {"Type": "String", "Default": "x".repeat(1000)}},
        "Resources": {"A": {"Type": "AWS::SSM::Parameter",
            "Properties": {"Type": "String", "Value": value}}},
    });
    // One Fn::Sub repeating a 4 KB parameter thousands of times, in a 48 KB template.
    let repeated = serde_json::json!({
        "Parameters": {"P": {"Type": "String", "Default": "y".repeat(4096)}},
        "Resources": {"B": {"Type": "AWS::SSM::Parameter",
            "Properties": {"Type": "String", "Value": {"Fn::Sub": "${P}".repeat(11_000)}}}},
    });
    // Both are refused when the stack is asked for (the template is evaluated once, within
    // the same bound, before anything is made), and no stack is left.
    for (name, body) in [("nested", nested), ("repeated", repeated)] {
        let e = c
            .create_stack()
            .stack_name(name)
            .template_body(body.to_string())
            .send()
            .await;
        let (code, message) = err(e);
        assert_eq!(code, "ValidationError", "{name}");
        assert!(
            message.contains("evaluate to more than"),
            "{name}: {message}"
        );
        let gone = c.describe_stacks().stack_name(name).send().await;
        assert_eq!(err(gone).0, "ValidationError", "{name}");
    }
    // The server is still serving.
    let ssm = crate::stacks::ssm(emu.addr);
    ssm.describe_parameters().send().await.unwrap();
}

/// Replicas go only to Regions AWS has: a name that merely fits the model's pattern would add
/// a replica (and a namespace) per name, and every later write would copy itself to them all.
#[tokio::test]
async fn replicas_go_only_to_real_regions() {
    let c = shared().client();
    let name = unique("replica-regions");
    create(&c, &name, "v").await;
    let made_up: Vec<_> = (0..300)
        .map(|i| {
            aws_sdk_secretsmanager::types::ReplicaRegionType::builder()
                .region(format!("{}-{i}", "q".repeat(60)))
                .build()
        })
        .collect();
    let (code, msg) = err(c
        .replicate_secret_to_regions()
        .secret_id(&name)
        .set_add_replica_regions(Some(made_up))
        .send()
        .await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("InvalidParameterException", "Invalid replica region.")
    );
    let (code, _) = err(c
        .create_secret()
        .name(unique("replica-create"))
        .secret_string("v")
        .add_replica_regions(
            aws_sdk_secretsmanager::types::ReplicaRegionType::builder()
                .region("xx-nowhere-9")
                .build(),
        )
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    let d = c.describe_secret().secret_id(&name).send().await.unwrap();
    assert!(d.replication_status().is_empty());
    c.replicate_secret_to_regions()
        .secret_id(&name)
        .add_replica_regions(
            aws_sdk_secretsmanager::types::ReplicaRegionType::builder()
                .region("eu-central-2")
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// In strict mode an explicit Deny in a secret's policy binds the same account's principal
/// through a stack as it does directly: the stack can neither copy the value out with a
/// dynamic reference nor replace the policy that denies it.
#[tokio::test]
async fn in_strict_mode_a_deny_binds_a_stack_as_it_binds_its_caller() {
    let emu = TestServer::configured(Config {
        strict: Strict::all(),
        ..Config::default()
    })
    .await;
    emu.clock_to_real_time();
    let root = client_for(emu.addr, "test", REGION);
    let arn = create(&root, "strict/stack", "hidden").await;
    let deny = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny",
        "Principal": {"AWS": "arn:aws:iam::000000000000:role/App"},
        "Action": "secretsmanager:*", "Resource": "*"}]});
    root.put_resource_policy()
        .secret_id(&arn)
        .resource_policy(deny.to_string())
        .send()
        .await
        .unwrap();
    let session = crate::identity::assume(
        emu.addr,
        "000000000000",
        "arn:aws:iam::000000000000:role/App",
    )
    .await;
    let as_app = sdk_client!(aws_sdk_cloudformation, emu.addr, REGION, session);
    for (name, body) in [
        ("copy-denied", deputy_template(&arn)),
        ("undeny", policy_template(&arn)),
    ] {
        let id = create_stack(&as_app, name, body, None).await;
        assert_eq!(settle(&as_app, &id).await.0, "ROLLBACK_COMPLETE", "{name}");
    }
    let policy = root
        .get_resource_policy()
        .secret_id(&arn)
        .send()
        .await
        .unwrap();
    assert!(policy.resource_policy().unwrap().contains("Deny"));
    // The account's root is not denied: the same stack works for it.
    let as_root = sdk_client!(
        aws_sdk_cloudformation,
        emu.addr,
        REGION,
        aws_credential_types::Credentials::new("test", "test", None, None, "t")
    );
    let id = create_stack(&as_root, "copy-allowed", deputy_template(&arn), None).await;
    assert_eq!(settle(&as_root, &id).await.0, "CREATE_COMPLETE");
}
