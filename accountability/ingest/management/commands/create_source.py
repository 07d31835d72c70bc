from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accountability.ingest.models import Source
from accountability.ingest.receiving import source_create, source_receiver_path


class Command(BaseCommand):
    help = "Creates a source of deliveries and prints where senders post to (for webhook kinds)."

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=Source.Kind.values)
        parser.add_argument("--name", required=True, help="Slug, part of the receiver URL")
        parser.add_argument("--secret", default="", help="Webhook signing secret; generated when omitted")
        parser.add_argument("--token", default="", help="Token for pulling from the source's API")
        parser.add_argument("--url", default="", help="Base URL of the source's API, for pull jobs")
        parser.add_argument(
            "--base-url", default=settings.INGEST_PUBLIC_URL, help="Public URL of this installation"
        )

    def handle(self, *args, kind, name, secret, token, url, base_url, **options):
        if Source.objects.filter(name=name).exists():
            raise CommandError(f"a source named {name!r} exists already")
        try:
            source = source_create(kind=kind, name=name, secret=secret, token=token, url=url)
        except ValidationError as error:
            raise CommandError(
                "; ".join(f"{field}: {' '.join(m)}" for field, m in error.message_dict.items())
            ) from None
        self.stdout.write(f"Created {source.get_kind_display()} source {source.name!r}.")
        path = source_receiver_path(source=source)
        if path:
            self.stdout.write(f"Receiver URL: {base_url.rstrip('/')}{path}")
            if not secret:
                self.stdout.write(f"Generated secret (shown once, stored encrypted): {source.secret}")
