# A pytest fixture that starts awsemu on a free port for the test session and gives boto3
# clients pointed at it. Copy this file next to your tests; AWSEMU_BIN names the binary
# (default: awsemu on PATH).
import os
import re
import subprocess

import boto3
import pytest


@pytest.fixture(scope="session")
def awsemu_endpoint():
    binary = os.environ.get("AWSEMU_BIN", "awsemu")
    process = subprocess.Popen([binary, "start", "--port", "0"], stdout=subprocess.PIPE, text=True)
    endpoint = None
    for line in process.stdout:
        match = re.match(r"Listening on (\S+)", line)
        if match:
            endpoint = match.group(1)
        if line.strip() == "Ready.":
            break
    assert endpoint, "awsemu did not start"
    yield endpoint
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def secretsmanager(awsemu_endpoint):
    return boto3.client(
        "secretsmanager",
        endpoint_url=awsemu_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
