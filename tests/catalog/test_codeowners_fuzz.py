from hypothesis import given, settings
from hypothesis import strategies as st

from accountability.catalog.importers.codeowners import codeowners_parse, owners_for_path

pattern_chars = st.text(alphabet="ab/*?.-_#!\\[] @", max_size=12)
paths = st.lists(st.text(alphabet="ab.-_", min_size=1, max_size=4), min_size=1, max_size=4).map("/".join)


@settings(max_examples=300)
@given(
    lines=st.lists(
        st.tuples(pattern_chars, st.sampled_from(["@o", "@org/team", "x@y.z", "bad", ""])), max_size=6
    ),
    path=paths,
)
def test_any_file_parses_and_any_path_gets_an_answer(lines, path):
    rules, problems = codeowners_parse("\n".join(f"{pattern} {owner}" for pattern, owner in lines))

    owners = owners_for_path(rules, path)

    assert isinstance(owners, list)
    assert len(rules) + len(problems) <= len(lines)


@settings(max_examples=200)
@given(path=paths)
def test_a_catch_all_owns_every_path_unless_a_later_rule_clears_it(path):
    rules, _ = codeowners_parse("* @everyone\n")

    assert owners_for_path(rules, path) == ["@everyone"]
