//! The Parameters and Secrets extension inside functions: reads through localhost:2773 from
//! Python and Node, the token check, caching on the emulator's clock, refusal without the
//! layer, two emulators side by side, and a rotation function that reads through it.

use crate::common::*;
use aws_sdk_lambda::types::Environment;
use serde_json::{json, Value};
use std::net::SocketAddr;

const LAYER: &str =
    "arn:aws:lambda:us-east-1:177933569100:layer:AWS-Parameters-and-Secrets-Lambda-Extension:12";

/// A probe function (Python or Node), with the layer unless `layer` is false.
async fn probe(addr: SocketAddr, node: bool, layer: bool, env: &[(&str, &str)]) -> String {
    let c = lambda_client(addr);
    let name = unique("ext-probe");
    let (runtime, handler, file, code): (&str, &str, &str, &[u8]) = if node {
        (
            "nodejs20.x",
            "probe.handler",
            "probe.mjs",
            include_bytes!("fixtures/extension_probe.mjs"),
        )
    } else {
        (
            "python3.12",
            "probe.handler",
            "probe.py",
            include_bytes!("fixtures/extension_probe.py"),
        )
    };
    let mut vars = Environment::builder();
    for (k, v) in env {
        vars = vars.variables(*k, *v);
    }
    let mut create = c
        .create_function()
        .function_name(&name)
        .runtime(aws_sdk_lambda::types::Runtime::from(runtime))
        .role(ROLE)
        .handler(handler)
        .timeout(10)
        .environment(vars.build())
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(zip_of(&[(
                    file, code, 0o644,
                )])))
                .build(),
        );
    if layer {
        create = create.layers(LAYER);
    }
    let out = create.send().await.unwrap();
    if layer {
        assert_eq!(out.layers()[0].arn(), Some(LAYER));
    }
    name
}

async fn call(addr: SocketAddr, function: &str, event: Value) -> Value {
    let out = lambda_client(addr)
        .invoke()
        .function_name(function)
        .payload(aws_sdk_lambda::primitives::Blob::new(event.to_string()))
        .send()
        .await
        .unwrap();
    assert_eq!(out.function_error(), None, "{:?}", out.payload());
    serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap()
}

#[tokio::test]
async fn python_functions_read_secrets_and_parameters_through_the_extension() {
    let server = TestServer::isolated().await;
    let addr = server.addr;
    let secrets = server.client();
    create(&secrets, "ext/db", "v1").await;
    let ssm = sdk_client!(aws_sdk_ssm, addr, REGION, test_key("test"));
    ssm.put_parameter()
        .name("/ext/param")
        .value("p1")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    let f = probe(addr, false, true, &[("SECRETS_MANAGER_TTL", "60")]).await;
    let secret = json!({"path": "/secretsmanager/get?secretId=ext/db"});
    let first = call(addr, &f, secret.clone()).await;
    assert_eq!(first["status"], 200, "{first}");
    assert_eq!(first["body"]["SecretString"], "v1");
    assert_eq!(first["body"]["VersionStages"][0], "AWSCURRENT");
    // Cached for SECRETS_MANAGER_TTL seconds of the emulator's clock.
    secrets
        .put_secret_value()
        .secret_id("ext/db")
        .secret_string("v2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        call(addr, &f, secret.clone()).await["body"]["SecretString"],
        "v1"
    );
    server.clock.advance(61_000);
    assert_eq!(
        call(addr, &f, secret.clone()).await["body"]["SecretString"],
        "v2"
    );
    let previous = call(
        addr,
        &f,
        json!({"path": "/secretsmanager/get?secretId=ext/db&versionStage=AWSPREVIOUS"}),
    )
    .await;
    assert_eq!(previous["body"]["SecretString"], "v1");
    let param = call(
        addr,
        &f,
        json!({"path": "/systemsmanager/parameters/get?name=%2Fext%2Fparam&withDecryption=true"}),
    )
    .await;
    assert_eq!(param["body"]["Parameter"]["Value"], "p1", "{param}");
    let reference = call(addr, &f, json!({"path": "/systemsmanager/parameters/get?name=%2Faws%2Freference%2Fsecretsmanager%2Fext%2Fdb&withDecryption=true"})).await;
    assert_eq!(reference["body"]["Parameter"]["Value"], "v2", "{reference}");
    // AWS's errors pass through; the token is checked.
    let missing = call(
        addr,
        &f,
        json!({"path": "/secretsmanager/get?secretId=ext/none"}),
    )
    .await;
    assert_eq!(missing["status"], 400);
    assert!(missing["body"]
        .as_str()
        .unwrap()
        .contains("ResourceNotFoundException"));
    let no_token = call(
        addr,
        &f,
        json!({"path": "/secretsmanager/get?secretId=ext/db", "no_token": true}),
    )
    .await;
    assert_eq!(no_token["status"], 401);
    let wrong = call(
        addr,
        &f,
        json!({"path": "/secretsmanager/get?secretId=ext/db", "token": "forged"}),
    )
    .await;
    assert_eq!(wrong["status"], 401);
    // Another function's session token does not open this one's extension.
    let other = probe(addr, false, true, &[]).await;
    let token = call(addr, &other, json!({"echo_token": true})).await["token"].clone();
    let stolen = call(
        addr,
        &f,
        json!({"path": "/secretsmanager/get?secretId=ext/db", "token": token}),
    )
    .await;
    assert_eq!(stolen["status"], 401);
    // Without the layer nothing listens: the connection is refused, as on AWS.
    let bare = probe(addr, false, false, &[]).await;
    let refused = call(addr, &bare, secret).await;
    assert_eq!(refused["status"], 0, "{refused}");
}

#[tokio::test]
async fn node_functions_and_two_emulators_do_not_meet() {
    let a = TestServer::isolated().await;
    let b = TestServer::isolated().await;
    create(&a.client(), "ext/shared-name", "from-a").await;
    create(&b.client(), "ext/shared-name", "from-b").await;
    let fa = probe(a.addr, true, true, &[]).await;
    let fb = probe(b.addr, false, true, &[]).await;
    let path = json!({"path": "/secretsmanager/get?secretId=ext/shared-name"});
    let (ra, rb) = tokio::join!(call(a.addr, &fa, path.clone()), call(b.addr, &fb, path));
    assert_eq!(ra["body"]["SecretString"], "from-a", "{ra}");
    assert_eq!(rb["body"]["SecretString"], "from-b", "{rb}");
}

#[tokio::test]
async fn a_rotation_function_reads_through_the_extension() {
    let server = TestServer::isolated().await;
    let addr = server.addr;
    let c = server.client();
    let arn = create(&c, "ext/rotated", "base").await;
    let l = lambda_client(addr);
    let name = unique("ext-rotator");
    let f = l
        .create_function()
        .function_name(&name)
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .role(ROLE)
        .handler("rotation_extension.handler")
        .timeout(10)
        .layers(LAYER)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(zip_of(&[(
                    "rotation_extension.py",
                    include_bytes!("fixtures/rotation_extension.py"),
                    0o644,
                )])))
                .build(),
        )
        .send()
        .await
        .unwrap()
        .function_arn
        .unwrap();
    l.add_permission()
        .function_name(&name)
        .statement_id("sm")
        .action("lambda:InvokeFunction")
        .principal("secretsmanager.amazonaws.com")
        .send()
        .await
        .unwrap();
    let version = c
        .rotate_secret()
        .secret_id(&arn)
        .rotation_lambda_arn(&f)
        .send()
        .await
        .unwrap()
        .version_id
        .unwrap();
    let outcome = crate::rotation::outcome(addr, &version).await;
    assert_eq!(outcome["outcome"], "Succeeded", "{outcome}");
    assert_eq!(current_value(&c, &arn).await, "base+rotated");
}

#[tokio::test]
async fn layers_are_stored_and_reported() {
    let addr = shared().addr;
    let l = lambda_client(addr);
    let name = probe(addr, false, false, &[]).await;
    let other = "arn:aws:lambda:us-east-1:123456789012:layer:my-deps:3";
    let out = l
        .update_function_configuration()
        .function_name(&name)
        .layers(other)
        .layers(LAYER)
        .send()
        .await
        .unwrap();
    let arns: Vec<&str> = out.layers().iter().filter_map(|x| x.arn()).collect();
    assert_eq!(arns, [other, LAYER]);
    let got = l.get_function().function_name(&name).send().await.unwrap();
    assert_eq!(got.configuration().unwrap().layers().len(), 2);
    let mut too_many = l.update_function_configuration().function_name(&name);
    for i in 1..=6 {
        too_many = too_many.layers(format!(
            "arn:aws:lambda:us-east-1:123456789012:layer:l{i}:1"
        ));
    }
    let (code, _) = err(too_many.send().await);
    assert_eq!(code, "InvalidParameterValueException");
    // With the layer added, the same function now reaches its extension.
    let now = call(
        addr,
        &name,
        json!({"path": "/secretsmanager/get?secretId=ext/absent"}),
    )
    .await;
    assert_eq!(now["status"], 400, "{now}");
}

/// PARAMETERS_SECRETS_EXTENSION_HTTP_PORT moves the extension for the function, as on AWS;
/// MAX_CONNECTIONS and the cache switch are honoured.
#[tokio::test]
async fn the_port_and_cache_variables_are_honoured() {
    let server = TestServer::isolated().await;
    let addr = server.addr;
    create(&server.client(), "ext/vars", "a").await;
    let f = probe(
        addr,
        true,
        true,
        &[
            ("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "2999"),
            ("PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED", "false"),
            ("PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS", "1"),
        ],
    )
    .await;
    let path = json!({"path": "/secretsmanager/get?secretId=ext/vars"});
    assert_eq!(
        call(addr, &f, path.clone()).await["body"]["SecretString"],
        "a"
    );
    server
        .client()
        .put_secret_value()
        .secret_id("ext/vars")
        .secret_string("b")
        .send()
        .await
        .unwrap();
    assert_eq!(
        call(addr, &f, path).await["body"]["SecretString"],
        "b",
        "no cache when disabled"
    );
}
