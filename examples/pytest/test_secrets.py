# Tests that use the awsemu fixtures from conftest.py.


def test_a_secret_round_trips(secretsmanager):
    secretsmanager.create_secret(Name="app/db", SecretString='{"user": "app"}')
    value = secretsmanager.get_secret_value(SecretId="app/db")
    assert value["SecretString"] == '{"user": "app"}'
    assert value["VersionStages"] == ["AWSCURRENT"]


def test_errors_are_aws_errors(secretsmanager):
    try:
        secretsmanager.get_secret_value(SecretId="never/made")
    except secretsmanager.exceptions.ResourceNotFoundException as e:
        assert "can't find the specified secret" in str(e)
    else:
        raise AssertionError("expected ResourceNotFoundException")
