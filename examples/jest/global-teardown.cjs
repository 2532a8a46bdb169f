// Stops the awsemu that global-setup.cjs started.
module.exports = async function globalTeardown() {
  globalThis.__AWSEMU__?.kill("SIGTERM");
};
