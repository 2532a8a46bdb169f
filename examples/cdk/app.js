// A CDK app as teams write one for a rotated secret: a customer managed KMS key, a generated
// secret under it with an inline four-step rotation function, a Parameter Store parameter
// filled from the secret by a dynamic reference, and an EventBridge rule on Secrets Manager's
// events. `./synth.sh` writes its template beside this file; LocalEmu's tests deploy that
// template through a change set as `aws cloudformation deploy` does.
const cdk = require("aws-cdk-lib");
const { Duration, Stack, CfnOutput } = cdk;
const kms = require("aws-cdk-lib/aws-kms");
const secretsmanager = require("aws-cdk-lib/aws-secretsmanager");
const lambda = require("aws-cdk-lib/aws-lambda");
const ssm = require("aws-cdk-lib/aws-ssm");
const events = require("aws-cdk-lib/aws-events");
const targets = require("aws-cdk-lib/aws-events-targets");
const fs = require("fs");
const path = require("path");

const ROTATION = fs.readFileSync(path.join(__dirname, "rotation.py"), "utf8");

class LocalEmuCdkApp extends Stack {
  constructor(scope, id) {
    super(scope, id);
    const key = new kms.Key(this, "Key", { description: "Protects the database secret" });
    const secret = new secretsmanager.Secret(this, "DbSecret", {
      encryptionKey: key,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: "app" }),
        generateStringKey: "password",
        excludePunctuation: true,
      },
    });
    const rotator = new lambda.Function(this, "Rotator", {
      runtime: lambda.Runtime.PYTHON_3_12,
      handler: "index.handler",
      code: lambda.Code.fromInline(ROTATION),
      timeout: Duration.seconds(30),
    });
    secret.addRotationSchedule("Rotation", {
      rotationLambda: rotator,
      automaticallyAfter: Duration.days(30),
    });
    new ssm.StringParameter(this, "DbUser", {
      parameterName: "/cdk-app/db/user",
      stringValue: secret.secretValueFromJson("username").unsafeUnwrap(),
    });
    new events.Rule(this, "RotationEvents", {
      eventPattern: { source: ["aws.secretsmanager"] },
      targets: [new targets.LambdaFunction(rotator, { event: events.RuleTargetInput.fromObject({ probe: true }) })],
    });
    new CfnOutput(this, "SecretName", { value: secret.secretName });
    new CfnOutput(this, "SecretArn", { value: secret.secretArn });
  }
}

const app = new cdk.App({ outdir: path.join(__dirname, "cdk.out") });
new LocalEmuCdkApp(app, "LocalEmuCdkApp");
app.synth();
