// A test against the awsemu that global-setup.cjs started, with the AWS SDK for JavaScript v3.
const {
  SecretsManagerClient,
  CreateSecretCommand,
  GetSecretValueCommand,
} = require("@aws-sdk/client-secrets-manager");

test("a secret round-trips", async () => {
  const client = new SecretsManagerClient({ endpoint: process.env.AWS_ENDPOINT_URL });
  await client.send(new CreateSecretCommand({ Name: "app/db", SecretString: "s3cret" }));
  const value = await client.send(new GetSecretValueCommand({ SecretId: "app/db" }));
  expect(value.SecretString).toBe("s3cret");
});

test("errors are AWS errors", async () => {
  const client = new SecretsManagerClient({ endpoint: process.env.AWS_ENDPOINT_URL });
  await expect(client.send(new GetSecretValueCommand({ SecretId: "never/made" }))).rejects.toThrow(
    "can't find the specified secret",
  );
});
