# LocalEmu's Python runtime: talks to the Lambda Runtime API with the standard library only.
import importlib
import json
import os
import sys
import time
import traceback
import urllib.error
import urllib.request

BASE = "http://%s/2018-06-01/runtime" % os.environ["AWS_LAMBDA_RUNTIME_API"]


def reach_emulator_by_docker_names():
    """Functions written for Docker-based emulators name the emulator host.docker.internal,
    localstack or localhost.localstack.cloud; here they run on the host, so those names
    resolve to the address LocalEmu listens on, and LocalStack's port 4566 on them to the port
    LocalEmu listens on."""
    import socket
    address = os.environ.pop("_LOCALEMU_ADDRESS", "127.0.0.1")
    real_port = os.environ.pop("_LOCALEMU_PORT", "4566")

    def emulator(host):
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if not isinstance(host, str):
            return False
        host = host.lower().rstrip(".")
        return (host in ("host.docker.internal", "localstack", "localhost.localstack.cloud")
                or host.endswith(".localhost.localstack.cloud"))

    getaddrinfo, gethostbyname, gethostbyname_ex = (
        socket.getaddrinfo, socket.gethostbyname, socket.gethostbyname_ex)
    def resolve(host, port=None, *a, **k):
        if not emulator(host):
            return getaddrinfo(host, port, *a, **k)
        if str(port) == "4566":
            port = int(real_port)
        return getaddrinfo(address, port, *a, **k)

    socket.getaddrinfo = resolve
    socket.gethostbyname = lambda host: gethostbyname(address if emulator(host) else host)
    socket.gethostbyname_ex = lambda host: gethostbyname_ex(address if emulator(host) else host)


reach_emulator_by_docker_names()


def reach_own_extension():
    """The Parameters and Secrets extension listens on localhost:2773 (or the port its
    variable names) inside each function's sandbox on AWS. Here functions share the host, so
    connections to that port go to this function's own listener, and are refused when the
    function has no extension layer."""
    import socket
    real = os.environ.pop("_LOCALEMU_EXTENSION_PORT", "")
    try:
        port = int(os.environ.get("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT") or 2773)
    except ValueError:
        port = 2773
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def target(address):
        if (isinstance(address, tuple) and len(address) >= 2 and address[1] == port
                and address[0] in ("localhost", "127.0.0.1", "::1", "0:0:0:0:0:0:0:1")):
            if not real or ":" in str(address[0]):
                raise ConnectionRefusedError(111, "Connection refused")
            return ("127.0.0.1", int(real))
        return address

    socket.socket.connect = lambda self, address: connect(self, target(address))
    socket.socket.connect_ex = lambda self, address: connect_ex(self, target(address))


reach_own_extension()


def post(path, body, headers):
    req = urllib.request.Request(BASE + path, data=body, method="POST", headers=headers)
    try:
        urllib.request.urlopen(req).read()
    except urllib.error.HTTPError as e:
        # Refused (a response over the size limit): the invocation has already failed, and
        # the runtime goes on to the next one, as AWS's runtime clients do.
        e.read()


def log_error(kind, message, frames):
    """The error as AWS's Python runtime writes it to the function's log."""
    lines = ["[ERROR] %s: %s" % (kind, message)]
    if frames:
        lines.append("Traceback (most recent call last):")
        lines.extend(line.rstrip("\n") for line in frames)
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()


def fail_init(kind, message):
    log_error(kind, message, [])
    body = {"errorMessage": message, "errorType": kind, "requestId": "", "stackTrace": []}
    headers = {"Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": kind}
    post("/init/error", json.dumps(body).encode(), headers)
    sys.exit(1)


def load_handler():
    root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    sys.path.insert(0, root)
    handler = os.environ.get("_HANDLER", "")
    if "." not in handler:
        fail_init("Runtime.MalformedHandlerName",
                  "Bad handler '%s': not enough values to unpack (expected 2, got 1)" % handler)
    module_name, function_name = handler.rsplit(".", 1)
    module_name = module_name.replace("/", ".")
    if module_name in sys.builtin_module_names:
        fail_init("Runtime.BuiltInModuleConflict",
                  "Cannot use built-in module %s as a handler module" % module_name)
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as e:
        fail_init("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (module_name, e))
    except ImportError as e:
        message = "Unable to import module '%s': %s" % (module_name, e)
        missing = (getattr(e, "name", None) or "").split(".")[0]
        if isinstance(e, ModuleNotFoundError) and missing and missing != module_name.split(".")[0]:
            # Say which interpreter runs the function, and how to give it the package.
            message += " (%s is not installed for %s: %s -m pip install %s, or put it in the zip)" % (
                missing, sys.executable, sys.executable, missing)
        fail_init("Runtime.ImportModuleError", message)
    except Exception as e:
        fail_init(type(e).__name__, str(e))
    function = getattr(module, function_name, None)
    if function is None:
        fail_init("Runtime.HandlerNotFound",
                  "Handler '%s' missing on module '%s'" % (function_name, module_name))
    return function


class Context:
    def __init__(self, request_id, arn, deadline_ms):
        self.aws_request_id = request_id
        self.invoked_function_arn = arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.client_context = None
        self.identity = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)


def error_body(e, request_id):
    frames = traceback.extract_tb(e.__traceback__)[1:]
    log_error(type(e).__name__, str(e), traceback.format_list(frames))
    return json.dumps({
        "errorMessage": str(e),
        "errorType": type(e).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
    }).encode()


def main():
    function = load_handler()
    while True:
        with urllib.request.urlopen(BASE + "/invocation/next") as r:
            request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
            deadline = int(r.headers["Lambda-Runtime-Deadline-Ms"])
            arn = r.headers["Lambda-Runtime-Invoked-Function-Arn"]
            is_json = r.headers.get("Content-Type") == "application/json"
            raw = r.read()
        event = json.loads(raw) if is_json and raw else raw
        try:
            result = function(event, Context(request_id, arn, deadline))
            if isinstance(result, (bytes, bytearray)):
                payload = bytes(result)
            else:
                payload = json.dumps(result).encode()
        except Exception as e:
            headers = {"Content-Type": "application/json",
                       "Lambda-Runtime-Function-Error-Type": "Unhandled"}
            post("/invocation/%s/error" % request_id, error_body(e, request_id), headers)
            continue
        post("/invocation/%s/response" % request_id, payload, {"Content-Type": "application/json"})


main()
