//! Accounts that are really apart: STS and KMS through their SDKs, secrets shared between
//! accounts by resource and key policies, and strict mode's signature and permission checks.

use crate::common::*;
use aws_sdk_kms::primitives::Blob;
use localemu::config::{Config, Strict};
use std::net::SocketAddr;

fn creds(key: &str, secret: &str, token: Option<&str>) -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new(key, secret, token.map(str::to_string), None, "tests")
}

fn sts(addr: SocketAddr, c: aws_credential_types::Credentials) -> aws_sdk_sts::Client {
    sdk_client!(aws_sdk_sts, addr, REGION, c)
}

fn kms(addr: SocketAddr, c: aws_credential_types::Credentials) -> aws_sdk_kms::Client {
    sdk_client!(aws_sdk_kms, addr, REGION, c)
}

fn sm(addr: SocketAddr, c: aws_credential_types::Credentials) -> aws_sdk_secretsmanager::Client {
    sdk_client!(aws_sdk_secretsmanager, addr, REGION, c)
}

/// Credentials for a session of `role` obtained through AssumeRole by `account`'s root.
pub async fn assume(
    addr: SocketAddr,
    account: &str,
    role: &str,
) -> aws_credential_types::Credentials {
    let out = sts(addr, creds(account, "test", None))
        .assume_role()
        .role_arn(role)
        .role_session_name("session-1")
        .send()
        .await
        .unwrap();
    let c = out.credentials.unwrap();
    creds(
        &c.access_key_id,
        &c.secret_access_key,
        Some(&c.session_token),
    )
}

/// The ARN GetCallerIdentity answers for `c` at `addr`.
pub async fn caller_arn(addr: SocketAddr, c: aws_credential_types::Credentials) -> String {
    let who = sts(addr, c).get_caller_identity().send().await.unwrap();
    who.arn().unwrap_or_default().to_string()
}

#[tokio::test]
async fn sts_says_who_is_calling_and_issues_sessions() {
    let addr = shared().addr;
    let root = sts(addr, creds("test", "test", None));
    let me = root.get_caller_identity().send().await.unwrap();
    assert_eq!(me.account(), Some("000000000000"));
    assert_eq!(me.arn(), Some("arn:aws:iam::000000000000:root"));
    let out = root
        .assume_role()
        .role_arn("arn:aws:iam::222222222222:role/app/Reader")
        .role_session_name("ci-run")
        .duration_seconds(900)
        .send()
        .await
        .unwrap();
    let user = out.assumed_role_user.unwrap();
    assert_eq!(
        user.arn,
        "arn:aws:sts::222222222222:assumed-role/Reader/ci-run"
    );
    assert!(user.assumed_role_id.starts_with("AROA") && user.assumed_role_id.ends_with(":ci-run"));
    let c = out.credentials.unwrap();
    assert!(c.access_key_id.starts_with("ASIA") && c.access_key_id.len() == 20);
    assert!(!c.session_token.is_empty());
    let session = sts(
        addr,
        creds(
            &c.access_key_id,
            &c.secret_access_key,
            Some(&c.session_token),
        ),
    );
    let who = session.get_caller_identity().send().await.unwrap();
    assert_eq!(who.account(), Some("222222222222"));
    assert_eq!(who.arn(), Some(user.arn.as_str()));
    assert_eq!(who.user_id(), Some(user.assumed_role_id.as_str()));
    let info = root
        .get_access_key_info()
        .access_key_id(&c.access_key_id)
        .send()
        .await
        .unwrap();
    assert_eq!(info.account(), Some("222222222222"));
    // Role chaining is limited to an hour, and sessions cannot ask for session tokens.
    let (code, msg) = err(session
        .assume_role()
        .role_arn("arn:aws:iam::222222222222:role/Other")
        .role_session_name("chained")
        .duration_seconds(7200)
        .send()
        .await);
    assert_eq!(code, "ValidationError");
    assert!(msg.contains("role chaining"), "{msg}");
    let (code, _) = err(session.get_session_token().send().await);
    // STS, a query service, names the refusal `AccessDenied` (JSON services add `Exception`).
    assert_eq!(code, "AccessDenied");
    let token = root
        .get_session_token()
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    assert!(token.access_key_id.starts_with("ASIA"));
    // A malformed role ARN is refused.
    let (code, _) = err(root
        .assume_role()
        .role_arn("arn:aws:iam::x:role/R")
        .role_session_name("ab")
        .send()
        .await);
    assert_eq!(code, "ValidationError");
}

#[tokio::test]
async fn web_identity_tokens_become_role_sessions() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let addr = shared().addr;
    let client = sts(addr, creds("test", "test", None));
    let claims = serde_json::json!({"iss": "https://oidc.example.com", "sub": "repo:me/app", "aud": "sts.amazonaws.com"});
    let jwt = format!(
        "{}.{}.sig",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let out = client
        .assume_role_with_web_identity()
        .role_arn("arn:aws:iam::333333333333:role/Deploy")
        .role_session_name("gha")
        .web_identity_token(jwt)
        .send()
        .await
        .unwrap();
    assert_eq!(out.subject_from_web_identity_token(), Some("repo:me/app"));
    assert_eq!(out.provider(), Some("oidc.example.com"));
    assert_eq!(out.audience(), Some("sts.amazonaws.com"));
    assert_eq!(
        out.assumed_role_user.unwrap().arn,
        "arn:aws:sts::333333333333:assumed-role/Deploy/gha"
    );
    let (code, _) = err(client
        .assume_role_with_web_identity()
        .role_arn("arn:aws:iam::333333333333:role/Deploy")
        .role_session_name("gha")
        .web_identity_token("not-a-jwt")
        .send()
        .await);
    assert_eq!(code, "InvalidIdentityToken");
}

#[tokio::test]
async fn kms_keys_aliases_and_cryptography() {
    let addr = shared().addr;
    let k = kms(addr, creds("444444444444", "test", None));
    let meta = k
        .create_key()
        .description("app key")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(
        meta.key_state().map(aws_sdk_kms::types::KeyState::as_str),
        Some("Enabled")
    );
    assert_eq!(
        meta.key_manager()
            .map(aws_sdk_kms::types::KeyManagerType::as_str),
        Some("CUSTOMER")
    );
    let id = meta.key_id().to_string();
    let alias = unique("alias/app");
    k.create_alias()
        .alias_name(&alias)
        .target_key_id(&id)
        .send()
        .await
        .unwrap();
    let (code, _) = err(k
        .create_alias()
        .alias_name(&alias)
        .target_key_id(&id)
        .send()
        .await);
    assert_eq!(code, "AlreadyExistsException");
    let blob = k
        .encrypt()
        .key_id(&alias)
        .plaintext(Blob::new("hello"))
        .encryption_context("purpose", "test")
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let plain = k
        .decrypt()
        .ciphertext_blob(blob.clone())
        .encryption_context("purpose", "test")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.key_id(), Some(meta.arn().unwrap()));
    assert_eq!(plain.plaintext.unwrap().as_ref(), b"hello");
    let (code, _) = err(k.decrypt().ciphertext_blob(blob.clone()).send().await);
    assert_eq!(code, "InvalidCiphertextException");
    let other = k.create_key().send().await.unwrap().key_metadata.unwrap();
    let moved = k
        .re_encrypt()
        .ciphertext_blob(blob.clone())
        .source_encryption_context("purpose", "test")
        .destination_key_id(other.key_id())
        .send()
        .await
        .unwrap();
    assert_eq!(moved.key_id(), other.arn());
    let (code, _) = err(k
        .decrypt()
        .ciphertext_blob(blob.clone())
        .key_id(other.key_id())
        .encryption_context("purpose", "test")
        .send()
        .await);
    assert_eq!(code, "IncorrectKeyException");
    let dk = k
        .generate_data_key()
        .key_id(&id)
        .key_spec(aws_sdk_kms::types::DataKeySpec::Aes256)
        .send()
        .await
        .unwrap();
    assert_eq!(dk.plaintext.unwrap().as_ref().len(), 32);
    let back = k
        .decrypt()
        .ciphertext_blob(dk.ciphertext_blob.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext.unwrap().as_ref().len(), 32);
    let no_plain = k
        .generate_data_key_without_plaintext()
        .key_id(&id)
        .number_of_bytes(16)
        .send()
        .await
        .unwrap();
    assert!(no_plain.ciphertext_blob.is_some());
    let random = k
        .generate_random()
        .number_of_bytes(24)
        .send()
        .await
        .unwrap();
    assert_eq!(random.plaintext.unwrap().as_ref().len(), 24);
    // Disabled and pending-deletion keys refuse cryptography with KMS's codes.
    k.disable_key().key_id(&id).send().await.unwrap();
    let (code, msg) = err(k
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new("x"))
        .send()
        .await);
    assert_eq!(code, "DisabledException");
    assert_eq!(msg, format!("{} is disabled.", meta.arn().unwrap()));
    k.enable_key().key_id(&id).send().await.unwrap();
    let scheduled = k
        .schedule_key_deletion()
        .key_id(&id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    assert_eq!(
        scheduled
            .key_state()
            .map(aws_sdk_kms::types::KeyState::as_str),
        Some("PendingDeletion")
    );
    let (code, _) = err(k
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new("x"))
        .send()
        .await);
    assert_eq!(code, "KMSInvalidStateException");
    k.cancel_key_deletion().key_id(&id).send().await.unwrap();
    let state = k
        .describe_key()
        .key_id(&id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(
        state.key_state().map(aws_sdk_kms::types::KeyState::as_str),
        Some("Disabled")
    );
    // An asymmetric key names its usage (see `kms_keys`); tags, policies and listings.
    let (code, _) = err(k
        .create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::Rsa2048)
        .send()
        .await);
    assert_eq!(code, "ValidationException");
    k.tag_resource()
        .key_id(&id)
        .tags(
            aws_sdk_kms::types::Tag::builder()
                .tag_key("env")
                .tag_value("dev")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let tags = k.list_resource_tags().key_id(&id).send().await.unwrap();
    assert_eq!(tags.tags().len(), 1);
    let policy = k
        .get_key_policy()
        .key_id(&id)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    assert!(policy
        .policy()
        .unwrap()
        .contains("arn:aws:iam::444444444444:root"));
    assert_eq!(
        k.list_key_policies()
            .key_id(&id)
            .send()
            .await
            .unwrap()
            .policy_names(),
        ["default"]
    );
    let keys = k.list_keys().send().await.unwrap();
    assert!(keys.keys().iter().any(|e| e.key_id() == Some(id.as_str())));
    let aliases = k.list_aliases().key_id(&id).send().await.unwrap();
    assert_eq!(aliases.aliases().len(), 1);
    let (code, _) = err(k.describe_key().key_id("alias/missing").send().await);
    assert_eq!(code, "NotFoundException");
    // The AWS managed key appears when first asked for.
    let managed = k
        .describe_key()
        .key_id("alias/aws/secretsmanager")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(
        managed
            .key_manager()
            .map(aws_sdk_kms::types::KeyManagerType::as_str),
        Some("AWS")
    );
}

fn allow(principal: &str, action: &str) -> String {
    serde_json::json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": principal}, "Action": action, "Resource": "*"}]})
    .to_string()
}

/// Account A shares a secret with a role of account B by resource policy and a customer
/// managed key; B reads it with AssumeRole credentials, and is refused otherwise.
#[tokio::test]
async fn a_secret_shared_across_accounts() {
    let addr = shared().addr;
    let (a, b) = ("555555555555", "666666666666");
    let reader = format!("arn:aws:iam::{b}:role/Reader");
    let owner = sm(addr, creds(a, "test", None));
    let owner_kms = kms(addr, creds(a, "test", None));
    let key = owner_kms
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let name = unique("shared/db");
    let arn = owner
        .create_secret()
        .name(&name)
        .kms_key_id(key.arn().unwrap())
        .secret_string("s3cret")
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let b_session = sm(addr, assume(addr, b, &reader).await);
    // Without a resource policy B may not even describe it.
    let (code, msg) = err(b_session.describe_secret().secret_id(&arn).send().await);
    assert_eq!(code, "AccessDeniedException");
    assert_eq!(
        msg,
        format!("User: arn:aws:sts::{b}:assumed-role/Reader/session-1 is not authorized to perform: secretsmanager:DescribeSecret on resource: {arn} because no resource-based policy allows the secretsmanager:DescribeSecret action")
    );
    owner
        .put_resource_policy()
        .secret_id(&name)
        .resource_policy(allow(&reader, "secretsmanager:GetSecretValue"))
        .send()
        .await
        .unwrap();
    // The secret's policy allows it, the key's policy does not yet.
    let (code, msg) = err(b_session.get_secret_value().secret_id(&arn).send().await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("AccessDeniedException", "Access to KMS is not allowed")
    );
    let key_policy = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{a}:root")}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{b}:root")}, "Action": "kms:Decrypt", "Resource": "*"}]});
    owner_kms
        .put_key_policy()
        .key_id(key.key_id())
        .policy_name("default")
        .policy(key_policy.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(current_value(&b_session, &arn).await, "s3cret");
    // Still only what the policy grants.
    let (code, _) = err(b_session
        .put_secret_value()
        .secret_id(&arn)
        .secret_string("x")
        .send()
        .await);
    assert_eq!(code, "AccessDeniedException");
    // Another role of B is not named.
    let other = sm(
        addr,
        assume(addr, b, &format!("arn:aws:iam::{b}:role/Other")).await,
    );
    let (code, _) = err(other.get_secret_value().secret_id(&arn).send().await);
    assert_eq!(code, "AccessDeniedException");
    // A disabled key stops reads for everyone.
    owner_kms
        .disable_key()
        .key_id(key.key_id())
        .send()
        .await
        .unwrap();
    for client in [&b_session, &owner] {
        let (code, msg) = err(client.get_secret_value().secret_id(&arn).send().await);
        assert_eq!(code, "DecryptionFailure");
        assert_eq!(
            msg,
            "Secrets Manager can't decrypt the protected secret text using the provided KMS key."
        );
    }
    let (code, _) = err(owner
        .put_secret_value()
        .secret_id(&name)
        .secret_string("y")
        .send()
        .await);
    assert_eq!(code, "EncryptionFailure");
    owner_kms
        .enable_key()
        .key_id(key.key_id())
        .send()
        .await
        .unwrap();
    // An explicit deny wins over the allow.
    let deny = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": reader}, "Action": "secretsmanager:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:PrincipalAccount": a}}}]});
    owner
        .put_resource_policy()
        .secret_id(&name)
        .resource_policy(deny.to_string())
        .send()
        .await
        .unwrap();
    let (code, msg) = err(b_session.get_secret_value().secret_id(&arn).send().await);
    assert_eq!(code, "AccessDeniedException");
    assert!(
        msg.ends_with("with an explicit deny in a resource-based policy"),
        "{msg}"
    );
    b_session
        .describe_secret()
        .secret_id(&arn)
        .send()
        .await
        .unwrap();
    // The default key never crosses accounts, whatever the policy says.
    let plain = unique("shared/default-key");
    let plain_arn = create(&owner, &plain, "v").await;
    owner
        .put_resource_policy()
        .secret_id(&plain)
        .resource_policy(allow(&reader, "secretsmanager:*"))
        .send()
        .await
        .unwrap();
    let (code, msg) = err(b_session
        .get_secret_value()
        .secret_id(&plain_arn)
        .send()
        .await);
    assert_eq!(code, "InvalidRequestException");
    assert!(msg.starts_with("You can't access a secret from a different AWS account"));
    // An unknown key is refused when the secret is created.
    let (code, _) = err(owner
        .create_secret()
        .name(unique("k"))
        .kms_key_id("not a key")
        .secret_string("v")
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
}

#[tokio::test]
async fn strict_mode_checks_signatures_and_permissions() {
    let server = TestServer::configured(Config {
        strict: Strict::all(),
        ..Config::default()
    })
    .await;
    let addr = server.addr;
    // Signatures are checked against the emulator's clock: bring it to the real time.
    server.clock_to_real_time();
    // Known keys with their right secrets work; anything else is refused as AWS refuses it.
    let good = sm(addr, creds("test", "test", None));
    good.list_secrets().send().await.unwrap();
    let (code, _) = err(sm(addr, creds("test", "wrong", None))
        .list_secrets()
        .send()
        .await);
    assert_eq!(code, "InvalidSignatureException");
    let (code, _) = err(sm(addr, creds("AKIAUNKNOWNKEY000000", "x", None))
        .list_secrets()
        .send()
        .await);
    assert_eq!(code, "UnrecognizedClientException");
    let (code, _) = err(sts(addr, creds("test", "wrong", None))
        .get_caller_identity()
        .send()
        .await);
    assert_eq!(code, "SignatureDoesNotMatch");
    let unsigned = raw_op(addr, "ListSecrets", "{}").await;
    assert_eq!(
        unsigned.json["__type"],
        "MissingAuthenticationTokenException"
    );
    // Temporary credentials work until they expire on the emulator's clock.
    let session = assume(addr, "000000000000", "arn:aws:iam::000000000000:role/App").await;
    let s = sm(addr, session);
    s.list_secrets().send().await.unwrap();
    // The owner's own resource policy binds it too: an explicit deny.
    let name = unique("strict/denied");
    create(&good, &name, "v").await;
    let deny = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny",
        "Principal": {"AWS": "arn:aws:iam::000000000000:role/App"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]});
    good.put_resource_policy()
        .secret_id(&name)
        .resource_policy(deny.to_string())
        .send()
        .await
        .unwrap();
    let (code, _) = err(s.get_secret_value().secret_id(&name).send().await);
    assert_eq!(code, "AccessDeniedException");
    assert_eq!(current_value(&good, &name).await, "v");
    // RotateSecret refuses a function Secrets Manager may not invoke, and stores nothing.
    let lambda = lambda_client(addr);
    let f = create_function(
        &lambda,
        &unique("rotator"),
        "python3.12",
        "index.handler",
        &[("index.py", b"def handler(e, c):\n    return None\n", 0o644)],
        &[],
        10,
    )
    .await;
    let secret = unique("strict/rotated");
    create(&good, &secret, "v").await;
    let (code, msg) = err(good
        .rotate_secret()
        .secret_id(&secret)
        .rotation_lambda_arn(&f)
        .send()
        .await);
    assert_eq!(code, "AccessDeniedException");
    assert!(msg.starts_with("Secrets Manager cannot invoke the specified Lambda function."));
    let d = good
        .describe_secret()
        .secret_id(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(d.rotation_enabled(), None);
    assert_eq!(d.version_ids_to_stages().unwrap().len(), 1);
    // Another account may not read the function unless its policy says so.
    let (code, _) = err(lambda_as(addr, "777777777777")
        .get_function()
        .function_name(&f)
        .send()
        .await);
    assert_eq!(code, "AccessDeniedException");
    // A function's own credentials are a real session of its role: signed calls pass.
    let who = create_function(
        &lambda,
        &unique("whoami"),
        "python3.12",
        "whoami.handler",
        &[("whoami.py", include_bytes!("fixtures/whoami.py"), 0o644)],
        &[],
        10,
    )
    .await;
    let out = lambda.invoke().function_name(&who).send().await.unwrap();
    assert_eq!(out.function_error(), None, "{:?}", out.payload());
    let arn: String = serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap();
    let name = who.rsplit(':').next().unwrap();
    assert_eq!(
        arn,
        format!("arn:aws:sts::000000000000:assumed-role/lambda-role/{name}")
    );
    server.clock.advance(13 * 3600 * 1000);
    let (code, _) = err(s.list_secrets().send().await);
    assert_eq!(code, "ExpiredTokenException");
}

fn lambda_as(addr: SocketAddr, account: &str) -> aws_sdk_lambda::Client {
    sdk_client!(aws_sdk_lambda, addr, REGION, test_key(account))
}

/// A request's own members are condition keys: a policy may share only AWSCURRENT.
#[tokio::test]
async fn policies_can_condition_on_the_version_asked_for() {
    let addr = shared().addr;
    let (a, b) = ("888888888888", "999999999999");
    let owner = sm(addr, creds(a, "test", None));
    let key_policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": [a, b]}, "Action": "kms:*", "Resource": "*"}]});
    let key = kms(addr, creds(a, "test", None))
        .create_key()
        .policy(key_policy.to_string())
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let name = unique("shared/current-only");
    let arn = owner
        .create_secret()
        .name(&name)
        .kms_key_id(key.arn().unwrap())
        .secret_string("v1")
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    owner
        .put_secret_value()
        .secret_id(&name)
        .secret_string("v2")
        .send()
        .await
        .unwrap();
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": b}, "Action": "secretsmanager:GetSecretValue", "Resource": "*",
        "Condition": {"StringEquals": {"secretsmanager:VersionStage": "AWSCURRENT"}}}]});
    owner
        .put_resource_policy()
        .secret_id(&name)
        .resource_policy(policy.to_string())
        .send()
        .await
        .unwrap();
    let reader = sm(addr, creds(b, "test", None));
    let current = reader
        .get_secret_value()
        .secret_id(&arn)
        .version_stage("AWSCURRENT")
        .send()
        .await
        .unwrap();
    assert_eq!(current.secret_string(), Some("v2"));
    let (code, _) = err(reader
        .get_secret_value()
        .secret_id(&arn)
        .version_stage("AWSPREVIOUS")
        .send()
        .await);
    assert_eq!(code, "AccessDeniedException");
    // Without a stage in the request the key is absent, and StringEquals does not match.
    let (code, _) = err(reader.get_secret_value().secret_id(&arn).send().await);
    assert_eq!(code, "AccessDeniedException");
}

/// What SDKs never send to STS and KMS gets each service's own error shape, never a panic.
#[tokio::test]
async fn hostile_query_and_kms_requests_get_aws_shaped_errors() {
    let addr = shared().addr;
    let form = |body: String| async move {
        raw(
            addr,
            "POST",
            "/",
            &[("content-type", "application/x-www-form-urlencoded")],
            body.into_bytes(),
        )
        .await
    };
    // Too many parameters, a list longer than any member allows, bad percent-encoding.
    let many: Vec<String> = (0..1500).map(|i| format!("P{i}=x")).collect();
    let r = form(format!("Action=GetCallerIdentity&{}", many.join("&"))).await;
    assert_eq!(r.status, 400);
    assert!(String::from_utf8_lossy(&r.body).contains("<Code>ValidationError</Code>"));
    let tags: Vec<String> = (1..=1200)
        .map(|i| format!("Tags.member.{i}.Key=k{i}&Tags.member.{i}.Value=v"))
        .collect();
    let r = form(format!(
        "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2FR&RoleSessionName=ab&{}",
        tags.join("&")
    ))
    .await;
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    let r = form("Action=GetCallerIdentity&%ZZ=%E0%A4".into()).await;
    assert_eq!(r.status, 200, "undecodable bytes are replaced, not fatal");
    // A body over the limit is refused before it is parsed.
    let r = form("A=".to_string() + &"x".repeat(2 * 1024 * 1024)).await;
    assert_eq!(r.status, 400);
    assert!(String::from_utf8_lossy(&r.body).contains("RequestEntityTooLarge"));
    // KMS: deep JSON, a ciphertext that names a key of ours but is cut short, huge random.
    let deep = format!("{{\"KeyId\": {}{}}}", "[".repeat(64), "]".repeat(64));
    let kms_call = |op: &'static str, body: String| async move {
        raw(
            addr,
            "POST",
            "/",
            &[
                ("content-type", "application/x-amz-json-1.1"),
                ("x-amz-target", op),
            ],
            body.into_bytes(),
        )
        .await
    };
    let r = kms_call("TrentService.DescribeKey", deep).await;
    assert_eq!(r.json["__type"], "SerializationException");
    let k = kms_client(addr, ACCOUNT).create_key().send().await.unwrap();
    let id = k.key_metadata.unwrap().key_id;
    let short = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("LEK1{id}xx"),
    );
    let r = kms_call(
        "TrentService.Decrypt",
        format!("{{\"CiphertextBlob\": \"{short}\"}}"),
    )
    .await;
    assert_eq!(r.json["__type"], "InvalidCiphertextException");
    let r = kms_call(
        "TrentService.GenerateRandom",
        "{\"NumberOfBytes\": 100000000}".into(),
    )
    .await;
    assert_eq!(r.json["__type"], "ValidationException");
}

/// Keys from a credentials file stand for their principal, and sign like any other key.
#[tokio::test]
async fn a_credentials_file_adds_principals() {
    let dir = temp_dir("credentials");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("credentials.json");
    std::fs::write(
        &file,
        r#"{"credentials": [{"accessKeyId": "AKIAFILEKEY000000001", "secretAccessKey": "s3cret/key",
            "account": "123412341234", "principalArn": "arn:aws:iam::123412341234:user/ci"}]}"#,
    )
    .unwrap();
    let keys = localemu::sts::identity::Identities::read_file(&file).unwrap();
    let server = TestServer::configured(Config {
        strict: Strict::all(),
        credentials: keys,
        ..Config::default()
    })
    .await;
    server.clock_to_real_time();
    let who = sts(
        server.addr,
        creds("AKIAFILEKEY000000001", "s3cret/key", None),
    )
    .get_caller_identity()
    .send()
    .await
    .unwrap();
    assert_eq!(who.arn(), Some("arn:aws:iam::123412341234:user/ci"));
    assert_eq!(who.account(), Some("123412341234"));
    let (code, _) = err(
        sts(server.addr, creds("AKIAFILEKEY000000001", "guess", None))
            .get_caller_identity()
            .send()
            .await,
    );
    assert_eq!(code, "SignatureDoesNotMatch");
    // A file that names an account badly is refused with the reason.
    std::fs::write(
        &file,
        r#"{"credentials": [{"accessKeyId": "A", "secretAccessKey": "B", "account": "12"}]}"#,
    )
    .unwrap();
    let e = localemu::sts::identity::Identities::read_file(&file).unwrap_err();
    assert!(e.contains("is not 12 digits"), "{e}");
}
