"""Imports between apps point down only (docs/architecture.md): every module's imports, inside functions too.

Layers, lowest first; a module may import its own app and the layers below its own, never above:

    logs, telemetry          what every process reports (log lines, Prometheus series): no app
    storable, followups, celery   shared helpers that import no app
    audit < catalog < changes < incidents   the domain (its models, services, selectors)
    ingest                   deliveries, receivers, the sources (one package each), pull jobs
    notify                   the outbox and its channels: analysis and the gate tell people through it
    analysis < gate          functions over the domain; the deploy gate uses the policy
    web                      helpers the pages share (permissions, charts)
    identity                 sign-in: the OpenID Connect backend, roles from claims, step-up, leaving
    faces                    api; every app's views, forms, urls, admin, rows, templatetags, management
                             commands
    project                  settings, urls, wsgi, devtools: they may import anything, nothing imports them

A face may import anything that is not another app's face. The api app's models (tokens, gate decisions,
protection requests) are data like the domain's: they keep the `api` label they were created under.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "accountability"

LAYERS = [
    {"logs", "telemetry"},
    {"storable", "followups", "celery"},
    {"audit"},
    {"catalog"},
    {"changes"},
    {"incidents"},
    {"ingest"},
    {"notify"},
    {"analysis"},
    {"gate"},
    {"web"},
    {"identity"},
    {"(face)"},
    {"settings", "urls", "wsgi", "asgi", "__init__", "devtools"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
FACE_FILES = {"views.py", "forms.py", "urls.py", "admin.py", "rows.py"}
FACE_FOLDERS = {"templatetags", "commands"}
DATA_MODULES = {"api.models": "changes"}  # read by the gate and the change page; imports only Django


def place(parts: tuple[str, ...]) -> tuple[str, int, bool]:
    """(app, rank, is_face) of a module given its path inside the package, without the `.py`."""
    app = parts[0]
    dotted = ".".join(parts)
    if dotted in DATA_MODULES:
        return app, RANK[DATA_MODULES[dotted]], False
    face = app == "api" or parts[-1] + ".py" in FACE_FILES or bool(FACE_FOLDERS & set(parts[:-1]))
    if len(parts) > 1 and face and app not in ("devtools",):
        return app, RANK["(face)"], True
    return app, RANK[app], False


def module_parts(name: str) -> tuple[str, ...] | None:
    """The parts of an imported `accountability.…` module that is a file or package of ours, else None."""
    parts = name.split(".")
    if parts[0] != "accountability" or len(parts) == 1:
        return None
    parts = parts[1:]
    while parts:
        path = PACKAGE.joinpath(*parts)
        if path.with_suffix(".py").exists():
            return tuple(parts)
        if (path / "__init__.py").exists():
            return (*parts, "__init__")
        parts = parts[:-1]  # `from accountability.x.models import Change` names a class, not a module
    return None


def imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
            "import_module",
            "__import__",
        ):
            found.append((node.lineno, "(dynamic import)"))
    return found


def modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts)


def violations() -> list[str]:
    found = []
    for path in modules():
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        app, rank, face = place(parts)
        for line, name in imports(path):
            where = f"accountability/{'/'.join(parts)}.py:{line}"
            if name == "(dynamic import)":
                found.append(f"{where} imports by name (import_module): the test cannot see where to")
                continue
            target = module_parts(name)
            if target is None:
                continue
            target_app, target_rank, target_face = place(target)
            if rank == RANK["devtools"] and target_app != "devtools":
                continue
            if target_app == app and not (target_face and not face):
                continue
            if target_face and target_app != app:
                found.append(f"{where} imports {name}: a face of another app")
            elif target_rank >= rank and target_app != app:
                found.append(f"{where} imports {name}: {target_app} is not below {app}")
            elif target_face and not face:
                found.append(f"{where} imports {name}: a face, from a module that is not one")
    return found


def node(parts: tuple[str, ...]) -> str:
    app, _, face = place(parts)
    return f"{app} faces" if face else ".".join(parts) if ".".join(parts) in DATA_MODULES else app


def app_cycles() -> list[list[str]]:
    """Cycles in the graph of apps, an app's faces counted apart from the rest of it (one edge per import)."""
    edges: dict[str, set[str]] = {}
    for path in modules():
        source = node(path.relative_to(PACKAGE).with_suffix("").parts)
        for _, name in imports(path):
            target = module_parts(name)
            if target and node(target) != source:
                edges.setdefault(source, set()).add(node(target))
    cycles, done = [], set()

    def visit(app: str, trail: list[str]) -> None:
        for target in sorted(edges.get(app, ())):
            if target in trail:
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in done:
                visit(target, [*trail, target])
        done.add(app)

    for app in sorted(edges):
        visit(app, [app])
    return cycles


def test_every_import_between_apps_points_down():
    assert violations() == []


def test_no_two_apps_or_faces_import_each_other_even_through_others():
    assert app_cycles() == []


@pytest.mark.parametrize(
    ("source", "statement", "complaint"),
    [
        ("changes/ledger.py", "from accountability.gate.protection import x", "gate is not below changes"),
        (
            "ingest/sources/github/webhook.py",
            "def f():\n    from accountability.api.outputs import x",
            "a face",
        ),
        ("catalog/selectors.py", "from accountability.changes.models import Change", "changes is not below"),
        ("analysis/tasks.py", "from importlib import import_module\nimport_module('x')", "imports by name"),
    ],
)
def test_it_names_the_file_and_line_of_an_upward_import(tmp_path, monkeypatch, source, statement, complaint):
    original = imports

    def with_planted(path: Path) -> list[tuple[int, str]]:
        if path == PACKAGE / source:
            planted = tmp_path / "planted.py"
            planted.write_text(statement)
            return original(planted)
        return original(path)

    monkeypatch.setattr(f"{__name__}.imports", with_planted)
    found = violations()
    assert any(line.startswith(f"accountability/{source}:") and complaint in line for line in found), found
