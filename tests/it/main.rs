use aws_sdk_secretsmanager as _;
use aws_smithy_http_client as _;
use http_body_util as _;
use hyper as _;
use hyper_util as _;
