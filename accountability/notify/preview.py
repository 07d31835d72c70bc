"""How a notification looks where it lands, for the admin's outbox and the README's screenshots.

Bodies are Slack mrkdwn (docs.slack.dev "Formatting text for app surfaces"): *bold*, _italic_, `code`,
<url|label> links and "> " quotes. Slack draws them; an e-mail shows the same text plain. Everything is
escaped first, so a title from a payload can never become markup.
"""

import re

from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accountability.notify.messages import plain_text
from accountability.notify.models import Notification

# After escaping, `<` and `>` of a link read &lt; and &gt;; only http(s) targets become links.
LINK = re.compile(r"&lt;(https?://[^|&\s]+)\|([^&]+?)&gt;")
BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
ITALIC = re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])")
CODE = re.compile(r"`([^`\n]+)`")


def mrkdwn_html(text: str) -> SafeString:
    """Slack's rendering of `text`, as HTML."""
    lines = []
    for line in escape(text).splitlines():
        line = LINK.sub(r'<a href="\1">\2</a>', line)
        line = CODE.sub(r"<code>\1</code>", line)
        line = BOLD.sub(r"<b>\1</b>", line)
        line = ITALIC.sub(r"<i>\1</i>", line)
        if line.startswith("&gt; "):
            line = f'<span class="quote">{line[5:]}</span>'
        lines.append(line)
    return mark_safe("<br>".join(lines))  # noqa: S308 - built from escaped text and fixed tags


def notification_preview(notification: Notification) -> SafeString:
    """The message as Slack shows it (its channel and the bot), or as an e-mail client does."""
    slack = notification.channel in (Notification.Channel.SLACK, Notification.Channel.SLACK_DIRECT)
    body = mrkdwn_html(notification.body) if slack else plain_text(notification.body)
    context = {"notification": notification, "slack": slack, "body": body}
    return render_to_string("notify/preview.html", context)
