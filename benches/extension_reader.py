# Reads one secret n times through the Parameters and Secrets extension over one keep-alive
# connection, as a function would, and reports the rate.
import http.client
import json
import os
import time


def handler(event, context):
    connection = http.client.HTTPConnection("localhost", 2773)
    headers = {"X-Aws-Parameters-Secrets-Token": os.environ["AWS_SESSION_TOKEN"]}
    timings = []
    for _ in range(event["n"]):
        started = time.perf_counter()
        connection.request("GET", event["path"], headers=headers)
        answer = connection.getresponse()
        answer.read()
        if answer.status != 200:
            raise RuntimeError("status %d" % answer.status)
        timings.append(time.perf_counter() - started)
    timings.sort()
    return {"per_second": len(timings) / sum(timings), "p50_ms": timings[len(timings) // 2] * 1000}
