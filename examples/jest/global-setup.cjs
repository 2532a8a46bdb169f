// Jest (or Vitest) global setup: starts awsemu on a free port before the tests and sets
// AWS_ENDPOINT_URL and test credentials for them. AWSEMU_BIN names the binary (default: awsemu).
const { spawn } = require("node:child_process");
const readline = require("node:readline");

module.exports = async function globalSetup() {
  const emulator = spawn(process.env.AWSEMU_BIN || "awsemu", ["start", "--port", "0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const endpoint = await new Promise((resolve, reject) => {
    let found;
    const lines = readline.createInterface({ input: emulator.stdout });
    lines.on("line", (line) => {
      const match = /^Listening on (\S+)/.exec(line);
      if (match) found = match[1];
      if (line.trim() === "Ready.") resolve(found);
    });
    emulator.on("exit", (code) => reject(new Error(`awsemu exited with ${code}`)));
  });
  globalThis.__AWSEMU__ = emulator;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
  });
};
