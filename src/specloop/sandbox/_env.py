"""The environment an untrusted command sees: the user's, minus anything that looks secret.

A deny-list rather than an allow-list: build tools need a long tail of harmless
variables (toolchain homes, proxies, locale) that no list could anticipate, while
secrets follow a few naming habits. Dropping a harmless variable that merely looks
secret is the cheap mistake; `keep` puts back what a caller really needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

#: Fragments that mark a variable as secret wherever they appear in its name.
_SECRET_FRAGMENTS = (
    "KEY",
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "CREDENTIAL",
    "AUTH",
    "SESSION",
    "COOKIE",
    "PRIVATE",
)
#: Prefixes of cloud and forge tooling, whose variables are credentials or point at them.
_SECRET_PREFIXES = (
    "AWS_",
    "AZURE_",
    "GOOGLE_",
    "GCP_",
    "GCLOUD_",
    "CLOUDSDK_",
    "GITHUB_",
    "GH_",
    "GITLAB_",
    "HF_",
    "HUGGING_FACE_",
    "DOCKER_",
    "NPM_CONFIG_",
    "TWINE_",
)
#: Whole names that carry credentials without saying so.
_SECRET_NAMES = frozenset({"DATABASE_URL", "GPG_AGENT_INFO", "NETRC", "KUBECONFIG", "PGPASS"})
#: Never dropped, even if a fragment above would match: the basics every program needs.
_ESSENTIAL = frozenset(
    {"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TERM", "TZ", "TMPDIR", "PWD"}
)


def is_secret_name(name: str) -> bool:
    """Whether an environment variable's name suggests it holds a credential."""
    upper = name.upper()
    if upper in _ESSENTIAL or upper.startswith("LC_"):
        return False
    return (
        upper in _SECRET_NAMES
        or upper.startswith(_SECRET_PREFIXES)
        or upper.endswith("_DSN")
        or any(fragment in upper for fragment in _SECRET_FRAGMENTS)
    )


def scrubbed_env(
    base: Mapping[str, str],
    *,
    keep: Sequence[str] = (),
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """`base` without secret-looking variables (except those named in `keep`), then `extra`.

    Names in `keep` survive as they are in `base` (an executor that must reach a model
    API keeps its key); `extra` is applied last and wins over everything.
    """
    kept = set(keep)
    env = {name: value for name, value in base.items() if name in kept or not is_secret_name(name)}
    env.update(extra or {})
    return env
