from django.core.management.base import BaseCommand, CommandError

from accountability.api.models import ApiToken
from accountability.api.tokens import token_create


class Command(BaseCommand):
    help = "Create an API token; it is printed once and only its sha256 is stored."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="Who uses it, e.g. 'payments-ci'")
        parser.add_argument(
            "--scopes",
            required=True,
            help=f"Comma-separated, from: {', '.join(ApiToken.Scope.values)}",
        )

    def handle(self, *args, name: str, scopes: str, **options):
        wanted = [scope.strip() for scope in scopes.split(",") if scope.strip()]
        if not wanted:
            raise CommandError("give at least one scope")
        if ApiToken.objects.filter(name=name).exists():
            raise CommandError(f"a token named {name!r} exists; revoke it in the admin or pick another name")
        try:
            token, raw = token_create(name=name, scopes=wanted)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stderr.write(f"Created token {token.name!r} with scopes {', '.join(token.scopes)}.")
        self.stderr.write("Store it now: it is not shown again.")
        self.stdout.write(raw)
