"""GitHub's CODEOWNERS matching rules, and every sample file."""

from pathlib import Path

import pytest

from accountability.catalog.importers.codeowners import codeowners_parse, owners_for_path, rule_for_path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "codeowners"

# The example file of GitHub's documentation ("About code owners"), abridged.
GITHUB_EXAMPLE = """\
# These owners will be the default owners for everything in the repo.
*       @global-owner1 @global-owner2

*.js    @js-owner #This is an inline comment.
*.go docs@example.com
*.txt @octo-org/octocats
/build/logs/ @doctocat
docs/*  docs@example.com
apps/ @octocat
/docs/ @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/ @octocat
/apps/github
"""


def owners(text: str, path: str) -> list[str]:
    rules, _ = codeowners_parse(text)
    return owners_for_path(rules, path)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("README.md", ["@global-owner1", "@global-owner2"]),
        ("src/app.js", ["@js-owner"]),
        ("cmd/main.go", ["docs@example.com"]),
        ("notes/todo.txt", ["@octo-org/octocats"]),
        ("build/logs/today.log", ["@octocat"]),  # **/logs comes later than /build/logs/
        ("docs/getting-started.md", ["@doctocat"]),  # /docs/ comes after docs/*
        ("scripts/deploy.sh", ["@doctocat", "@octocat"]),
        ("deeply/nested/logs/x.log", ["@octocat"]),
        ("apps/main/index.js", ["@octocat"]),
        ("apps/github/index.js", []),  # matched by a rule with no owners: deliberately unowned
        ("web/apps/page.html", ["@octocat"]),  # "apps/" matches an apps directory anywhere
    ],
)
def test_it_follows_githubs_documented_example(path, expected):
    assert owners(GITHUB_EXAMPLE, path) == expected


def test_it_tells_unowned_from_unmatched():
    rules, _ = codeowners_parse("/apps/ @octocat\n/apps/github\n")

    assert rule_for_path(rules, "apps/github/x.js").owners == ()
    assert rule_for_path(rules, "README.md") is None


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("docs/*", "docs/a.md", True),
        ("docs/*", "docs/build-app/troubleshooting.md", False),
        ("/docs/", "docs/a/b/c.md", True),
        ("/docs/", "src/docs/a.md", False),
        ("docs/", "src/docs/a.md", True),
        ("/build", "build/x", True),
        ("/build", "src/build/x", False),
        ("build", "src/build/x", True),
        ("**/logs", "logs/a", True),
        ("/a/**/b", "a/b", True),
        ("/a/**/b", "a/x/y/b/c.txt", True),
        ("/a/**/b", "a/xb", False),
        ("docs/**", "docs/x/y", True),
        ("/lib/_stream*", "lib/_stream_readable.js", True),
        ("/lib/_stream*", "lib/internal/_stream.js", False),
        ("*.md", "a/b/c.md", True),
        ("*.md", "a/b/c.mdx", False),
        ("/doc/contributing/**/*", "doc/contributing/releases.md", True),
        ("/doc/contributing/**/*", "doc/contributing/maintaining/x.md", True),
        ("README.md", "readme.md", False),  # case-sensitive, as on GitHub
        ("?.py", "a.py", True),
    ],
)
def test_it_matches_patterns_like_github(pattern, path, matches):
    assert (owners(f"{pattern} @o\n", path) == ["@o"]) is matches


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("!docs/ @o", "negation"),
        ("*.[ch] @o", "character ranges"),
        ("\\#file @o", "escaping"),
        ("/ @o", "never matches"),
        ("/x Unmaintained", "invalid owner"),
    ],
)
def test_it_skips_lines_github_cannot_use(line, why):
    rules, problems = codeowners_parse(f"* @everyone\n{line}\n")

    assert [rule.pattern for rule in rules] == ["*"]
    assert [(p.line, why in p.message) for p in problems] == [(2, True)]


def test_it_reads_every_sample_file():
    counts = {}
    for path in sorted(FIXTURES.glob("*.CODEOWNERS")):
        rules, problems = codeowners_parse(path.read_text())
        counts[path.name] = (len(rules), len(problems))

    assert counts == {
        "backstage-demo.CODEOWNERS": (1, 0),
        "cdevents-spec.CODEOWNERS": (1, 0),
        "dora-team-fourkeys.CODEOWNERS": (1, 0),
        "hashicorp-terraform.CODEOWNERS": (11, 9),
        "in-toto-attestation.CODEOWNERS": (1, 0),
        "nodejs-node.CODEOWNERS": (151, 0),
        "saleor-saleor.CODEOWNERS": (1, 0),
    }


def test_it_reads_the_terraform_file_skipping_unmaintained_lines():
    rules, problems = codeowners_parse((FIXTURES / "hashicorp-terraform.CODEOWNERS").read_text())

    assert all("'Unmaintained'" in p.message for p in problems)
    assert owners_for_path(rules, "backend/remote-state/s3/backend.go") == ["@hashicorp/terraform-aws"]
    # Its artifactory line names no valid owner, so GitHub skips it and no other rule matches.
    assert rule_for_path(rules, "backend/remote-state/artifactory/client.go") is None


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("lib/_stream_readable.js", ["@nodejs/streams"]),
        ("doc/contributing/releases.md", ["@nodejs/tsc"]),
        ("BUILDING.md", ["@nodejs/build", "@nodejs/tsc"]),
        (".github/ISSUE_TEMPLATE/bug.yml", ["@nodejs/tsc"]),
        ("a/file/nobody/owns.txt", []),
    ],
)
def test_it_answers_for_nodejs_paths(path, expected):
    rules, _ = codeowners_parse((FIXTURES / "nodejs-node.CODEOWNERS").read_text())

    assert owners_for_path(rules, path) == expected


@pytest.mark.parametrize(
    ("name", "owners_of_anything"),
    [
        ("backstage-demo.CODEOWNERS", ["@backstage/operations-maintainers", "@MihaiTabara"]),
        ("cdevents-spec.CODEOWNERS", ["@cdevents/spec-maintainers"]),
        ("dora-team-fourkeys.CODEOWNERS", ["@dinagraves", "@davidstanke", "@GoogleCloudPlatform/torus-dpe"]),
        ("in-toto-attestation.CODEOWNERS", ["@in-toto/attestation-maintainers"]),
        ("saleor-saleor.CODEOWNERS", ["@saleor/engineering"]),
    ],
)
def test_it_gives_every_path_to_the_catch_all_owners(name, owners_of_anything):
    assert owners((FIXTURES / name).read_text(), "some/deep/file.py") == owners_of_anything
