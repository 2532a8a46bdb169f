//! The pattern language's cases: what matches, what does not, what is refused and how.

use super::*;
use serde_json::json;

fn event() -> Value {
    json!({
        "version": "0", "id": "1", "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.secretsmanager", "account": "111122223333", "time": "2026-01-15T12:00:00Z",
        "region": "us-east-1", "resources": ["arn:a", "arn:b"],
        "detail": {
            "eventName": "RotationFailed", "size": 12, "ip": "10.0.1.7", "flag": true,
            "nothing": null, "tags": ["red", "Blue"], "nested": {"deep": "Value-X"},
            "items": [{"name": "a"}, {"name": "b", "count": 3}],
            "dotted.key": "d"
        }
    })
}

fn check(pattern: Value) -> bool {
    Pattern::parse(&pattern.to_string())
        .unwrap()
        .matches(&event())
}

fn refusal(pattern: Value) -> String {
    let e = Pattern::parse(&pattern.to_string()).unwrap_err();
    e.strip_prefix("Event pattern is not valid. Reason: ")
        .unwrap_or_else(|| panic!("{e}"))
        .to_string()
}

#[test]
fn the_grammar() {
    let yes = [
        json!({"source": ["aws.secretsmanager"]}),
        json!({"detail": {"eventName": ["RotationFailed", "RotationSucceeded"]}}),
        json!({"resources": ["arn:b"]}),
        json!({"detail": {"tags": ["blue", "red"]}}),
        json!({"source": [{"prefix": "aws."}]}),
        json!({"source": [{"suffix": ".secretsmanager"}]}),
        json!({"source": [{"prefix": {"equals-ignore-case": "AWS.S"}}]}),
        json!({"detail": {"tags": [{"equals-ignore-case": "BLUE"}]}}),
        json!({"detail": {"eventName": [{"anything-but": ["RotationSucceeded"]}]}}),
        json!({"detail": {"eventName": [{"anything-but": {"prefix": "Start"}}]}}),
        json!({"detail": {"eventName": [{"anything-but": {"prefix": ["Start", "Stop"]}}]}}),
        json!({"detail": {"eventName": [{"anything-but": {"suffix": ["Succeeded"]}}]}}),
        json!({"detail": {"eventName": [{"anything-but": {"wildcard": ["*Succ*", "x*"]}}]}}),
        json!({"detail": {"eventName": [{"anything-but": {"equals-ignore-case": ["rotationsucceeded"]}}]}}),
        // A value that is not text is never what a text anything-but names.
        json!({"detail": {"size": [{"anything-but": {"prefix": "1"}}]}}),
        json!({"detail": {"nothing": [{"anything-but": "x"}]}}),
        json!({"detail": {"size": [{"numeric": [">", 10, "<=", 12]}]}}),
        json!({"detail": {"size": [12]}}),
        json!({"detail": {"flag": [true], "nothing": [null]}}),
        json!({"detail": {"missing": [{"exists": false}], "eventName": [{"exists": true}]}}),
        // exists: false holds where a whole branch of the event is missing.
        json!({"detail": {"absent": {"deeper": [{"exists": false}]}}}),
        json!({"nowhere": {"at": {"all": [{"exists": false}]}}}),
        json!({"detail": {"nothing": [{"exists": true}]}}),
        json!({"$or": [{"detail": {"gone": [{"exists": true}]}}, {"detail": {"gone": [{"exists": false}]}}]}),
        json!({"detail": {"ip": [{"cidr": "10.0.0.0/16"}]}}),
        json!({"detail": {"nested": {"deep": [{"wildcard": "Value-*"}]}}}),
        json!({"$or": [{"source": ["nope"]}, {"detail": {"size": [{"numeric": ["=", 12]}]}}]}),
        // Dots join keys, in the pattern and in the event alike.
        json!({"detail.nested.deep": ["Value-X"]}),
        json!({"detail": {"dotted": {"key": ["d"]}}}),
        // Objects inside lists offer their fields.
        json!({"detail": {"items": {"name": ["b"]}}}),
        json!({"detail": {"items": {"count": [{"numeric": [">=", 3]}]}}}),
    ];
    for p in yes {
        assert!(check(p.clone()), "{p}");
    }
    let no = [
        json!({"source": ["aws.kms"]}),
        json!({"detail": {"eventName": [{"anything-but": "RotationFailed"}]}}),
        json!({"detail": {"eventName": [{"anything-but": {"prefix": ["Rot"]}}]}}),
        json!({"detail": {"eventName": [{"anything-but": {"equals-ignore-case": "ROTATIONFAILED"}}]}}),
        json!({"detail": {"missing": [{"anything-but": "x"}]}}),
        json!({"detail": {"size": [{"numeric": ["<", 12]}]}}),
        json!({"detail": {"eventName": [{"numeric": [">", 0]}]}}),
        json!({"detail": {"eventName": [{"exists": false}]}}),
        json!({"detail": {"nested": [{"exists": true}]}}),
        json!({"detail": {"ip": [{"cidr": "10.1.0.0/16"}]}}),
        json!({"detail": {"nested": {"deep": [{"wildcard": "*-Y"}]}}}),
        json!({"detail": {"missing": ["x"]}}),
        json!({"detail": {"items": {"name": ["c"]}}}),
        json!({"Source": ["aws.secretsmanager"]}),
        json!({"$or": [{"source": ["nope"]}, {"account": ["1"]}]}),
    ];
    for p in no {
        assert!(!check(p.clone()), "{p}");
    }
}

#[test]
fn refusals_carry_aws_reasons() {
    let cases = [
        (json!({"source": []}), "Empty arrays are not allowed"),
        (json!({"int": 42}), "\"int\" must be an object or an array"),
        (json!({"a": [{"EXISTS": true}]}), "Unrecognized match type EXISTS"),
        (json!({"a": [{"prefix": 1}]}), "prefix match pattern must be a string"),
        (json!({"a": [{"suffix": [".png"]}]}), "suffix match pattern must be a string"),
        (json!({"a": [{"wildcard": 1}]}), "wildcard match pattern must be a string"),
        (json!({"a": [{"equals-ignore-case": ["x"]}]}), "equals-ignore-case match pattern must be a string"),
        (json!({"a": [{"wildcard": "arn:aws:events:us-east-1:**:event-bus/*"}]}), "Consecutive wildcard characters at pos 26"),
        (json!({"a": [{"wildcard": "*:*:*:*:*:event-bus/*"}]}), "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character"),
        (json!({"a": [{"numeric": 10}]}), "Value of numeric must be an array."),
        (json!({"a": [{"numeric": [">", 0, "<"]}]}), "Value of < must be numeric"),
        (json!({"a": [{"numeric": [">", "x"]}]}), "Value of > must be numeric"),
        (json!({"a": [{"numeric": [">", 0, ">", 0]}]}), "Bad numeric range operator: >"),
        (json!({"a": [{"cidr": "bad-filter"}]}), "Malformed CIDR, one '/' required"),
        (json!({"a": [{"cidr": "bad-/64filter"}]}), "Malformed CIDR, mask bits must be an integer"),
        (json!({"a": [{"cidr": "xx.11.xx/8"}]}), "Nonstandard IP address: xx.11.xx"),
        (json!({"a": [{"cidr": ["x"]}]}), "prefix match pattern must be a string"),
        (json!({"a": [{"anything-but": null}]}), "Value of anything-but must be an array or single string/number value."),
        (json!({"a": [{"anything-but": ["x", null]}]}), "Inside anything but list, start|null|boolean is not supported."),
        (json!({"a": [{"anything-but": {"equals-ignore-case": [1]}}]}), "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."),
        (json!({"a": [{"anything-but": {"prefix": ""}}]}), "Null prefix/suffix not allowed"),
        (json!({"a": [{"anything-but": {"suffix": [1, "x"]}}]}), "prefix/suffix match pattern must be a string"),
        (json!({"a": [{"anything-but": {"prefix": {"equals-ignore-case": "x"}}}]}), "Value of anything-but must be an array or single string/number value."),
        (json!({"a": [{"anything-but": {"wildcard": [1]}}]}), "wildcard match pattern must be a string"),
    ];
    for (pattern, reason) in cases {
        assert_eq!(refusal(pattern.clone()), reason, "{pattern}");
    }
    assert_eq!(
        Pattern::parse("[]").unwrap_err(),
        "Event pattern is not valid. Reason: Filter is not an object"
    );
    assert!(Pattern::parse("not json").is_err());
}

#[test]
fn wildcards_that_keep_few_states_open_are_accepted() {
    for ok in [
        "arn:aws:events:us-east-1:*:event-bus/*",
        "/Users/*/dir/dir/dir/dir/dir/doc.txt",
        "*/init/*",
        "",
    ] {
        Pattern::parse(&json!({"a": [{"wildcard": ok}]}).to_string()).unwrap();
    }
    // A long hostile wildcard is refused in bounded time.
    let hostile = "*a".repeat(1000);
    assert!(Pattern::parse(&json!({"a": [{"wildcard": hostile}]}).to_string()).is_err());
}
