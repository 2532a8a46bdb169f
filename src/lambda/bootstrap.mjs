// LocalEmu's Node.js runtime: talks to the Lambda Runtime API with built-in fetch only.
import dns from "node:dns";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";

const BASE = `http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`;

// Functions written for Docker-based emulators name the emulator host.docker.internal,
// localstack or localhost.localstack.cloud; here they run on the host, so those names resolve
// to the address LocalEmu listens on (http, https, net and fetch all resolve through dns.lookup),
// and LocalStack's port 4566 on those names to the port LocalEmu listens on.
const emulator = (host) => {
  if (typeof host !== "string") return false;
  const h = host.toLowerCase().replace(/\.$/, "");
  return ["host.docker.internal", "localstack", "localhost.localstack.cloud"].includes(h) ||
    h.endsWith(".localhost.localstack.cloud");
};
const emulatorPort = Number(process.env._LOCALEMU_PORT || 4566);
delete process.env._LOCALEMU_PORT;
{
  const address = process.env._LOCALEMU_ADDRESS || "127.0.0.1";
  delete process.env._LOCALEMU_ADDRESS;
  const lookup = dns.lookup;
  dns.lookup = function (hostname, ...rest) {
    return lookup.call(this, emulator(hostname) ? address : hostname, ...rest);
  };
  const lookupPromise = dns.promises.lookup;
  dns.promises.lookup = function (hostname, ...rest) {
    return lookupPromise.call(this, emulator(hostname) ? address : hostname, ...rest);
  };
}

// The Parameters and Secrets extension listens on localhost:2773 (or the port its variable
// names) inside each function's sandbox on AWS. Here functions share the host, so connections
// to that port go to this function's own listener; without the layer they are refused (port 1
// is never served), as on AWS.
{
  const real = Number(process.env._LOCALEMU_EXTENSION_PORT || 1);
  delete process.env._LOCALEMU_EXTENSION_PORT;
  const port = Number(process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT || 2773);
  const local = (host) => host === undefined || ["localhost", "127.0.0.1", "::1"].includes(host);
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (...args) {
    const first = args[0];
    const options = Array.isArray(first) ? first[0] : first;
    if (options && typeof options === "object" && emulator(options.host) &&
        Number(options.port) === 4566) {
      options.port = emulatorPort;
    }
    // net.connect hands over its already normalized [options, callback] pair.
    if (Array.isArray(first) && first[0] && Number(first[0].port) === port && local(first[0].host)) {
      first[0].host = "127.0.0.1";
      first[0].port = real;
    } else if (first && typeof first === "object" && !Array.isArray(first) &&
        Number(first.port) === port && local(first.host)) {
      args[0] = { ...first, host: "127.0.0.1", port: real, family: 4 };
    } else if ((typeof first === "number" || typeof first === "string") &&
        Number(first) === port && local(typeof args[1] === "string" ? args[1] : undefined)) {
      args[0] = real;
      if (typeof args[1] === "string") args[1] = "127.0.0.1";
    }
    return connect.apply(this, args);
  };
}

async function post(route, body, headers) {
  await fetch(BASE + route, { method: "POST", body, headers });
}

function errorBody(e) {
  if (e instanceof Error) {
    return { errorType: e.name, errorMessage: e.message, trace: (e.stack || "").split("\n") };
  }
  return { errorType: typeof e, errorMessage: String(e), trace: [] };
}

async function failInit(type, message) {
  console.error(`${new Date().toISOString()}\tundefined\tERROR\t${JSON.stringify({ errorType: type, errorMessage: message })}`);
  const body = JSON.stringify({ errorType: type, errorMessage: message, trace: [] });
  await post("/init/error", body, {
    "Content-Type": "application/json",
    "Lambda-Runtime-Function-Error-Type": type,
  });
  process.exit(1);
}

async function loadHandler() {
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  const handler = process.env._HANDLER || "";
  const dot = handler.lastIndexOf(".");
  if (dot < 0) return failInit("Runtime.MalformedHandlerName", `Bad handler ${handler}`);
  const file = handler.slice(0, dot);
  const name = handler.slice(dot + 1);
  const found = [".mjs", ".cjs", ".js"]
    .map((ext) => path.join(root, file + ext))
    .find((candidate) => fs.existsSync(candidate));
  if (!found) return failInit("Runtime.ImportModuleError", `Error: Cannot find module '${file}'`);
  let mod;
  try {
    mod = await import(pathToFileURL(found).href);
  } catch (e) {
    let message = String(e);
    const missing = /Cannot find (?:package|module) '([^'./][^']*)'/.exec(message);
    if (missing) {
      // Say which node runs the function, and how to give it the package.
      const pkg = missing[1].startsWith("@") ? missing[1].split("/").slice(0, 2).join("/") : missing[1].split("/")[0];
      message += ` (${pkg} is not installed for ${process.execPath} ${process.version}: ` +
        `npm install ${pkg} in the function's directory, and zip node_modules with it)`;
    }
    return failInit("Runtime.ImportModuleError", message);
  }
  const fn = mod[name] ?? (mod.default ? mod.default[name] : undefined);
  if (typeof fn !== "function") {
    return failInit("Runtime.HandlerNotFound", `${file}.${name} is undefined or not exported`);
  }
  return fn;
}

function run(fn, event, context) {
  return new Promise((resolve, reject) => {
    const callback = (err, result) => (err ? reject(err) : resolve(result));
    try {
      const out = fn(event, context, callback);
      if (out && typeof out.then === "function") out.then(resolve, reject);
      else if (fn.length < 3) resolve(out);
    } catch (e) {
      reject(e);
    }
  });
}

const fn = await loadHandler();
for (;;) {
  const r = await fetch(BASE + "/invocation/next");
  const id = r.headers.get("lambda-runtime-aws-request-id");
  const deadline = Number(r.headers.get("lambda-runtime-deadline-ms"));
  const text = await r.text();
  const isJson = r.headers.get("content-type") === "application/json";
  const event = isJson && text ? JSON.parse(text) : text;
  const context = {
    awsRequestId: id,
    invokedFunctionArn: r.headers.get("lambda-runtime-invoked-function-arn"),
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
  };
  try {
    const result = await run(fn, event, context);
    const body = JSON.stringify(result === undefined ? null : result);
    await post(`/invocation/${id}/response`, body, { "Content-Type": "application/json" });
  } catch (e) {
    const body = errorBody(e);
    // As AWS's Node.js runtime logs it.
    console.error(`${new Date().toISOString()}\t${id}\tERROR\tInvoke Error \t${JSON.stringify(
      { errorType: body.errorType, errorMessage: body.errorMessage, stack: body.trace })}`);
    await post(`/invocation/${id}/error`, JSON.stringify(body), {
      "Content-Type": "application/json",
      "Lambda-Runtime-Function-Error-Type": "Unhandled",
    });
  }
}
