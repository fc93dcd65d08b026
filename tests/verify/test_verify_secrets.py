"""Secret patterns: each kind found and masked, placeholders and ordinary code left alone."""

from __future__ import annotations

import time

import pytest

from specloop.verify import find_secrets, mask_secrets

# Every value is assembled at run time: this file must not itself look like a leak.
SECRETS = {
    "AWS access key id": "AKIA" + "Z3N8Q1VX7KR2M5WT",
    "GitHub token": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "Anthropic API key": "sk-ant-" + "api03-Ab12Cd34Ef56Gh78Ij90Kl12",
    "OpenAI API key": "sk-" + "proj-Zx98Yw76Vu54Ts32Rq10Po98",
    "Slack token": "xox" + "b-123456789012-abcdefABCDEF",
    "Google API key": "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
    "JSON web token": "eyJ"
    + "hbGciOiJIUzI1NiJ9.eyJ"
    + "zdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
}


@pytest.mark.parametrize(("kind", "value"), sorted(SECRETS.items()))
def test_each_kind_is_found_and_masked(kind: str, value: str) -> None:
    line = f'client = Client(credential="{value}")'
    (finding,) = find_secrets(line)
    assert finding.kind == kind
    assert line[finding.start : finding.end] == value
    masked = mask_secrets(line)
    assert value not in masked
    assert masked == f'client = Client(credential="[redacted {kind}]")'


def test_github_fine_grained_tokens_and_private_keys() -> None:
    pat = "github_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"
    assert [f.kind for f in find_secrets(f"token: {pat}")] == ["GitHub token"]
    header = "-----BEGIN " + "OPENSSH PRIVATE KEY-----"
    assert [f.kind for f in find_secrets(header)] == ["private key"]
    assert find_secrets("-----BEGIN PUBLIC KEY-----") == []


@pytest.mark.parametrize(
    "line",
    [
        'password = "Tr0ub4dor&3xyzzy"',
        "aws_secret_access_key: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzz1234abcd'",
        '"api_key": "c2f9a1e07b4d4e2b9c1f"',
        "export DB_PASSWORD=s3cr3tValue2024x",
        "GITHUB_TOKEN=abc123def456ghi789jkl",
    ],
)
def test_secret_looking_assignments(line: str) -> None:
    (finding,) = find_secrets(line)
    assert finding.kind == "secret assignment"
    assert "[redacted secret assignment]" in mask_secrets(line)


@pytest.mark.parametrize(
    "line",
    [
        'password = "changeme"',
        'api_key = os.environ["OPENAI_API_KEY"]',
        "token = get_token_from_config_v2()",
        'password = "${DB_PASSWORD_FROM_ENV_1}"',
        'api_key = "your-api-key-here-123"',
        'token_type = "bearer_authentication"',
        "OPENAI_API_KEY=",
        "sk-learn is a package; task-runner-for-builds-and-tests",
        "risk = compute_risk_assessment_score(inputs)",
        "-----BEGIN CERTIFICATE-----",
    ],
)
def test_ordinary_code_is_not_flagged(line: str) -> None:
    assert find_secrets(line) == []
    assert mask_secrets(line) == line


def test_several_secrets_on_one_line_are_all_masked() -> None:
    aws, gh = SECRETS["AWS access key id"], SECRETS["GitHub token"]
    masked = mask_secrets(f"{aws} and {gh}")
    assert masked == "[redacted AWS access key id] and [redacted GitHub token]"


def test_long_lines_are_scanned_in_linear_time() -> None:
    lines = ["A" * 1_000_000, "token" * 200_000, "a-" * 500_000, "=" * 1_000_000]
    started = time.monotonic()
    for line in lines:
        assert find_secrets(line) == []
    assert time.monotonic() - started < 5
