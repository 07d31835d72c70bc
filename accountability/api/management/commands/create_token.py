from django.core.management.base import BaseCommand, CommandError

from accountability.api.models import ApiToken
from accountability.api.tokens import token_create
from accountability.catalog.models import Service, Team


class Command(BaseCommand):
    help = "Create an API token; it is printed once and only its sha256 is stored."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="Who uses it, e.g. 'payments-ci'")
        parser.add_argument(
            "--scopes",
            required=True,
            help=f"Comma-separated, from: {', '.join(ApiToken.Scope.values)}",
        )
        parser.add_argument(
            "--teams", default="", help="Comma-separated team slugs: write only for their services"
        )
        parser.add_argument(
            "--services", default="", help="Comma-separated service slugs: write only for them"
        )

    def handle(self, *args, name: str, scopes: str, teams: str = "", services: str = "", **options):
        wanted = [scope.strip() for scope in scopes.split(",") if scope.strip()]
        if not wanted:
            raise CommandError("give at least one scope")
        if ApiToken.objects.filter(name=name).exists():
            raise CommandError(f"a token named {name!r} exists; revoke it in the admin or pick another name")
        limit_teams, limit_services = _found(Team, teams), _found(Service, services)
        try:
            token, raw = token_create(name=name, scopes=wanted)
        except ValueError as error:
            raise CommandError(str(error)) from None
        token.limit_teams.set(limit_teams)
        token.limit_services.set(limit_services)
        self.stderr.write(f"Created token {token.name!r} with scopes {', '.join(token.scopes)}.")
        self.stderr.write("Store it now: it is not shown again.")
        self.stdout.write(raw)


def _found(model, slugs: str) -> list:
    wanted = {slug.strip() for slug in slugs.split(",") if slug.strip()}
    found = list(model.objects.filter(slug__in=wanted))
    missing = sorted(wanted - {row.slug for row in found})
    if missing:
        raise CommandError(f"no {model._meta.verbose_name} {', '.join(missing)}")
    return found
